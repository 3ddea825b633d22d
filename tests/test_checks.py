"""`make audit` and `make secrets` (checks/): an advisory nobody allowed fails, an audit that could
not ask its source says so, a planted secret fails the scan, and every reviewed exception has
its reason."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from checks import audit

ROOT = Path(__file__).resolve().parent.parent
GHSA = "GHSA-test-0000-0001"
# the version web/package-lock.json holds
PREACT = json.loads((ROOT / "web" / "package-lock.json").read_text())["packages"][
    "node_modules/preact"
]["version"]


# --- the dependency audit -------------------------------------------------------------------


class _Advisories(BaseHTTPRequestHandler):
    """npm's bulk advisory endpoint, as a registry answers it: one advisory for preact."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps(
            {
                "preact": [
                    {
                        "id": 1,
                        "url": f"https://github.com/advisories/{GHSA}",
                        "title": "a planted advisory",
                        "severity": "high",
                        "vulnerable_versions": "<99.0.0",
                        "cwe": [],
                        "cvss": {"score": 7.5, "vectorString": None},
                    }
                ]
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """The package's document, from which npm works out which versions are affected."""
        if self.path.strip("/") != "preact":
            self.send_error(404)
            return
        version = {"name": "preact", "version": PREACT, "dist": {"tarball": "x"}}
        body = json.dumps({"name": "preact", "versions": {PREACT: version}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def registry() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Advisories)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def web(tmp_path: Path) -> Path:
    """web/'s manifest and lock, which is all npm audit reads."""
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / "web" / name, tmp_path / name)
    return tmp_path


def test_npm_audit_advisories_fail_unless_allowed_with_a_reason(web: Path, registry: str) -> None:
    if shutil.which("npm") is None:
        pytest.fail("npm is missing: the web checks need Node 20 and npm")
    report = audit.run_npm_audit(web, registry=registry)
    assert not report.problem
    (advisory,) = report.advisories
    assert (advisory.package, GHSA in advisory.ids) == ("preact", True)
    code, lines = audit.judge([report], {}, require=False)
    assert code == 1
    assert any(line.startswith("ADVISORY web: preact") for line in lines)
    code, lines = audit.judge([report], {GHSA: "not reachable here"}, require=True)
    assert code == 0
    assert any("(not reachable here)" in line for line in lines)


def test_an_audit_that_cannot_ask_its_source_says_so(web: Path) -> None:
    """A registry that refuses the advisory endpoint (405 here): NOT CHECKED, never a pass in
    silence; --require turns it into a failure."""
    report = audit.run_npm_audit(web, registry="http://127.0.0.1:9/")  # nothing listens on 9
    assert report.problem
    code, lines = audit.judge([report], {}, require=False)
    assert code == 0
    assert lines[0].startswith("NOT CHECKED web: ")
    assert "INCOMPLETE" in lines[-1]
    assert audit.judge([report], {}, require=True)[0] == 2


def test_pip_audit_reports_are_read_and_judged() -> None:
    """pip-audit's JSON: a vulnerable package, one audited clean, one it could not look up."""
    document = {
        "dependencies": [
            {"name": "jinja2", "version": "2.10", "vulns": [
                {"id": "PYSEC-2019-217", "aliases": ["CVE-2019-10906", "GHSA-462w-v97r-4m45"],
                 "fix_versions": ["2.10.1"], "description": "sandbox escape"},
            ]},
            {"name": "idna", "version": "3.10", "vulns": []},
            {"name": "private-thing", "skip_reason": "Dependency not found on PyPI"},
        ],
        "fixes": [],
    }  # fmt: skip
    report = audit.read_pip_audit(document)
    assert (report.checked, len(report.unchecked)) == (2, 1)
    code, lines = audit.judge([report], {"CVE-2019-10906": "templates are ours"}, require=True)
    assert code == 2  # allowed, but one package went unchecked
    assert lines[0] == (
        "allowed python: jinja2 2.10: CVE-2019-10906, GHSA-462w-v97r-4m45, PYSEC-2019-217 "
        "(templates are ours)"
    )
    assert lines[1].startswith("NOT CHECKED python: 1 of 3 packages")
    assert audit.judge([report], {}, require=False)[0] == 1


@pytest.mark.system
def test_pip_audit_runs_and_never_passes_unheard(tmp_path: Path) -> None:
    """The real pip-audit on one pinned requirement: either it checked it, or the report says
    it could not (where PyPI's per-version JSON API is out of reach)."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("idna==3.10\n")
    report = audit.run_pip_audit("--no-deps", "--disable-pip", "-r", str(requirements))
    assert report.checked + len(report.unchecked) == 1 or report.problem
    code, lines = audit.judge([report], {}, require=True)
    if report.checked:
        assert (code, lines) == (0, ["checked python: 1 packages"])
    else:
        assert code == 2
        assert lines[0].startswith("NOT CHECKED python")


def test_every_allowed_advisory_names_a_reason(tmp_path: Path) -> None:
    entries = tomllib.loads(audit.ALLOWED.read_text())["allow"]
    assert all(entry["reason"].strip() for entry in entries)
    unexplained = tmp_path / "allowed.toml"
    unexplained.write_text('[[allow]]\nid = "GHSA-x"\npackage = "x"\nreason = ""\n')
    with pytest.raises(ValueError, match="needs an id and a reason"):
        audit.allowed(unexplained)


# --- the secret scan ------------------------------------------------------------------------

PLANTED_KEY = "\n".join(
    [
        "-----BEGIN RSA PRIVATE KEY-----",  # pragma: allowlist secret
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t",  # pragma: allowlist secret
        "-----END RSA PRIVATE KEY-----",
    ]
)


def _scan(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own check
        [sys.executable, "-m", "checks.secrets", "--root", str(root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.system
def test_the_secret_scan_fails_on_a_planted_key(tmp_path: Path) -> None:
    """A repository with the committed baseline's settings and no accepted entries: clean, it
    passes; a private key added and tracked fails it, named by file and line."""
    git = ["git", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)  # noqa: S603
    baseline = json.loads((ROOT / ".secrets.baseline").read_text())
    (tmp_path / ".secrets.baseline").write_text(json.dumps({**baseline, "results": {}}))
    (tmp_path / "app.py").write_text('GREETING = "hello"\n')
    subprocess.run([*git, "add", "."], check=True)  # noqa: S603
    clean = _scan(tmp_path)
    assert clean.returncode == 0, clean.stderr
    (tmp_path / "settings.py").write_text(f'KEY = """\n{PLANTED_KEY}\n"""\n')
    subprocess.run([*git, "add", "settings.py"], check=True)  # noqa: S603
    planted = _scan(tmp_path)
    assert planted.returncode == 1
    assert "settings.py:2: Private Key" in planted.stderr


def test_every_baseline_entry_has_its_reason() -> None:
    baseline = json.loads((ROOT / ".secrets.baseline").read_text())
    reasons = tomllib.loads((ROOT / "checks" / "secrets-reasons.toml").read_text())["files"]
    assert set(baseline["results"]) == set(reasons)
    assert all(reason.strip() for reason in reasons.values())
