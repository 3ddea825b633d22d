"""A local Laneway cluster: replicas of `laneway serve` on PostgreSQL and Redis, one `laneway
worker`, and nginx in front of them on one loopback port.

    .venv/bin/python -m deploy.local.cluster --database-url postgresql+asyncpg://... \\
        --redis-url redis://127.0.0.1:6379/0      (or: make cluster)

Every process is a child of this one, with its log, nginx's generated configuration and its
access log in one directory; Ctrl-C (or SIGTERM) stops them all. The tests start the same
cluster through `Cluster` (tests/test_cluster_nginx.py).

It runs Laneway as `python -m laneway` with this interpreter and imports none of it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

NGINX = "/usr/sbin/nginx"
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
HOST = "127.0.0.1"
STOP_SECONDS = 15  # the apps bound their own graceful stop at 10 s


class ClusterError(RuntimeError):
    """The cluster could not start: what failed, with the end of its log."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 20) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Cluster:
    database_url: str
    redis_url: str
    directory: Path
    port: int = 8080
    app_ports: tuple[int, ...] = (8081, 8082)
    redis_prefix: str = "laneway-cluster"
    worker_interval: float = 300.0
    env: Mapping[str, str] = field(default_factory=dict)  # more LANEWAY_* settings for all
    python: str = sys.executable
    nginx: str = NGINX
    children: list[Child] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def app_urls(self) -> list[str]:
        return [f"http://{HOST}:{port}" for port in self.app_ports]

    @property
    def access_log(self) -> Path:
        return self.directory / "access.log"

    def start(self, timeout: float = 60) -> None:
        """Migrate, start every process and return once nginx answers through to a ready
        replica; on any failure everything started is stopped and ClusterError raised."""
        if not os.access(self.nginx, os.X_OK):
            raise ClusterError(
                f"nginx is not installed at {self.nginx}: `make nginx` installs Debian's package"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            self._migrate(timeout)
            for number, port in enumerate(self.app_ports, 1):
                serve = ("serve", "--no-migrate", "--host", HOST, "--port", str(port))
                self._spawn(f"app-{number}", [self.python, "-m", "laneway", *serve])
            self._spawn("worker", [self.python, "-m", "laneway", "worker"])
            config = self.write_nginx_config()
            prefix = str(self.directory.resolve())
            self._spawn(
                "nginx", [self.nginx, "-p", prefix, "-e", "nginx-error.log", "-c", str(config)]
            )
            deadline = time.monotonic() + timeout
            for base in [*self.app_urls, self.url]:
                self._wait_ready(base, deadline)
        except BaseException:
            self.stop()
            raise

    def _environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "LANEWAY_DATABASE_URL": self.database_url,
            "LANEWAY_REDIS_URL": self.redis_url,
            "LANEWAY_REDIS_PREFIX": self.redis_prefix,
            "LANEWAY_HTTP_PUBLIC_URL": self.url,
            "LANEWAY_HTTP_TRUSTED_PROXIES": "127.0.0.1",  # nginx, whose X-Forwarded-For counts
            "LANEWAY_WORKER_INTERVAL_SECONDS": str(self.worker_interval),
            # the worker runs the jobs and the housekeeping; the replicas only serve
            "LANEWAY_JOBS_IN_PROCESS": "false",
            **self.env,
        }

    def _migrate(self, timeout: float) -> None:
        log = self.directory / "migrate.log"
        try:
            with log.open("wb") as out:
                migrated = subprocess.run(  # noqa: S603 - our own CLI
                    [self.python, "-m", "laneway", "migrate", "upgrade"],
                    env=self._environment(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                    check=False,
                )
        except subprocess.TimeoutExpired:
            raise ClusterError(f"`laneway migrate upgrade` took over {timeout:g} s") from None
        if migrated.returncode != 0:
            raise ClusterError(f"`laneway migrate upgrade` failed:\n{log.read_text()}")

    def _spawn(self, name: str, command: list[str]) -> None:
        log = self.directory / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - fixed commands of our own
                command,
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                # its own process group: Ctrl-C reaches this launcher only, which stops the
                # children in order (nginx first, so no request meets a stopping replica)
                start_new_session=True,
            )
        self.children.append(Child(name, process, log))

    def write_nginx_config(self) -> Path:
        values = {
            "directory": str(self.directory.resolve()),
            "listen": f"{HOST}:{self.port}",
            "servers": "\n".join(
                f"        server {HOST}:{port} max_fails=1 fail_timeout=2s;"
                for port in self.app_ports
            ),
            **_body_limits(self.python, self._environment()),
        }
        text = re.sub(r"\{\{(\w+)\}\}", lambda match: values[match[1]], TEMPLATE.read_text())
        path = self.directory.resolve() / "nginx.conf"
        path.write_text(text)
        return path

    def _wait_ready(self, base: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            for child in self.children:
                if child.process.poll() is not None:
                    raise ClusterError(
                        f"{child.name} exited with {child.process.returncode}:\n{child.tail()}"
                    )
            if _ready(f"{base}/health/ready"):
                return
            time.sleep(0.1)
        raise ClusterError(f"{base} was not ready in time")

    def exited(self) -> list[Child]:
        return [child for child in self.children if child.process.poll() is not None]

    def stop(self) -> None:
        """nginx first, then the replicas and the worker (SIGTERM: each stops gracefully);
        whatever is still running after STOP_SECONDS is killed, with its process group."""
        for child in sorted(self.children, key=lambda child: child.name != "nginx"):
            _signal(child, signal.SIGTERM)
            if child.name == "nginx":
                _wait(child, 5)
        deadline = time.monotonic() + STOP_SECONDS
        for child in self.children:
            if not _wait(child, max(0.0, deadline - time.monotonic())):
                _signal(child, signal.SIGKILL)  # with its group: nginx's or uvicorn's workers
                child.process.wait()
        self.children.clear()

    def access_entries(self) -> Iterator[dict[str, Any]]:
        if self.access_log.exists():
            for line in self.access_log.read_text().splitlines():
                yield json.loads(line)

    def served_by(self) -> Counter[str]:
        """Requests per replica ("127.0.0.1:8081"), from nginx's access log."""
        return Counter(
            address.strip()
            for entry in self.access_entries()
            for address in entry["upstream_addr"].split(",")
            if address.strip()
        )

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()


# Prints the body limits the replicas will enforce, read in their environment
_BODY_LIMITS = """
import json
from laneway import body_limits
from laneway.config import Settings
settings = Settings()
print(json.dumps({
    "default": body_limits.default(settings).proxy_size,
    "uploads": [[limit.path, limit.proxy_size, limit.setting]
                for limit in body_limits.uploads(settings)],
}))
"""


def _body_limits(python: str, environment: Mapping[str, str]) -> dict[str, str]:
    """The template's body limits: src/laneway/body_limits.py's, as the replicas see them."""
    found = subprocess.run(  # noqa: S603 - our own code
        [python, "-c", _BODY_LIMITS],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if found.returncode != 0:
        raise ClusterError(f"reading the body limits failed:\n{found.stderr}")
    limits = json.loads(found.stdout)
    locations = [
        f"        location ~ {path} {{\n"
        f"            client_max_body_size {size};  # {setting}\n"
        "            proxy_request_buffering off;  # streamed on: never spooled to disk\n"
        "            proxy_pass http://laneway;\n"
        "        }"
        for path, size, setting in limits["uploads"]
    ]
    return {"default_body_size": limits["default"], "upload_locations": "\n".join(locations)}


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - loopback http
            return bool(answer.status == 200)
    except (OSError, http.client.HTTPException):  # URLError is an OSError
        return False


def _signal(child: Child, signum: int) -> None:
    """To the child's process group, while the child has not been reaped (its id is ours)."""
    if child.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, signum)


def _wait(child: Child, seconds: float) -> bool:
    try:
        child.process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def create_database(database_url: str) -> bool:
    """CREATE DATABASE for the URL's database unless it exists; True if it was made."""
    import asyncpg  # laneway's own PostgreSQL driver, in the same virtualenv

    parts = urlsplit(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ClusterError(f"unexpected database name {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))

    async def run() -> bool:
        connection = await asyncpg.connect(admin, timeout=5)
        try:
            if await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return False
            await connection.execute(f'CREATE DATABASE "{name}"')
            return True
        finally:
            await connection.close()

    return asyncio.run(run())


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Replicas of laneway serve, a worker and nginx in front, on loopback."
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LANEWAY_DATABASE_URL"),
        help="postgresql+asyncpg://... (default: $LANEWAY_DATABASE_URL)",
    )
    parser.add_argument(
        "--create-database", action="store_true", help="create the database if it is missing"
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("LANEWAY_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--redis-prefix", default="laneway-cluster")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
    parser.add_argument(
        "--apps", type=int, default=2, help="replicas, on the ports after nginx's (default 2)"
    )
    parser.add_argument("--worker-interval", type=float, default=300.0, help="seconds")
    parser.add_argument(
        "--directory", type=Path, help="logs and nginx.conf (default: a new temporary directory)"
    )
    arguments = parser.parse_args(argv)
    if not arguments.database_url or not arguments.database_url.startswith("postgresql"):
        parser.error("--database-url postgresql+asyncpg://... is required (replicas share it)")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    directory = arguments.directory or Path(tempfile.mkdtemp(prefix="laneway-cluster-"))
    cluster = Cluster(
        database_url=arguments.database_url,
        redis_url=arguments.redis_url,
        directory=directory,
        port=arguments.port,
        app_ports=tuple(arguments.port + n for n in range(1, arguments.apps + 1)),
        redis_prefix=arguments.redis_prefix,
        worker_interval=arguments.worker_interval,
    )
    try:
        if arguments.create_database and create_database(arguments.database_url):
            print(f"created database {urlsplit(arguments.database_url).path.lstrip('/')}")
        cluster.start()
    except (ClusterError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    replicas = ", ".join(url.removeprefix("http://") for url in cluster.app_urls)
    print(f"Laneway cluster: open {cluster.url}  (nginx -> replicas {replicas})")
    print(f"worker every {arguments.worker_interval:g} s; logs and nginx.conf in {directory}")
    print("Ctrl-C stops everything.", flush=True)
    reported: set[str] = set()
    try:
        # a replica or the worker that exits is reported, and the rest go on (kill a replica
        # to watch the other take over); without nginx nothing is reachable: stop
        while not stopping and "nginx" not in reported:
            for child in cluster.exited():
                if child.name not in reported:
                    reported.add(child.name)
                    code = child.process.returncode
                    print(f"{child.name} exited ({code}):\n{child.tail(5)}", file=sys.stderr)
            time.sleep(0.5)
    finally:
        served = cluster.served_by()
        cluster.stop()
    for address, count in sorted(served.items()):
        print(f"requests answered by {address}: {count}")
    print(f"logs kept in {directory}")
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
