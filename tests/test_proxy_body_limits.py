"""Every proxy in front of Laneway takes the bodies the app takes, and no more than it needs:
deploy/'s nginx files, the Kubernetes Ingresses, the docs' nginx example and `make cluster`'s
nginx, each read as its proxy reads it, against src/laneway/body_limits.py."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import crossplane
import pytest
import yaml

from deploy.local.cluster import NGINX, Cluster
from laneway import body_limits
from laneway.body_limits import MIB, BodyLimit
from laneway.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DEFAULT = ""  # the key of a proxy's limit for every path no upload location takes
NGINX_DEFAULT = "1m"  # nginx's and ingress-nginx's own client_max_body_size
# A proxy's limit may exceed the app's by this much (its own unit is the MiB, and it stays
# above the app's so the app answers with its 413 problem response): more is needless room
HEADROOM = 2 * MIB


def size(text: str) -> int:
    """nginx's size syntax: 1024, 512k, 2m, 1g."""
    match = re.fullmatch(r"(\d+)([kmg]?)", text.lower())
    assert match, f"{text!r} is no nginx size"
    return int(match[1]) * {"": 1, "k": 1024, "m": MIB, "g": 1024 * MIB}[match[2]]


def _blocks(parsed: list[dict[str, Any]], name: str) -> Iterator[dict[str, Any]]:
    for directive in parsed:
        if directive["directive"] == name and "block" in directive:  # not upstream's server
            yield directive
        yield from _blocks(directive.get("block", []), name)


def _own_limit(block: list[dict[str, Any]]) -> int | None:
    found = [d["args"][0] for d in block if d["directive"] == "client_max_body_size"]
    return size(found[-1]) if found else None


def nginx_limits(path: Path) -> dict[str, int]:
    """Each location's body limit, by its regular expression (`location ~ RE`); DEFAULT for
    the server's plain locations. Inherited as nginx inherits it: http, server, location."""
    parsed = crossplane.parse(str(path), single=True, check_ctx=False, comments=False)
    assert parsed["status"] == "ok", parsed["errors"]
    config = parsed["config"][0]["parsed"]
    (http,) = list(_blocks(config, "http")) or [{"block": config}]  # a file of http's context
    outer = _own_limit(http["block"]) or size(NGINX_DEFAULT)
    limits: dict[str, int] = {}
    for server in _blocks(http["block"], "server"):
        default = _own_limit(server["block"]) or outer
        for location in _blocks(server["block"], "location"):
            key = location["args"][-1] if location["args"][0] in ("~", "~*") else DEFAULT
            limit = _own_limit(location["block"]) or default
            limits[key] = max(limits.get(key, 0), limit)
    return limits


def ingress_limits() -> dict[str, int]:
    """The same for ingress-nginx: each Ingress's proxy-body-size applies to its paths; with
    use-regex the controller anchors a path with ^ and matches it as a regular expression."""
    limits: dict[str, int] = {}
    for file in sorted((DEPLOY / "kubernetes").glob("ingress*.yaml")):
        ingress = yaml.safe_load(file.read_text())
        annotations = ingress["metadata"].get("annotations", {})
        limit = size(annotations.get("nginx.ingress.kubernetes.io/proxy-body-size", "1m"))
        regex = annotations.get("nginx.ingress.kubernetes.io/use-regex") == "true"
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                key = f"^{path['path']}" if regex and path["path"] != "/" else DEFAULT
                limits[key] = max(limits.get(key, 0), limit)
    return limits


def docs_example(tmp_path: Path) -> Path:
    """docs/operations.md's nginx example, as a file nginx's parser reads."""
    guide = (ROOT / "docs" / "operations.md").read_text()
    (block,) = re.findall(r"```nginx\n(.*?)```", guide, flags=re.DOTALL)
    path = tmp_path / "example.conf"
    path.write_text(block)
    return path


def make_cluster_config(tmp_path: Path) -> Path:
    cluster = Cluster(database_url="unused", redis_url="unused", directory=tmp_path)
    return cluster.write_nginx_config()


def assert_follows(limits: dict[str, int], app: list[BodyLimit], where: str) -> None:
    uploads = {limit.path: limit for limit in app if limit.path}
    (default,) = (limit for limit in app if not limit.path)
    for limit in uploads.values():
        assert limit.path in limits, f"{where}: no location for {limit.name} ({limit.path})"
    for key, proxy in limits.items():
        wanted = uploads.get(key, default)
        assert proxy >= wanted.max_bytes, (
            f"{where}: {key or 'default'} takes {proxy} bytes, the app {wanted.max_bytes} "
            f"({wanted.setting}): raise it to {wanted.proxy_size}"
        )
        assert proxy <= wanted.max_bytes + HEADROOM, (
            f"{where}: {key or 'default'} takes {proxy} bytes where the app takes only "
            f"{wanted.max_bytes} ({wanted.setting}): lower it to {wanted.proxy_size}"
        )


CONFIGS = {
    "deploy/nginx/laneway.conf": lambda _tmp: DEPLOY / "nginx" / "laneway.conf",
    "deploy/nginx/laneway-tls.conf": lambda _tmp: DEPLOY / "nginx" / "laneway-tls.conf",
    "docs/operations.md": docs_example,
    "make cluster": make_cluster_config,
}


@pytest.mark.parametrize("where", CONFIGS)
def test_each_nginx_config_takes_what_the_app_takes(where: str, tmp_path: Path) -> None:
    limits = nginx_limits(CONFIGS[where](tmp_path))
    assert_follows(limits, body_limits.every(Settings()), where)


def test_the_ingresses_take_what_the_app_takes() -> None:
    assert_follows(ingress_limits(), body_limits.every(Settings()), "deploy/kubernetes")


def test_make_cluster_follows_the_replicas_settings(tmp_path: Path) -> None:
    """Its nginx is rendered from the settings in the replicas' environment."""
    cluster = Cluster(
        database_url="unused",
        redis_url="unused",
        directory=tmp_path,
        env={"LANEWAY_ATTACHMENTS_MAX_BYTES": str(100 * MIB)},
    )
    limits = nginx_limits(cluster.write_nginx_config())
    assert limits[body_limits.UPLOAD_PATHS] == 102 * MIB  # 100 MiB + framing, + a MiB


def test_the_check_reads_limits_as_nginx_does(tmp_path: Path) -> None:
    """A location without its own limit inherits the server's, which inherits http's."""
    config = tmp_path / "nginx.conf"
    config.write_text(
        "http { client_max_body_size 4m; server {\n"
        "  location / { }\n"
        "  location ~ ^/a$ { client_max_body_size 10m; }\n"
        "  location ~ ^/b$ { }\n"
        "} }\n"
    )
    assert nginx_limits(config) == {DEFAULT: 4 * MIB, "^/a$": 10 * MIB, "^/b$": 4 * MIB}
    app = [BodyLimit("a", "^/a$", 9 * MIB, "A"), BodyLimit("default", "", MIB, "D")]
    with pytest.raises(AssertionError, match="default takes 4194304 bytes where the app"):
        assert_follows(nginx_limits(config), app, "here")
    with pytest.raises(AssertionError, match="no location for a"):
        assert_follows({DEFAULT: MIB}, app, "here")
    with pytest.raises(AssertionError, match="raise it to 10m"):
        assert_follows({DEFAULT: MIB, "^/a$": 8 * MIB}, app, "here")


class _Upstream(BaseHTTPRequestHandler):
    """Stands for a replica: reads the whole body and says how long it was."""

    def do_POST(self) -> None:
        length = len(self.rfile.read(int(self.headers["Content-Length"])))
        body = str(length).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[int]:
    """`make cluster`'s nginx for real, in front of a stand-in replica; yields its port."""
    if not os.access(NGINX, os.X_OK):
        pytest.fail(f"nginx is missing ({NGINX}): `make nginx` installs Debian's package")
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    cluster = Cluster(
        database_url="unused",
        redis_url="unused",
        directory=tmp_path,
        port=_free_port(),
        app_ports=(upstream.server_port,),
    )
    config = cluster.write_nginx_config()
    nginx = subprocess.Popen(  # noqa: S603 - Debian's nginx on our config
        [NGINX, "-p", str(tmp_path), "-e", "nginx-error.log", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", cluster.port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "nginx-error.log").read_text()
                time.sleep(0.05)
        yield cluster.port
    finally:
        nginx.terminate()
        nginx.wait(10)
        upstream.shutdown()
        upstream.server_close()


def _post(port: int, path: str, size: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, body=b"x" * size)
        return connection.getresponse().status
    finally:
        connection.close()


def test_nginx_lets_each_upload_through_and_stops_the_rest(proxied: int) -> None:
    """A 5 MiB import and a 5 MiB attachment reach the replica; 5 MiB anywhere else is
    refused by nginx (413) before it does."""
    assert _post(proxied, "/api/v1/projects/7/imports", 5 * MIB) == 200
    assert _post(proxied, "/api/v1/imports", 5 * MIB) == 200
    assert _post(proxied, "/api/v1/tasks/3/attachments", 5 * MIB) == 200
    assert _post(proxied, "/api/v1/projects", 5 * MIB) == 413
    assert _post(proxied, "/api/v1/projects", MIB) == 200  # the app's own limit decides
