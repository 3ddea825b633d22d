"""deploy/ validates: each check runs its tool on the committed files.

The tools: hadolint, kubernetes-validate and check-jsonschema come with the `test` extra;
promtool, nginx and docker-compose from Debian (`make tools`, which `make test` runs). A missing
tool fails its check with how to install it: a check that cannot run must not pass.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest

from laneway.config import Settings
from laneway.jobs.worker import WorkerMetrics
from laneway.observability.metrics import Metrics

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DEBIAN_TOOLS = "run `make tools` (apt-get install prometheus nginx docker-compose)"
PYTHON_TOOLS = "run `make .venv/.installed` (the `test` extra installs it)"

# How prometheus-client exposes each type of metric family: the series names after its name
_EXPOSED_AS = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
}


def exported(registry: CollectorRegistry) -> dict[str, set[str]]:
    """Each metric family the registry holds, with the series names it is scraped as."""
    return {
        family.name: {family.name + suffix for suffix in _EXPOSED_AS[family.type]}
        for family in registry.collect()
    }


# What `laneway serve` and `laneway worker` export; dashboards, alerts and autoscalers use no
# other series. The worker's registry adds the process collector's standard process_* series.
APP = exported(Metrics().registry)
WORKER = exported(WorkerMetrics().registry)
FAMILY_OF = {
    series: name
    for names in (APP, WORKER)
    for name, all_series in names.items()
    for series in all_series
}
SERIES = set(FAMILY_OF) | {"up"}  # up: Prometheus' own, per scrape target
# Laneway's own metrics, which the dashboard must all show
LANEWAY_METRICS = {name for name in FAMILY_OF.values() if name.startswith("laneway_")}


def tool(name: str, install: str) -> str:
    """The tool's path: on PATH, beside this Python (the venv's), or in /usr/sbin."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin")
    if found is None:
        pytest.fail(f"{name} is not installed: {install}")
    return found


def run(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    """Run a check; its output is the failure message when it fails."""
    result = subprocess.run(  # noqa: S603 - our own tools on our own files
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = f"{result.stdout}\n{result.stderr}".strip()
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{output}"
    return output


# PromQL: the names that are neither functions, keywords, labels nor numbers are series
_PROMQL_NOISE = (
    (re.compile(r'"(?:[^"\\]|\\.)*"'), '""'),  # strings (label values, regexes)
    (re.compile(r"\{[^}]*\}"), ""),  # label matchers
    (re.compile(r"\[[^\]]*\]"), ""),  # ranges and subqueries
    (re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"), ""),
)
_PROMQL_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


def series_in(expr: str) -> set[str]:
    for pattern, replacement in _PROMQL_NOISE:
        expr = pattern.sub(replacement, expr)
    names = set()
    for match in re.finditer(r"(?<![\w.$])[A-Za-z_:][\w:]*", expr):
        followed_by = expr[match.end() :].lstrip()[:1]
        if followed_by != "(" and match.group().lower() not in _PROMQL_KEYWORDS:
            names.add(match.group())
    return names


def test_series_in_reads_promql() -> None:
    expr = (
        "histogram_quantile(0.95, sum by (le, route) (rate(laneway_http_request_duration_seconds"
        '_bucket{route=~"/api/.*", instance=~"$instance"}[$__rate_interval]))) > 1e3 '
        "and on (instance) up == 1 unless sum(laneway_live_sockets) without (pod) > bool 2"
    )
    assert series_in(expr) == {
        "laneway_http_request_duration_seconds_bucket",
        "up",
        "laneway_live_sockets",
    }


def test_the_exported_names_are_what_a_scrape_reads() -> None:
    """The suffix table against prometheus-client's own text, the labelled metrics given a
    child each (without one a family has no sample to show)."""
    app, worker = Metrics(), WorkerMetrics()
    app.request("GET", "/api/v1/projects", 200, 0.01)
    app.request_statements("/api/v1/projects", 3)
    app.cache.labels("board", "hit").inc()
    app.rate_limited.labels("login").inc()
    app.gc_collections.labels("0").inc()
    worker.ran({"api_tokens": 2}, ok=True)
    app.flush()  # requests are added up and reach the metrics in one go
    text = (generate_latest(app.registry) + generate_latest(worker.registry)).decode()
    scraped = {
        line.split("{")[0].split()[0]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert {name for name in scraped if not name.endswith("_created")} == SERIES - {"up"}


# --- the image ------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    run(tool("hadolint", PYTHON_TOOLS), "--failure-threshold", "info", DEPLOY / "Dockerfile")


def _copied_sources() -> list[str]:
    """What the Dockerfile copies from the build context (not from another stage)."""
    sources = []
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            sources += [w.rstrip("/") for w in words[1:-1] if not w.startswith("--")]
    return sources


def test_build_context_holds_what_the_dockerfile_copies() -> None:
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line]
    let_in = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore, ".dockerignore starts from nothing and lets sources in"
    assert sorted(let_in) == sorted(_copied_sources())


def test_the_builder_stage_wheel_carries_the_board_and_migrations(tmp_path: Path) -> None:
    """The builder's `pip wheel`, on exactly what the build context holds."""
    context = tmp_path / "context"
    context.mkdir()
    for source in _copied_sources():
        if (ROOT / source).is_dir():
            shutil.copytree(
                ROOT / source, context / source, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(ROOT / source, context / source)
    wheels = tmp_path / "wheels"
    python = Path(sys.executable)
    run(python, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", wheels, ".", cwd=context)
    (wheel,) = wheels.glob("laneway-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "laneway/web/dist/index.html" in names
    assert any(n.startswith("laneway/web/dist/assets/") and n.endswith(".js") for n in names)
    assert any(n.startswith("laneway/migrations/versions/") for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "laneway = laneway.cli:app" in zipfile.ZipFile(wheel).read(entry_points).decode()


# --- nginx ----------------------------------------------------------------------------------

NGINX_VARIANTS = ["laneway.conf", "laneway-tls.conf"]
SELF_SIGNED = ("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=x")


@pytest.mark.parametrize("name", NGINX_VARIANTS)
def test_nginx_config_passes_nginx_t(name: str, tmp_path: Path) -> None:
    """`nginx -t` on the file inside a minimal http block; the upstream host names (compose
    services) become 127.0.0.1, and a throwaway certificate stands in for the mounted one."""
    nginx = tool("nginx", DEBIAN_TOOLS)
    openssl = tool("openssl", "apt-get install openssl")
    key, certificate = tmp_path / "privkey.pem", tmp_path / "fullchain.pem"
    run(openssl, *SELF_SIGNED, "-keyout", key, "-out", certificate)
    config = (DEPLOY / "nginx" / name).read_text()
    config = re.sub(r"server app-\d+:8000", "server 127.0.0.1:8000", config)
    (tmp_path / name).write_text(config.replace("/etc/nginx/certs", str(tmp_path)))
    temp_paths = "".join(
        f"  {kind}_temp_path {tmp_path}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n  access_log off;\n{temp_paths}  include {tmp_path / name};\n}}\n"
    )
    output = run(nginx, "-t", "-q", "-p", tmp_path, "-e", "stderr", "-c", tmp_path / "nginx.conf")
    assert "warn" not in output, output


def _locations(name: str) -> str:
    text = (DEPLOY / "nginx" / name).read_text()
    return text[text.index("# locations: begin") : text.index("# locations: end")]


def test_nginx_variants_proxy_alike() -> None:
    """Their body limits: tests/test_proxy_body_limits.py."""
    assert _locations("laneway.conf") == _locations("laneway-tls.conf")
    live = _locations("laneway.conf")
    assert "proxy_set_header Upgrade $http_upgrade;" in live
    assert re.search(r"location ~ \^/api/v1/.*live\$ \{[^}]*proxy_read_timeout 1h;", live)


# --- Prometheus -----------------------------------------------------------------------------


def test_prometheus_config_and_rules_pass_promtool() -> None:
    promtool = tool("promtool", DEBIAN_TOOLS)
    output = run(promtool, "check", "config", "prometheus.yml", cwd=DEPLOY / "prometheus")
    assert "1 rule files found" in output


def test_every_alert_fires_and_keeps_quiet_in_promtools_unit_tests() -> None:
    promtool = tool("promtool", DEBIAN_TOOLS)
    run(promtool, "test", "rules", "alerts.test.yml", cwd=DEPLOY / "prometheus")
    tests = yaml.safe_load((DEPLOY / "prometheus" / "alerts.test.yml").read_text())
    cases = [case for test in tests["tests"] for case in test.get("alert_rule_test", [])]
    fired = {case["alertname"] for case in cases if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert fired == quiet == {rule["alert"] for rule in _alert_rules()}
    inputs = [s["series"] for test in tests["tests"] for s in test["input_series"]]
    assert set().union(*map(series_in, inputs)) <= SERIES


def _alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_alerts_wait_carry_a_severity_and_explain_themselves() -> None:
    for rule in _alert_rules():
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert {"summary", "description"} <= rule["annotations"].keys(), rule["alert"]
        assert series_in(rule["expr"]) <= SERIES, rule["alert"]


# --- Compose --------------------------------------------------------------------------------

COMPOSE_SECRETS = {
    "LANEWAY_SECRET_KEY": "s" * 48,
    "POSTGRES_PASSWORD": "test-postgres-password",
    "GRAFANA_ADMIN_PASSWORD": "test-grafana-password",
}


def _compose_config(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` with only the given variables (no deploy/.env of yours)."""
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.touch()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **environment}
    compose = [tool("docker-compose", DEBIAN_TOOLS), "-f", str(DEPLOY / "compose.yaml")]
    return subprocess.run(  # noqa: S603 - our own tool on our own file
        [*compose, "--env-file", str(empty_env_file), "config"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_compose_file_passes_docker_compose_config(tmp_path: Path) -> None:
    result = _compose_config(tmp_path, **COMPOSE_SECRETS)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    apps = [name for name in services if name.startswith("app-")]
    assert len(apps) >= 2
    for name in [*apps, "worker"]:
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["environment"]["LANEWAY_SECRET_KEY"] == "s" * 48
    for name in apps:
        assert "/health/ready" in " ".join(services[name]["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["laneway", "migrate", "upgrade"]
    assert services["worker"]["command"] == ["laneway", "worker"]
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert not any("8000" in str(port) or "9100" in str(port) for port in published)


def test_compose_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    for missing in COMPOSE_SECRETS:
        given = {k: v for k, v in COMPOSE_SECRETS.items() if k != missing}
        result = _compose_config(tmp_path, **given)
        assert result.returncode != 0
        assert f"set {missing}" in result.stderr


def test_compose_file_matches_the_compose_specification() -> None:
    run(
        tool("check-jsonschema", PYTHON_TOOLS),
        "--builtin-schema",
        "vendor.compose-spec",
        DEPLOY / "compose.yaml",
    )


def test_compose_mounts_files_that_exist() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), volume
    scraped = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    laneway_job = next(j for j in scraped["scrape_configs"] if j["job_name"] == "laneway")
    targets = {t for c in laneway_job["static_configs"] for t in c["targets"]}
    apps = {name for name in compose["services"] if name.startswith("app-")}
    assert targets == {f"{name}:9100" for name in [*apps, "worker"]}
    for name in NGINX_VARIANTS:
        nginx = (DEPLOY / "nginx" / name).read_text()
        assert set(re.findall(r"server (app-\d+):8000", nginx)) == apps, name


# --- Grafana --------------------------------------------------------------------------------

DASHBOARD = DEPLOY / "grafana" / "laneway-dashboard.json"
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$instance": ".*"}


def _panels() -> list[dict[str, Any]]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [*panels, *(inner for panel in panels for inner in panel.get("panels", []))]


def _dashboard_queries() -> list[str]:
    return [target["expr"] for panel in _panels() for target in panel.get("targets", [])]


def test_dashboard_shows_every_laneway_metric_and_no_other() -> None:
    """The app's and the worker's: a metric nobody looks at is as good as none."""
    used = set().union(*map(series_in, _dashboard_queries()))
    assert used <= SERIES, f"exported by nothing: {sorted(used - SERIES)}"
    shown = {FAMILY_OF[series] for series in used if series in FAMILY_OF}
    missing = LANEWAY_METRICS - shown
    assert not missing, f"not on the dashboard: {sorted(missing)}"


def promtool_parses(queries: list[str], tmp_path: Path) -> None:
    """Each query as a recording rule for `promtool check rules`."""
    rules = [{"record": f"query:{n}", "expr": expr} for n, expr in enumerate(queries)]
    rule_file = tmp_path / "queries.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "queries", "rules": rules}]}))
    output = run(tool("promtool", DEBIAN_TOOLS), "check", "rules", rule_file)
    assert f"{len(rules)} rules found" in output


def test_dashboard_queries_parse_with_promtool(tmp_path: Path) -> None:
    """Each query with its Grafana variables filled in."""
    queries = []
    for expr in _dashboard_queries():
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, expr
        queries.append(expr)
    promtool_parses(queries, tmp_path)


def test_dashboard_panels_are_laid_out_and_use_the_datasource_variable() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = _panels()
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["query"] == "prometheus"
    assert "laneway_build_info" in variables["instance"]["definition"]
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            ref_ids = [target["refId"] for target in panel["targets"]]
            assert len(ref_ids) == len(set(ref_ids)), panel["title"]


def test_grafana_provisioning_matches_compose() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    provisioning = DEPLOY / "grafana" / "provisioning"
    (source,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    assert source["url"] == "http://prometheus:9090"
    assert "127.0.0.1:9090:9090" in compose["prometheus"]["ports"]
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "laneway.yml").read_text())[
        "providers"
    ]
    mounts = dict(v.split(":")[:2] for v in compose["grafana"]["volumes"])
    assert mounts["./grafana/laneway-dashboard.json"].startswith(provider["options"]["path"])
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"


# --- Kubernetes -----------------------------------------------------------------------------

K8S = DEPLOY / "kubernetes"
# Templates to copy and adapt, and the adapter's rules: not applied by kustomization.yaml
K8S_NOT_APPLIED = {"secret.example.yaml", "networkpolicy.yaml", "prometheus-adapter.yaml"}
# The oldest Kubernetes the manifests must suit (CronJob timeZone is GA from 1.27), and the
# newest that kubernetes-validate knows
K8S_VERSIONS = ["1.29.0", None]


def _manifests() -> dict[str, dict[str, Any]]:
    return {
        path.name: yaml.safe_load(path.read_text())
        for path in sorted(K8S.glob("*.yaml"))
        if path.name != "kustomization.yaml"
    }


def _pod(manifest: dict[str, Any]) -> dict[str, Any]:
    spec = manifest["spec"]
    template: dict[str, Any] = spec.get("jobTemplate", manifest)["spec"]["template"]
    return template


def _workloads() -> dict[str, dict[str, Any]]:
    """The manifests that run Laneway's image, by file name."""
    return {
        name: manifest
        for name, manifest in _manifests().items()
        if manifest["kind"] in {"Deployment", "Job", "CronJob"}
    }


@pytest.mark.parametrize("version", K8S_VERSIONS, ids=lambda v: v or "newest")
def test_kubernetes_manifests_pass_strict_schema_validation(version: str | None) -> None:
    validate = tool("kubernetes-validate", PYTHON_TOOLS)
    files = [K8S / name for name in _manifests()]
    output = run(validate, "--strict", "--quiet", *(["-k", version] if version else []), *files)
    assert "WARN" not in output, output  # a kind without a schema is not validated


def test_kustomization_applies_every_manifest_but_the_templates() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert "namespace" not in kustomization
    assert set(kustomization["resources"]) == set(_manifests()) - K8S_NOT_APPLIED
    (image,) = kustomization["images"]
    for name, manifest in _manifests().items():
        assert "namespace" not in manifest["metadata"], name
    for name, manifest in _workloads().items():
        for container in _pod(manifest)["spec"]["containers"]:
            assert container["image"] == image["name"], name


def test_app_deployment_probes_rolls_out_safely_and_is_scraped() -> None:
    app = _manifests()["deployment-app.yaml"]
    assert app["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert "replicas" not in app["spec"], "the HorizontalPodAutoscaler owns the count"
    pod = _pod(app)
    (container,) = pod["spec"]["containers"]
    assert container["command"][:2] == ["laneway", "serve"]
    assert "--no-migrate" in container["command"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
    assert {"requests", "limits"} <= container["resources"].keys()
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": 8000, "metrics": 9100}
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == ports["metrics"]


def test_every_pod_runs_as_the_images_unprivileged_user() -> None:
    for name, manifest in _workloads().items():
        pod = _pod(manifest)["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name  # USER in deploy/Dockerfile
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            sources = [next(iter(source.values()))["name"] for source in container["envFrom"]]
            assert sources == ["laneway", "laneway"], name  # configmap.yaml, the Secret
    assert "USER 10001:10001" in (DEPLOY / "Dockerfile").read_text()


def test_kubernetes_objects_refer_to_each_other() -> None:
    manifests = _manifests()
    app_labels = _pod(manifests["deployment-app.yaml"])["metadata"]["labels"]
    assert manifests["service.yaml"]["spec"]["selector"].items() <= app_labels.items()
    assert manifests["pdb-app.yaml"]["spec"]["minAvailable"] == 1
    assert manifests["pdb-app.yaml"]["spec"]["selector"]["matchLabels"].items() <= (
        app_labels.items()
    )
    for component in ("app", "worker"):
        hpa, target = f"hpa-{component}.yaml", f"deployment-{component}.yaml"
        ref = manifests[hpa]["spec"]["scaleTargetRef"]
        assert (ref["kind"], ref["name"]) == (
            manifests[target]["kind"],
            manifests[target]["metadata"]["name"],
        )
    cpu, requests = manifests["hpa-app.yaml"]["spec"]["metrics"]
    assert cpu["resource"]["name"] == "cpu"
    assert requests["pods"]["metric"]["name"] in _adapter_rules()
    service_ports = {port["name"] for port in manifests["service.yaml"]["spec"]["ports"]}
    for name in ("ingress.yaml", "ingress-imports.yaml", "ingress-attachments.yaml"):
        (path,) = manifests[name]["spec"]["rules"][0]["http"]["paths"]
        assert path["backend"]["service"]["name"] == manifests["service.yaml"]["metadata"]["name"]
        assert path["backend"]["service"]["port"]["name"] in service_ports
    backup = _pod(manifests["cronjob-backup.yaml"])["spec"]
    claims = [
        v["persistentVolumeClaim"]["claimName"]
        for v in backup["volumes"]
        if "persistentVolumeClaim" in v
    ]
    assert claims == [manifests["pvc-backups.yaml"]["metadata"]["name"]]
    script = backup["containers"][0]["command"][-1]
    assert "laneway backup -o" in script
    assert "laneway backup --verify" in script
    migrate = _pod(manifests["job-migrate.yaml"])["spec"]["containers"][0]
    assert migrate["command"] == ["laneway", "migrate", "upgrade"]
    config = manifests["configmap.yaml"]["data"]
    assert config["LANEWAY_METRICS_PORT"] == "9100"


def _adapter_rules(kind: str = "rules") -> dict[str, dict[str, Any]]:
    """prometheus-adapter's rules (custom metrics; `externalRules`: external metrics), by the
    name of the metric each serves."""
    config = yaml.safe_load(_manifests()["prometheus-adapter.yaml"]["data"]["config.yaml"])
    return {rule["name"]["as"]: rule for rule in config[kind]}


def test_the_worker_scales_on_the_job_queues_depth_and_age() -> None:
    """The worker HPA's external metrics are the queue gauges `laneway worker` exports, each
    served by an adapter rule from that very series."""
    metrics = _manifests()["hpa-worker.yaml"]["spec"]["metrics"]
    external = {m["external"]["metric"]["name"]: m for m in metrics if m["type"] == "External"}
    queues = {
        f"laneway_{queue}_queue_{measure}"
        for queue in ("webhook", "transfer")
        for measure in ("depth", "oldest_due_seconds")
    }
    assert set(external) == queues
    assert queues <= WORKER.keys(), "the worker exports every queue gauge it scales on"
    rules = _adapter_rules("externalRules")
    for name, metric in external.items():
        (series,) = series_in(rules[name]["seriesQuery"])
        assert series == name
        assert FAMILY_OF[series] in WORKER
        # depth shares out over the workers; age is the whole queue's, compared as it is
        target = metric["external"]["target"]
        assert target["type"] == ("AverageValue" if name.endswith("depth") else "Value"), name
    assert any(m["type"] == "Resource" for m in metrics), "CPU still counts (housekeeping)"


def test_prometheus_adapter_serves_from_exported_series(tmp_path: Path) -> None:
    """Its queries, templates filled in as the adapter does for one HPA, parse and read only
    what Laneway exports; the pods and namespace the HPA asks about are labels it maps."""
    queries = []
    rules = [
        *(("pod", served, rule) for served, rule in _adapter_rules().items()),
        *(("namespace", s, rule) for s, rule in _adapter_rules("externalRules").items()),
    ]
    for per, served, rule in rules:
        (series,) = series_in(rule["seriesQuery"])
        assert series in SERIES, served
        assert re.search(rule["name"]["matches"], series), served
        overrides = rule["resources"]["overrides"]
        mapped = {"namespace": {"resource": "namespace"}}
        if per == "pod":
            mapped["pod"] = {"resource": "pod"}
        assert overrides == mapped, served
        query = (
            rule["metricsQuery"]
            .replace("<<.Series>>", series)
            .replace("<<.LabelMatchers>>", 'namespace="laneway", pod=~"laneway-app-.*"')
            .replace("<<.GroupBy>>", per)
        )
        assert "<<" not in query, served
        assert series_in(query) <= SERIES, served
        queries.append(query)
    promtool_parses(queries, tmp_path)


def test_the_secret_templates_placeholder_key_is_refused() -> None:
    secret = _manifests()["secret.example.yaml"]["stringData"]
    with pytest.raises(ValueError, match="at least 32 characters"):
        Settings(secret_key=secret["LANEWAY_SECRET_KEY"])
