"""`make secrets`: detect-secrets over every file git tracks, against the committed baseline.

A finding that is not in `.secrets.baseline` fails the check and is printed (file, line, kind).
Each file the baseline lists has its reason in `checks/secrets-reasons.toml` (a test holds
them together). Generated files are not scanned: what they are made from is.

    python -m checks.secrets [--root DIR] [--baseline FILE]

A finding that is no secret (a test's password, an example URL) goes into the baseline with
`detect-secrets scan --baseline .secrets.baseline` plus a reason, or gets an inline
`pragma: allowlist secret` comment.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from detect_secrets.core import baseline
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import transient_settings

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ".secrets.baseline"
# Generated from files that are scanned: the built board (web/src), the API types (the
# server's OpenAPI document), npm's lock (public package hashes), the bench's measurements
GENERATED = re.compile(
    r"^(src/laneway/web/dist/|web/src/openapi\.d\.ts$|web/package-lock\.json$|bench/results/)"
)


def tracked_files(root: Path) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 - git from PATH, like the developer's
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [
        name
        for name in listed.split("\0")
        if name and name != BASELINE and not GENERATED.match(name) and (root / name).is_file()
    ]


def new_secrets(root: Path, baseline_file: Path) -> list[tuple[str, int, str]]:
    """Findings in the tracked files that the baseline does not hold: (file, line, kind)."""
    known = baseline.load_from_file(str(baseline_file))
    config = {key: known[key] for key in ("plugins_used", "filters_used")}
    files = tracked_files(root)
    cwd = Path.cwd()
    os.chdir(root)  # the baseline's file names are relative to the root
    try:
        with transient_settings(config):
            accepted = SecretsCollection.load_from_baseline(known)
            found = SecretsCollection()
            found.scan_files(*files, num_processors=min(4, os.cpu_count() or 1))
            fresh = found - accepted
    finally:
        os.chdir(cwd)
    return sorted((name, secret.line_number or 0, secret.type) for name, secret in fresh)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--baseline", type=Path)
    args = parser.parse_args(argv)
    baseline_file = args.baseline or args.root / BASELINE
    found = new_secrets(args.root, baseline_file)
    for name, line, kind in found:
        print(f"{name}:{line}: {kind}", file=sys.stderr)
    if found:
        print(
            f"secret scan: {len(found)} possible secrets not in {BASELINE}: remove them, or "
            "record a false positive (see checks/secrets.py)",
            file=sys.stderr,
        )
        return 1
    print(f"secret scan: no secret beyond {BASELINE}'s reviewed entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
