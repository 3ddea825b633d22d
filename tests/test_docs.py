"""The operations guide documents every setting the server reads, and deploy/ and the docs
name no setting it does not."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from opentelemetry.sdk import environment_variables as otel_variables
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from laneway import __version__
from laneway.config import Settings

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def variables(settings: type[BaseSettings]) -> list[list[str]]:
    """Each setting's environment variable names (a setting may accept several)."""
    prefix = settings.model_config.get("env_prefix", "")
    found: list[list[str]] = []
    for name, field in settings.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseSettings):
            found += variables(kind)
        elif isinstance(field.validation_alias, AliasChoices):
            found.append([str(choice) for choice in field.validation_alias.choices])
        elif isinstance(field.validation_alias, str):
            found.append([field.validation_alias])
        else:
            found.append([field.alias or f"{prefix}{name}".upper()])
    return found


def test_every_setting_is_in_the_operations_guide() -> None:
    guide = GUIDE.read_text()
    names = variables(Settings)
    assert len(names) > 40  # the walk reached the nested settings
    missing = [n for n in names if not any(f"`{name}`" in guide for name in n)]
    assert not missing, f"document these in docs/operations.md: {missing}"


# --- every name an operator meets is one the code reads ------------------------------------

ROOT = GUIDE.parents[1]
DEPLOY = ROOT / "deploy"
# LANEWAY_ then a name (not the bare prefix, nor LANEWAY_* as a wildcard)
SETTING = re.compile(r"\bLANEWAY_[A-Z][A-Z0-9_]*[A-Z0-9]\b")
# Compose's own variables: they pick the image and the host's ports and reach no container
COMPOSE_ONLY = {"LANEWAY_IMAGE", "LANEWAY_PUBLISHED_PORT", "LANEWAY_PUBLISHED_TLS_PORT"}
READ = {name for names in variables(Settings) for name in names}
# The OTLP exporter reads OpenTelemetry's own variables for its endpoint, headers and timeouts
EXPORTER = {name for name in dir(otel_variables) if name.startswith("OTEL_EXPORTER_OTLP_")}


def operator_texts() -> dict[str, str]:
    """What operators read: deploy/ (every text file), docs/, README.md and CHANGELOG.md."""
    files = [
        *(p for p in DEPLOY.rglob("*") if p.is_file() and "__pycache__" not in p.parts),
        *(ROOT / "docs").rglob("*.md"),
        ROOT / "README.md",
        ROOT / "CHANGELOG.md",
    ]
    texts = {}
    for path in files:
        if path.exists() and path.suffix not in {".png"}:
            texts[str(path.relative_to(ROOT))] = path.read_text()
    return texts


def unread_names(texts: dict[str, str]) -> dict[str, set[str]]:
    found = {
        where: set(SETTING.findall(text)) - READ - COMPOSE_ONLY for where, text in texts.items()
    }
    return {where: names for where, names in found.items() if names}


def test_every_laneway_name_in_deploy_and_docs_is_a_setting_the_code_reads() -> None:
    unread = unread_names(operator_texts())
    assert not unread, f"names Laneway never reads (see laneway/config.py): {unread}"


def test_unread_names_are_found() -> None:
    texts = {"a.md": "Set `LANEWAY_PUBLIC_URL` (or LANEWAY_*), LANEWAY_HTTP_PUBLIC_URL."}
    assert unread_names(texts) == {"a.md": {"LANEWAY_PUBLIC_URL"}}


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return compose


def _laneway_environments() -> dict[str, dict[str, str]]:
    """The variables deploy/ sets for Laneway's processes: Compose's services that run its
    image, and the Kubernetes ConfigMap."""
    services = _compose()["services"]
    found = {
        f"compose.yaml {name}": service.get("environment", {})
        for name, service in services.items()
        if "LANEWAY_IMAGE" in str(service.get("image", ""))
    }
    configmap = yaml.safe_load((DEPLOY / "kubernetes" / "configmap.yaml").read_text())
    found["kubernetes/configmap.yaml"] = configmap["data"]
    return found


def test_deploy_sets_only_variables_laneway_or_its_exporter_reads() -> None:
    environments = _laneway_environments()
    assert len(environments) >= 4  # apps, worker, migrate and the ConfigMap
    guide = GUIDE.read_text()
    for where, environment in environments.items():
        unread = set(environment) - READ - EXPORTER
        assert not unread, f"{where} sets what nothing reads: {sorted(unread)}"
        for name in set(environment) & READ:
            assert f"`{name}`" in guide, f"{where}: {name} is not in docs/operations.md"


def test_compose_only_variables_stay_with_compose() -> None:
    compose_text = (DEPLOY / "compose.yaml").read_text()
    for name in COMPOSE_ONLY:
        assert f"${{{name}" in compose_text, f"{name} is no Compose variable any more"
        for where, environment in _laneway_environments().items():
            assert name not in environment, where


def test_the_configmap_points_at_the_settings_list() -> None:
    comment = (DEPLOY / "kubernetes" / "configmap.yaml").read_text().split("apiVersion")[0]
    assert "docs/operations.md" in comment
    assert "README" not in comment


# A backup archive's extension: a command's argument, a path under backups/, a clean-up pattern
ARCHIVE = re.compile(
    r"laneway (?:backup (?:-o|--output|--verify)|restore) +[\w./-]+\.([a-z]+)\b"
    r"|backups/laneway-[^\"'\n]*?\.([a-z]+)\b"
    r"|-name 'laneway-\*\.([a-z]+)"
)


def archive_extensions(text: str) -> list[str]:
    return [next(group for group in match.groups() if group) for match in ARCHIVE.finditer(text)]


def test_backups_are_named_as_what_they_are_a_zip() -> None:
    """`laneway backup` writes a zip archive (backup/archive.py)."""
    sample = "laneway restore x.backup\nf=backups/laneway-$(date +%F).zip; find -name 'laneway-*.b'"
    assert archive_extensions(sample) == ["backup", "zip", "b"]
    named = {where: set(archive_extensions(text)) for where, text in operator_texts().items()}
    assert {where: names for where, names in named.items() if names - {"zip"}} == {}
    assert sum(len(names) > 0 for names in named.values()) >= 3  # it reads the docs' commands


# --- the changelog and the upgrade guide ----------------------------------------------------

CHANGELOG = ROOT / "CHANGELOG.md"
KINDS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}  # Keep a Changelog's


def test_the_changelog_keeps_a_changelog() -> None:
    """Unreleased first, then releases newest first with dates, each with the format's own
    kinds of change only; the package's version has its entry."""
    text = CHANGELOG.read_text()
    releases = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, flags=re.M)
    assert releases[0] == ("Unreleased", "")
    dated = releases[1:]
    assert dated
    dates = [date for _version, date in dated]
    assert all(dates)
    assert dates == sorted(dates, reverse=True)
    assert __version__ in {version for version, _date in dated}
    kinds = set(re.findall(r"^### (.+)$", text, flags=re.M))
    assert kinds <= KINDS, kinds - KINDS
    unreleased = text.split("\n## [", 2)[1]
    assert "### Security" in unreleased


def test_the_upgrade_guide_is_linked_and_its_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "(docs/upgrading.md)" in readme
    assert "(CHANGELOG.md)" in readme
    for document in (ROOT / "docs" / "upgrading.md", CHANGELOG):
        text = document.read_text()
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (document.parent / target).exists(), f"{document.name}: {target}"
    guide = (ROOT / "docs" / "upgrading.md").read_text()
    for step in ("laneway backup -o", "laneway backup --verify", "laneway migrate upgrade",
                 "laneway migrate downgrade", "laneway restore"):  # fmt: skip
        assert step in guide, step


def _layout_block() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Layout\n", 1)[1]
    return section.split("```", 2)[1]


def test_the_readme_layout_names_every_unit_of_the_package_and_only_those() -> None:
    """Each module and package under src/laneway is named in the README's layout, and each
    name the layout gives for it exists, so a move cannot leave the map behind."""
    package = ROOT / "src" / "laneway"
    units = {
        path.name + ("/" if path.is_dir() else "")
        for path in package.iterdir()
        if (path.is_dir() and (path / "__init__.py").exists())
        or (path.suffix == ".py" and path.stem not in {"__init__", "__main__"})
    }
    layout = _layout_block()
    named = set(re.findall(r"(?<![\w./-])([a-z_]+(?:\.py|/))", layout))
    assert units - named == set(), "units the layout does not name"
    top_level = {name for name in named if not (ROOT / name).exists()}
    missing = {name for name in top_level if not _somewhere_in_the_package(package, name)}
    assert missing == set(), "names in the layout that exist nowhere"


def _somewhere_in_the_package(package: Path, name: str) -> bool:
    """The layout names a module inside its package, or beside the folder it describes (a
    file of deploy/local/, say): any of the project's own folders may hold it."""
    for folder in (package, *(ROOT / top for top in ("deploy", "web/src", "bench", "checks"))):
        if name.endswith("/") and any(p.is_dir() for p in folder.rglob(name.rstrip("/"))):
            return True
        if not name.endswith("/") and any(folder.rglob(name)):
            return True
    return False


def test_where_code_goes_names_only_modules_that_exist() -> None:
    """docs/architecture.md's "Where code goes" names real modules and every layer that the
    import contracts list."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("\n## Where code goes\n", 1)[1]
    package = ROOT / "src" / "laneway"
    for name in re.findall(r"`([a-z_]+(?:/[a-z_]+)*(?:\.py|/))`", section):
        found = (package / name).exists() or (ROOT / name).exists()
        assert found or _somewhere_in_the_package(package, name), name
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in contracts["contracts"] if c["id"] == "layers")["layers"]
    for line in layers:
        for unit in line.split("|"):
            unit = unit.strip()
            assert f"`{unit}/`" in section or f"`{unit}.py`" in section or f"`{unit}`" in section, (
                unit
            )
