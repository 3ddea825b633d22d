"""Size costs statements only per batch, never per row; progress reaches its total."""

from __future__ import annotations

import io

from laneway.demo import DEMO_EMAIL, seed_demo
from laneway.state import AppState
from laneway.transfer import Reporter, export_csv, export_project, import_project
from tests.support import StatementCounter
from tests.transfer.projectdiff import describe, differences

TASKS = 1200  # past one batch of 1000


async def test_a_big_project_in_a_fixed_number_of_statements(state: AppState) -> None:
    demo = await seed_demo(state, TASKS)
    seen: list[tuple[int, int]] = []
    progress = Reporter(lambda done, total: seen.append((done, total)))
    out = io.BytesIO()
    with StatementCounter(state.database.engine) as counter:
        summary = await export_project(state.database, demo.project_id, out, progress)
    assert summary.tasks == TASKS
    # the project, the counts, people, statuses, labels, members, numbers, and one streamed
    # read each of tasks, comments and events
    assert counter.count == 10, counter.statements
    assert seen[-1] == (summary.rows, summary.rows)

    seen.clear()
    with StatementCounter(state.database.engine) as counter:
        result = await import_project(
            state.database, out.getvalue(), owner=DEMO_EMAIL, key="BIG", progress=progress,
            match_people=True,
        )  # fmt: skip
    assert result.tasks == TASKS
    # a few per table and one per 1000 rows (the driver may split a multi-row INSERT further)
    rows = summary.tasks + summary.comments + summary.events
    assert counter.count <= 20 + 3 * (rows // 1000 + 1), len(counter.statements)
    assert seen[-1] == (summary.rows, summary.rows)
    before = await describe(state.database, demo.project_id)
    after = await describe(state.database, result.project_id)
    assert differences(before, after) == []

    with StatementCounter(state.database.engine) as counter:
        assert await export_csv(state.database, result.project_id, io.BytesIO()) == TASKS
    assert counter.count == 7, counter.statements
