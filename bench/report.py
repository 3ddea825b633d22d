"""The bench report: a Markdown table, a JSON document and a latency chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# (ours, reference, meaning, the target for the ratio, if it set one)
RATIOS: tuple[tuple[str, str, str, float | None], ...] = (
    ("board-304", "ref-small", "304 board vs bare small JSON", 0.30),
    ("board", "ref-board-bytes", "board (unchanged) vs the same bytes from bare Starlette", 0.25),
    ("board-cold", "ref-board-bytes", "board after a change vs the same bytes", 0.04),
    ("list", "ref-board-bytes", "list of 100 vs the board's bytes", 0.08),
    ("create", "ref-insert", "create (spread) vs bare asyncpg INSERT", 0.30),
    ("create-one", "ref-insert", "create (one project) vs bare asyncpg INSERT", 0.30),
    ("move", "ref-insert", "move (one project) vs bare asyncpg INSERT", 0.30),
    # Laneway against a plain CRUD app of the same stack (bench/reference_crud.py): no target
    ("create", "ref-crud-create", "create (spread) vs a plain FastAPI CRUD create", None),
    ("move", "ref-crud-update", "move vs a plain FastAPI CRUD update", None),
)


def ratios(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for ours, ref, meaning, target in RATIOS:
        if ours in rows and ref in rows and rows[ref]["rps"]:
            found.append(
                {
                    "laneway": ours,
                    "reference": ref,
                    "meaning": meaning,
                    "ratio": round(rows[ours]["rps"] / rows[ref]["rps"], 3),
                    "target": target,
                }
            )
    return found


def sustained_ratio(live: dict[str, Any]) -> float | None:
    reference = live["reference"]["sustained_per_s"]
    return round(live["laneway"]["sustained_per_s"] / reference, 3) if reference else None


def fanout_table(live: dict[str, Any] | None) -> list[str]:
    if not live:
        return []
    ours = live["laneway"]
    lines = [
        "",
        f"Live fan-out: {ours['viewers']} viewers of one project, {ours['step_s']:g} s per rate, "
        f"{ours['message_bytes']}-byte event messages. Latency is from the event's commit to its "
        "receipt; CPU is per delivery, of the server processes and of the client (driver and "
        "viewer processes).",
        "",
        "| server | changes/s sent | events/s | deliveries/s | p50 ms | p95 ms | p99 ms | missed "
        "| duplicates | resumes | changes shed | server CPU µs/delivery "
        "| client CPU µs/delivery |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label in (("laneway", "Laneway"), ("reference", "ref-fanout")):
        lines.extend(
            f"| {label} | {step['rate']:g} | {step['achieved_per_s']:g} "
            f"| {step['deliveries_per_s']:,} | {step['p50_ms']} | {step['p95_ms']} "
            f"| {step['p99_ms']} | {step['missed']} | {step['duplicates']} | {step['resumes']} "
            f"| {step.get('shed', 0)} "
            f"| {step['server_cpu_us']} | {step['client_cpu_us']} |"
            for step in (live.get(name) or {}).get("steps", ())
        )
    lines += ["", "| sustained (p99 ≤ 100 ms, nothing missed) | events/s |", "|---|---:|"]
    for name, label in (("laneway", "Laneway"), ("reference", "ref-fanout")):
        if live.get(name):
            lines.append(f"| {label} | {live[name]['sustained_per_s']:g} |")
    if live.get("ratio") is not None:
        lines.append(f"| Laneway / ref-fanout | {live['ratio']:.2f} |")
    return lines


def markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        f"Commit `{meta['commit']}`, {meta['date']}, `{meta['command']}`",
        f"({meta['clients']} clients, {meta['duration_s']} s per workload after "
        f"{meta['warmup_s']} s warm-up; {meta['workers']} uvicorn workers; PostgreSQL "
        f"{meta['postgres']}; {meta['cpus']} CPUs; dataset: {meta['dataset']}).",
        "",
        "| workload | req/s | p50 ms | p95 ms | p99 ms | errors | SQL/req | app CPU ms/req "
        "| PG CPU ms/req | peak RSS MB/worker |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in report["workloads"].items():
        errors = sum(row["errors"].values())
        lines.append(
            f"| {name} | {row['rps']:,.0f} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} "
            f"| {row['p99_ms']:.1f} | {errors} | {row.get('statements', '')} "
            f"| {row.get('app_cpu_ms', 0):.2f} | {row.get('pg_cpu_ms', 0):.2f} "
            f"| {row.get('peak_rss_mb', 0):.0f} |"
        )
    lines += fanout_table(report.get("fanout"))
    soaked = report.get("soak")
    if soaked:
        lines += [
            "",
            f"Soak: the mixed workload for {soaked['seconds']:g} s ({soaked['rps']:,.0f} req/s), "
            "each worker's memory sampled as it ran.",
            "",
            "| RSS MB per worker after 1 min | at the end | growth since minute 1 "
            "| peak RSS MB/worker |",
            "|---|---|---:|---:|",
            f"| {soaked['rss_mb_after_first_minute']} | {soaked['rss_mb_at_end']} "
            f"| {soaked['growth_mb_after_first_minute']} | {soaked['peak_rss_mb_per_worker']} |",
        ]
    lines += ["", "| ratio | value | target |", "|---|---:|---:|"]
    lines += [f"| {r['meaning']} | {r['ratio']:.3f} | {_target(r)} |" for r in report["ratios"]]
    return "\n".join(lines) + "\n"


def _target(ratio: dict[str, Any]) -> str:
    target = ratio.get("target")
    if target is None:
        return ""
    return f"≥ {target:.2f} {'met' if ratio['ratio'] >= target else 'not met'}"


def compare(now: dict[str, Any], before: dict[str, Any]) -> str:
    """Each workload's change against an earlier report (req/s, p95, statements, ratio)."""
    lines = [
        f"Change against commit {before['meta']['commit']} ({before['meta']['date']}):",
        "",
        "| workload | req/s before → now | change | p95 ms before → now | SQL/req before → now |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in now["workloads"].items():
        old = before["workloads"].get(name)
        if old is None:
            lines.append(f"| {name} | new: {row['rps']:,.0f} | | {row['p95_ms']:.1f} | |")
            continue
        change = (row["rps"] / old["rps"] - 1) * 100 if old["rps"] else 0.0
        lines.append(
            f"| {name} | {old['rps']:,.0f} → {row['rps']:,.0f} | {change:+.0f}% "
            f"| {old['p95_ms']:.1f} → {row['p95_ms']:.1f} "
            f"| {old.get('statements', '')} → {row.get('statements', '')} |"
        )
    return "\n".join(lines) + "\n"


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report["workloads"])
    rows = [report["workloads"][n] for n in names]
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=110)
    width = 0.27
    for offset, key, label in (
        (-width, "p50_ms", "p50"),
        (0, "p95_ms", "p95"),
        (width, "p99_ms", "p99"),
    ):
        ax.bar([i + offset for i in range(len(names))], [r[key] for r in rows], width, label=label)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylabel("latency (ms)")
    meta = report["meta"]
    ax.set_title(
        f"Laneway latency per workload ({meta['clients']} clients, commit {meta['commit']})"
    )
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(report: dict[str, Any], directory: Path, stem: str) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": directory / f"{stem}.json",
        "md": directory / f"{stem}.md",
        "png": directory / f"{stem}.png",
    }
    paths["json"].write_text(json.dumps(report, indent=2) + "\n")
    paths["md"].write_text(markdown(report))
    chart(report, paths["png"])
    return paths
