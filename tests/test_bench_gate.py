"""The bench's regression gate (bench/gate.py) on reports built as data: no server, no load."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from bench import gate

GATES = (
    gate.Gated("board", "ref-board-bytes", "cpu", 1.5),
    gate.Gated("create", "ref-insert", "throughput", 1.5),
)


def _report(**workloads: dict[str, Any]) -> dict[str, Any]:
    rows = {
        "board": {"rps": 6000.0, "app_cpu_ms": 0.15, "statements": 0},
        "ref-board-bytes": {"rps": 9000.0, "app_cpu_ms": 0.10, "statements": 0},
        "create": {"rps": 400.0, "app_cpu_ms": 2.4, "statements": 2},
        "ref-insert": {"rps": 3500.0, "app_cpu_ms": 0.20, "statements": 1},
        "mixed": {"rps": 400.0, "app_cpu_ms": 2.3, "statements": ""},
    }
    for name, changes in workloads.items():
        rows[name] = {**rows[name], **changes}
    return {"workloads": rows, "budgets": {"board": 0, "create": 3}}


def _verdicts(now: dict[str, Any], before: dict[str, Any]) -> dict[str, bool]:
    return {f.figure: f.regressed for f in gate.check(now, before, GATES)}


def test_the_same_figures_pass_and_every_gated_figure_is_reported() -> None:
    baseline = _report()
    assert _verdicts(_report(), baseline) == {
        "board / ref-board-bytes app CPU ms/req": False,
        "create / ref-insert req/s": False,
        "board SQL/req": False,
        "create SQL/req": False,
        "board statement budget": False,
        "create statement budget": False,
    }


def test_a_drop_in_throughput_past_the_margin_fails() -> None:
    # 400/3500 -> 260/3500: 1.54 times worse, 1.5 allowed
    found = gate.check(_report(create={"rps": 260.0}), _report(), GATES)
    assert [f.figure for f in gate.regressions(found)] == ["create / ref-insert req/s"]
    assert "| create / ref-insert req/s | 0.114 | 0.074 | -35% | 1.5x worse | REGRESSED |" in (
        gate.table(found)
    )


def test_a_drop_within_the_margin_passes() -> None:
    # 400/3500 -> 300/3500: 1.33 times worse, 1.5 allowed
    now = _report(create={"rps": 300.0})
    assert gate.regressions(gate.check(now, _report(), GATES)) == []


def test_the_reference_slowing_down_with_laneway_is_no_regression() -> None:
    # a busy machine: both at half speed, the ratio unchanged
    now = _report(create={"rps": 200.0}, **{"ref-insert": {"rps": 1750.0}})
    assert gate.regressions(gate.check(now, _report(), GATES)) == []


@pytest.mark.parametrize(("cpu_ms", "regressed"), [(0.22, False), (0.24, True)])
def test_cpu_per_request_past_the_margin_fails(cpu_ms: float, regressed: bool) -> None:
    # ratio 1.5 in the baseline: 2.2 is 1.47 times it, 2.4 is 1.6 times, 1.5 allowed
    verdicts = _verdicts(_report(board={"app_cpu_ms": cpu_ms}), _report())
    assert verdicts["board / ref-board-bytes app CPU ms/req"] is regressed


def test_one_more_statement_per_request_fails_even_within_the_budget() -> None:
    found = gate.check(_report(create={"statements": 3}), _report(), GATES)
    assert [f.figure for f in gate.regressions(found)] == ["create SQL/req"]
    assert "| create SQL/req | 2 | 3 | +50% | no more | REGRESSED |" in gate.table(found)


def test_a_statement_from_none_fails() -> None:
    found = gate.check(_report(board={"statements": 1}), _report(), GATES)
    assert [f.figure for f in gate.regressions(found)] == ["board SQL/req"]
    assert "| board SQL/req | 0 | 1 | +1 | no more | REGRESSED |" in gate.table(found)


def test_a_raised_budget_fails() -> None:
    now = _report()
    now["budgets"]["create"] = 4
    assert [f.figure for f in gate.regressions(gate.check(now, _report(), GATES))] == [
        "create statement budget"
    ]


def test_fewer_statements_and_a_faster_laneway_pass() -> None:
    now = _report(create={"statements": 1, "rps": 800.0}, board={"app_cpu_ms": 0.05})
    assert gate.regressions(gate.check(now, _report(), GATES)) == []


def test_without_relative_figures_only_statements_are_checked() -> None:
    now = _report(create={"rps": 10.0, "statements": 3})
    found = gate.check(now, _report(), GATES, relative=False)
    assert [f.figure for f in gate.regressions(found)] == ["create SQL/req"]
    assert all(f.figure.endswith(("SQL/req", "statement budget")) for f in found)


def test_a_workload_missing_from_either_report_is_not_gated() -> None:
    now, before = _report(), _report()
    del now["workloads"]["create"]
    before_without_budgets = copy.deepcopy(before)
    del before_without_budgets["budgets"]  # an older baseline, written before budgets were
    figures = [f.figure for f in gate.check(now, before_without_budgets, GATES)]
    assert "create / ref-insert req/s" not in figures
    assert "create SQL/req" not in figures
    assert not any("budget" in figure for figure in figures)
    assert "board / ref-board-bytes app CPU ms/req" in figures


def _committed_baseline() -> dict[str, Any]:
    return json.loads((Path(__file__).parent.parent / "bench/results/QUICK.json").read_text())


def test_the_committed_gates_cover_the_baseline() -> None:
    """Every gated pair is in the committed baseline, so none is silently skipped in CI."""
    baseline = _committed_baseline()
    for gated in gate.GATES:
        assert gated.value(baseline["workloads"]) is not None, gated.figure
    assert baseline["budgets"]


@pytest.mark.parametrize(("factor", "regressed"), [(1.5, []), (4.0, ["create"])])
def test_the_committed_gates_on_the_committed_baseline(factor: float, regressed: list[str]) -> None:
    baseline = _committed_baseline()
    now = copy.deepcopy(baseline)
    now["workloads"]["create"]["app_cpu_ms"] *= factor
    found = gate.regressions(gate.check(now, baseline))
    assert [f.figure.split(" / ")[0] for f in found] == regressed
