"""The regression gate: a run against the committed baseline (bench/results/QUICK.json).

A workload fails the gate when its figure relative to its reference is more times worse than
the baseline's than its margin allows, or when a request of it sends more statements
than in the baseline, or a statement budget was raised. Relative figures, because this 2-core
machine is shared: the reference runs under the same driver, minutes apart at most, so what the
machine's load does to both cancels out as far as it can.

Two kinds of figure (bench/README.md "Regression gate" gives the spread each margin comes from):
- throughput: Laneway's req/s / the reference's (lower is worse);
- cpu: the app workers' CPU ms per request / the reference's (higher is worse). It holds steadier
  than throughput when other processes take the cores: a request costs about the same CPU
  whether or not it waits for a core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Rows = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Gated:
    laneway: str
    reference: str
    measure: Literal["throughput", "cpu"]
    allowed: float  # how many times worse than the baseline the figure may get

    @property
    def figure(self) -> str:
        unit = "req/s" if self.measure == "throughput" else "app CPU ms/req"
        return f"{self.laneway} / {self.reference} {unit}"

    def value(self, rows: Rows) -> float | None:
        ours, reference = rows.get(self.laneway), rows.get(self.reference)
        if ours is None or reference is None:
            return None
        key = "rps" if self.measure == "throughput" else "app_cpu_ms"
        if not reference.get(key) or not ours.get(key):
            return None
        return float(ours[key]) / float(reference[key])

    def worse(self, before: float, now: float) -> float:
        """How many times worse `now` is than `before` (below 1: better)."""
        return before / now if self.measure == "throughput" else now / before


# From the spread of seven --quick runs on this machine under its usual load (bench/README.md
# "Regression gate"): each may get 1.5 times the worst factor seen between two of those runs
# worse, rounded up to a half; a figure that would need more than 4x is not gated.
GATES = (
    Gated("search", "ref-small", "cpu", 4.0),
    Gated("create", "ref-small", "cpu", 3.5),
    Gated("create-one", "ref-small", "cpu", 3.0),
    Gated("move", "ref-small", "cpu", 3.5),
    Gated("mixed", "ref-small", "cpu", 4.0),
)


@dataclass(frozen=True)
class Finding:
    figure: str
    before: float
    now: float
    allowed: str
    regressed: bool


def check(
    now: Mapping[str, Any],
    before: Mapping[str, Any],
    gates: tuple[Gated, ...] = GATES,
    *,
    relative: bool = True,
) -> list[Finding]:
    """Every gated figure of `now` against `before`. `relative=False` leaves out the relative
    figures (their margins were measured for --quick) and checks statements only."""
    found: list[Finding] = []
    for gate in gates if relative else ():
        was, is_ = gate.value(before["workloads"]), gate.value(now["workloads"])
        if was is None or is_ is None:
            continue
        found.append(
            Finding(
                figure=gate.figure,
                before=round(was, 3),
                now=round(is_, 3),
                allowed=f"{gate.allowed:g}x worse",
                regressed=gate.worse(was, is_) > gate.allowed,
            )
        )
    for name, row in now["workloads"].items():
        if name.startswith("ref-"):  # a reference's statements are fixed in its code
            continue
        old = before["workloads"].get(name, {})
        count, was_count = row.get("statements"), old.get("statements")
        if _counted(count) and _counted(was_count):
            found.append(Finding(f"{name} SQL/req", was_count, count, "no more", count > was_count))
    old_budgets = before.get("budgets") or {}
    for name, budget in (now.get("budgets") or {}).items():
        if name in old_budgets:
            found.append(
                Finding(
                    f"{name} statement budget",
                    old_budgets[name],
                    budget,
                    "no more",
                    budget > old_budgets[name],
                )
            )
    return found


def _counted(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def table(found: list[Finding]) -> str:
    lines = [
        "| gated figure | baseline | now | change | allowed | verdict |",
        "|---|---:|---:|---:|---|---|",
    ]
    for f in found:
        change = f"{(f.now / f.before - 1):+.0%}" if f.before else f"{f.now - f.before:+g}"
        verdict = "REGRESSED" if f.regressed else "ok"
        lines.append(
            f"| {f.figure} | {f.before:g} | {f.now:g} | {change} | {f.allowed} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def regressions(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.regressed]
