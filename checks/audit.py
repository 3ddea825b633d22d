"""`make audit`: known advisories against the dependencies, Python's and the web app's.

- Python: pip-audit over the installed environment (what `pip install -e '.[test]'` resolved;
  the project itself is skipped), through PyPI's JSON API (`--vulnerability-service pypi`).
- Web: `npm audit --omit=dev` over web/package-lock.json (only what ships in the bundle).

An advisory fails the check unless checks/advisories-allowed.toml names it with a reason.

When the advisory source cannot be asked (no network, or a registry mirror that does not serve
the advisory endpoints), the audit did not happen: the check says so on stderr, naming what
went unchecked, and exits 0 so the other checks still run. With `--require` (`make audit
AUDIT_REQUIRE=1`) it exits 2 instead: use that where the sources are reachable.

    python -m checks.audit [--require] [--only python|web]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = Path(__file__).with_name("advisories-allowed.toml")


@dataclass(frozen=True)
class Advisory:
    source: str  # python or web
    package: str
    version: str
    ids: frozenset[str]  # the advisory's id and its aliases
    summary: str = ""


@dataclass
class Report:
    source: str
    advisories: list[Advisory] = field(default_factory=list)
    checked: int = 0
    unchecked: list[str] = field(default_factory=list)  # what the source could not answer for
    problem: str = ""  # why, when it could not be asked at all


def allowed(path: Path = ALLOWED) -> dict[str, str]:
    """Each allowed advisory id with its reason; an entry without a reason is refused."""
    entries = tomllib.loads(path.read_text()).get("allow", [])
    reasons = {}
    for entry in entries:
        if not str(entry.get("reason", "")).strip() or not entry.get("id"):
            raise ValueError(f"{path.name}: every entry needs an id and a reason: {entry}")
        reasons[str(entry["id"])] = str(entry["reason"])
    return reasons


def read_pip_audit(document: dict[str, Any]) -> Report:
    """pip-audit's `--format json` report."""
    report = Report("python")
    for dependency in document.get("dependencies", []):
        name, version = dependency["name"], dependency.get("version", "")
        if "skip_reason" in dependency:
            report.unchecked.append(dependency["skip_reason"])
            continue
        report.checked += 1
        for vuln in dependency.get("vulns", []):
            ids = frozenset([vuln["id"], *vuln.get("aliases", [])])
            report.advisories.append(
                Advisory("python", name, version, ids, vuln.get("description", "")[:200])
            )
    return report


def read_npm_audit(document: dict[str, Any]) -> Report:
    """`npm audit --json` (npm 7 and later)."""
    report = Report("web")
    if "error" in document or "vulnerabilities" not in document:
        error = document.get("error", {})
        summary = error.get("summary") or document.get("message") or "no audit report"
        report.problem = f"npm audit could not ask the registry: {summary}".strip()
        return report
    report.checked = document.get("metadata", {}).get("dependencies", {}).get("prod", 0)
    for name, entry in document["vulnerabilities"].items():
        for via in entry.get("via", []):
            if isinstance(via, dict):  # a string names the dependency it comes through
                url = str(via.get("url", ""))
                ids = {url.rsplit("/", 1)[-1]} if url else set()
                ids.add(str(via.get("source", "")))
                report.advisories.append(
                    Advisory("web", name, entry.get("range", ""), frozenset(ids), via["title"])
                )
    return report


def run_pip_audit(*targets: str) -> Report:
    """`targets`: pip-audit's own arguments for what to audit; none: this environment."""
    command = [
        sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off",
        "--vulnerability-service", "pypi", *(targets or ["--skip-editable"]),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)  # noqa: S603
    try:
        return read_pip_audit(json.loads(done.stdout))
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Report("python", problem=f"pip-audit gave no report: {last}")


def run_npm_audit(web: Path = ROOT / "web", registry: str | None = None) -> Report:
    command = ["npm", "audit", "--omit=dev", "--json"]
    if registry is not None:
        command.append(f"--registry={registry}")
    done = subprocess.run(  # noqa: S603
        command, cwd=web, capture_output=True, text=True, check=False, timeout=300
    )
    try:
        return read_npm_audit(json.loads(done.stdout))
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Report("web", problem=f"npm audit gave no report: {last}")


def judge(reports: list[Report], reasons: dict[str, str], require: bool) -> tuple[int, list[str]]:
    """The exit code and the lines to print: 1 for an advisory nobody allowed; 2 with
    `require` for an audit that could not run (fully or for some packages); else 0."""
    lines, failed, incomplete = [], False, False
    for report in reports:
        for advisory in report.advisories:
            allowed_as = sorted(advisory.ids & reasons.keys())
            ids = ", ".join(sorted(advisory.ids - {""}))
            what = f"{report.source}: {advisory.package} {advisory.version}: {ids}"
            if allowed_as:
                lines.append(f"allowed {what} ({reasons[allowed_as[0]]})")
            else:
                failed = True
                lines.append(f"ADVISORY {what}: {advisory.summary}")
        if report.problem:
            incomplete = True
            lines.append(f"NOT CHECKED {report.source}: {report.problem}")
        elif report.unchecked:
            incomplete = True
            total = report.checked + len(report.unchecked)
            lines.append(
                f"NOT CHECKED {report.source}: {len(report.unchecked)} of {total} packages "
                f"could not be looked up, e.g. {report.unchecked[0]}"
            )
        else:
            lines.append(f"checked {report.source}: {report.checked} packages")
    if failed:
        return 1, lines
    if incomplete:
        how = "failing (--require)" if require else "passing without it; --require fails"
        lines.append(f"the dependency audit is INCOMPLETE: {how}")
        return (2 if require else 0), lines
    return 0, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--require", action="store_true", help="fail when a source is away")
    parser.add_argument("--only", choices=["python", "web"])
    args = parser.parse_args(argv)
    reports = []
    if args.only in (None, "python"):
        reports.append(run_pip_audit())
    if args.only in (None, "web"):
        reports.append(run_npm_audit())
    code, lines = judge(reports, allowed(), args.require)
    for line in lines:
        print(line, file=sys.stdout if line.startswith(("checked", "allowed")) else sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
