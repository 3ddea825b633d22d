"""python -m bench.web: the web board in headless Chromium, on the embedded default.

Seeds `laneway demo` (a 2,000-task board) into a fresh SQLite file, serves it with
`laneway serve`, then opens the board in Debian's Chromium again and again from a cold
browser profile, and reports when it became interactive, when the live stream was up, how
long the lazily loaded task drawer took to open, a warm reload, the list view (loaded sorted by
title, then sorted by assignee), the page's DOM size and JS heap, and the size of every built
asset (raw and gzipped).

python -m bench.web              # 10 cold loads of the 2,000-task demo board
python -m bench.web --runs 3     # quicker
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, sync_playwright

from bench import servers
from laneway.web.routes import DIST

ROOT = Path(__file__).resolve().parent.parent
# Debian's Chromium (no browser download works here); the browser tests launch it the same way.
CHROMIUM = os.environ.get("LANEWAY_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling out to Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO = {"email": "demo@laneway.local", "password": "laneway-demo"}
MARKS = """() => {
  const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? null;
  const nav = performance.getEntriesByType("navigation")[0];
  return {
    interactive: at("laneway:board-interactive"),
    list_interactive: at("laneway:list-interactive"),
    live: at("laneway:live"),
    dom_content_loaded: nav.domContentLoadedEventEnd,
    dom_nodes: document.getElementsByTagName("*").length,
    cards: document.querySelectorAll(".task-card").length,
    rows: document.querySelectorAll(".list-body [role=row]").length,
    heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null,
  };
}"""
# In the page's own clock, from the click's event to the mark the app makes once the rows are
# rendered: the browser's time, without the driver's round trips.
CLICK_TIME = """() => document.addEventListener(
  "click", () => { window.clickedAt = performance.now() }, { capture: true, once: true })"""
SINCE_CLICK = """(name) => performance.getEntriesByName(name).at(-1).startTime - window.clickedAt"""


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__)
    parser.add_argument("--runs", type=int, default=10, help="cold loads of the board (10)")
    parser.add_argument("--tasks", type=int, default=2000, help="tasks on the demo board")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    return parser.parse_args()


def bundle() -> list[dict[str, Any]]:
    page = (DIST / "index.html").read_text()
    rows = []
    for path in sorted((DIST / "assets").iterdir()):
        data = path.read_bytes()
        rows.append(
            {
                "file": path.name,
                "initial": f"/assets/{path.name}" in page,
                "bytes": len(data),
                "gzip_bytes": len(gzip.compress(data, 9)),
            }
        )
    return rows


def _seed(env: dict[str, str], tasks: int) -> None:
    for command in (["migrate", "upgrade"], ["demo", "--tasks", str(tasks)]):
        subprocess.run(
            [sys.executable, "-m", "laneway", *command],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )


def _load_once(browser: Browser, base: str, token: str) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(f"localStorage.setItem('laneway.token', {token!r})")
    try:
        page = context.new_page()
        page.goto(f"{base}/p/1")
        page.wait_for_selector(".task-card")
        page.wait_for_selector('.live-status[data-status="live"]')
        row: dict[str, Any] = page.evaluate(MARKS)
        started = time.perf_counter()
        page.locator(".task-card").first.click()
        page.wait_for_selector(".drawer .title-input")
        row["drawer_open"] = (time.perf_counter() - started) * 1000
        page.goto(f"{base}/p/1")  # warm: assets from the browser cache
        page.wait_for_selector('.live-status[data-status="live"]')
        row["warm_interactive"] = page.evaluate(MARKS)["interactive"]
        # the list view, sorted by title: a warm load, then a sort by another column
        page.goto(f"{base}/p/1/list?sort=title")
        page.wait_for_selector('.live-status[data-status="live"]')
        listed = page.evaluate(MARKS)
        row["list_interactive"], row["list_rows"] = listed["list_interactive"], listed["rows"]
        page.evaluate(CLICK_TIME)
        page.get_by_role("button", name="Assignee").click()
        page.wait_for_selector('.list[data-sort="assignee"][aria-busy="false"]')
        row["list_resort"] = page.evaluate(SINCE_CLICK, "laneway:list-rows")
        return row
    finally:
        context.close()


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p95": p95, "max": ordered[-1]}


def main() -> int:
    args = _args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="laneway-web-bench-") as data_dir:
        env = {
            "LANEWAY_DATA_DIR": data_dir,
            "LANEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir}/laneway.db",
            "LANEWAY_LOG_LEVEL": "WARNING",
        }
        print(f"seeding a {args.tasks}-task demo board…", flush=True)
        _seed(env, args.tasks)
        port = servers.free_port()
        command = [sys.executable, "-m", "laneway", "serve", "--no-migrate", "--port", str(port)]
        with servers.running(command, env, "/health/ready", port) as server:
            token = httpx.post(f"{server.base}/api/v1/auth/login", json=DEMO).json()["token"]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                _load_once(browser, server.base, token)  # warm the server's caches
                runs = [_load_once(browser, server.base, token) for _ in range(args.runs)]
                version = browser.version
                browser.close()

    metrics = (
        "interactive",
        "live",
        "drawer_open",
        "warm_interactive",
        "dom_content_loaded",
        "list_interactive",
        "list_resort",
    )
    report = {
        "commit": commit,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m bench.web" + (f" --runs {args.runs}" if args.runs != 10 else ""),
        "chromium": version,
        "tasks": args.tasks,
        "runs": runs,
        "timings_ms": {m: _summary([float(r[m]) for r in runs]) for m in metrics},
        "dom_nodes": max(r["dom_nodes"] for r in runs),
        "cards_rendered": max(r["cards"] for r in runs),
        "list_rows_rendered": max(r["list_rows"] for r in runs),
        "heap_mb": max((r["heap_mb"] or 0) for r in runs),
        "bundle": bundle(),
    }
    text = markdown(report)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"web-{dt.date.today().isoformat()}-{commit or 'local'}"
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"{stem}.md").write_text(text)
    (args.out / "WEB-LATEST.md").write_text(text)
    return 0


def markdown(report: dict[str, Any]) -> str:
    names = {
        "interactive": "board interactive (cold profile)",
        "live": "live stream connected",
        "drawer_open": "task drawer open (lazy chunk, click to fields)",
        "warm_interactive": "board interactive (warm reload)",
        "dom_content_loaded": "DOMContentLoaded",
        "list_interactive": "list view interactive, sorted by title (warm load)",
        "list_resort": "list view sorted again by assignee (click to rows, in the page)",
    }
    lines = [
        f"Commit `{report['commit']}`, {report['date']}, `{report['command']}`",
        f"({report['tasks']}-task demo board on SQLite, `laneway serve`, headless Chromium "
        f"{report['chromium']}, {len(report['runs'])} cold loads, 1440x900; times from navigation"
        " start)",
        "",
        "| measure | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    for key, name in names.items():
        t = report["timings_ms"][key]
        lines.append(f"| {name} | {t['p50']:.0f} | {t['p95']:.0f} | {t['max']:.0f} |")
    lines += [
        "",
        f"DOM elements on the page: {report['dom_nodes']}; cards rendered: "
        f"{report['cards_rendered']}; list rows rendered: {report['list_rows_rendered']}; "
        f"JS heap: {report['heap_mb']:.1f} MB.",
        "",
        "| asset | loaded | bytes | gzipped |",
        "|---|---|---:|---:|",
    ]
    for row in report["bundle"]:
        when = "initially" if row["initial"] else "lazily"
        lines.append(f"| {row['file']} | {when} | {row['bytes']:,} | {row['gzip_bytes']:,} |")
    initial_js = sum(
        r["gzip_bytes"] for r in report["bundle"] if r["initial"] and r["file"].endswith(".js")
    )
    lines += ["", f"Initial JavaScript: {initial_js:,} bytes gzipped (budget 30,720).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
