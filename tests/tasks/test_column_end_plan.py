"""Where a create, a move, a bulk move, a status's removal or a CSV import puts a task is found
by a step or two along an index, never by reading the column.

Checked on the very statements the app sends, at 10,000 tasks in one column and without planner
statistics, as in a new or bulk-loaded project before any ANALYZE: there PostgreSQL planned
max() and min() as an aggregate over the whole column, and looked an anchor task up by walking
the column in ix_tasks_board. The rows go in without a commit and the checks run in the same
transaction, so nothing (autovacuum) can gather statistics on them meanwhile, and the rollback
leaves the database as it was.

PostgreSQL: EXPLAIN (ANALYZE, BUFFERS) of the statement's custom plan and of its generic one
says how many rows each node on tasks read, and how many pages the statement touched. The pages
catch what no row count shows: an index condition checked entry by entry along the index.
SQLite: EXPLAIN QUERY PLAN names the same index whether a search reads one entry or all of
them, so the test counts the statement's virtual machine steps (a progress handler called at
every step): a row visited costs at least one step, so the steps bound the rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fractional_indexing import generate_n_keys_between
from sqlalchemy import event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from laneway.models import Task
from laneway.models.base import utcnow
from laneway.state import AppState
from laneway.statuses import repository as status_repository
from laneway.tasks.repository import RefQuery
from tests.support import Api

COLUMN = 10_000
# PostgreSQL: a node on the tasks table reads the row it returns, and perhaps the task being
# moved, which it skips
ROWS_READ = 2
# PostgreSQL: walking the column reads the index's 50-odd pages for it and, with no visibility
# map yet, a heap page per task; a statement of lookups, a few pages each
PAGES = 50
# SQLite: a few dozen steps per lookup; reading a tenth of the column would take more
SQLITE_STEPS = COLUMN // 10


async def test_column_ends_and_neighbours_read_a_row_or_two(api: Api, state: AppState) -> None:
    owner = await api.user()
    project_id = (await api.project(owner))["id"]
    status_id = (await api.statuses(owner, project_id))[0]["id"]
    async with state.database.session() as session:
        try:
            ranks = await _fill_column(session, project_id, status_id, owner.id)
            assert await _statistics(session, sqlite=state.database.is_sqlite) == 0
            in_column = select(Task.rank, Task.id).where(Task.status_id == status_id)
            ids = dict((await session.execute(in_column)).all())  # rank: task id
            ranked = [ids[rank] for rank in ranks]
            mid = COLUMN // 2
            # what each write asks, and the neighbours it must find (a moving task is skipped)
            placements = {
                # a bulk move asks the same, by the status's id
                "create": (_asking(project_id, None), ranks[-1], None),
                "move the last task to the end": (
                    _asking(project_id, status_id, moving_id=ranked[-1]),
                    ranks[-2],
                    None,
                ),
                "move a task after its predecessor": (
                    _asking(project_id, status_id, moving_id=ranked[mid + 1], after_id=ranked[mid]),
                    ranks[mid],
                    ranks[mid + 2],
                ),
                "move a task before its successor": (
                    _asking(
                        project_id, status_id, moving_id=ranked[mid - 1], before_id=ranked[mid]
                    ),
                    ranks[mid - 2],
                    ranks[mid],
                ),
            }
            overreach: list[str] = []
            for name, (refs, low, high) in placements.items():
                with _sent(state.database.engine) as sent:
                    found = await refs.run(session)
                assert (found.low, found.high) == (low, high), name
                assert len(sent) == 1, sent
                overreach += [f"{name}, {o}" for o in await _overreach(session, *sent[0])]

            # a status's removal and a CSV import: after the column's last task
            with _sent(state.database.engine) as sent:
                last = await status_repository.last_rank(session, project_id, status_id)
            assert last == ranks[-1]
            assert len(sent) == 1, sent
            overreach += [f"last_rank, {o}" for o in await _overreach(session, *sent[0])]
        finally:
            await session.rollback()
    assert not overreach, "\n".join(overreach)


def _asking(project_id: int, status_id: int | None, **placement: int) -> RefQuery:
    refs = RefQuery(project_id)
    refs.status(status_id)
    refs.placement(**placement)
    return refs


async def _fill_column(
    session: AsyncSession, project_id: int, status_id: int, user_id: int
) -> list[str]:
    """COLUMN tasks in one status with the ranks the app gives a column (ranks.py's
    rebalance), in one multi-row INSERT; their ranks in order."""
    ranks: list[str] = generate_n_keys_between(None, None, COLUMN)
    now = utcnow()
    await session.execute(
        insert(Task),
        [
            {
                "project_id": project_id,
                "number": i + 1,
                "title": f"task {i}",
                "description": "",
                "status_id": status_id,
                "reporter_id": user_id,
                "label_ids": [],
                "rank": rank,
                "created_at": now,
                "updated_at": now,
            }
            for i, rank in enumerate(ranks)
        ],
    )
    return ranks


async def _statistics(session: AsyncSession, *, sqlite: bool) -> int:
    """Rows of planner statistics on the tasks table (SQLite: on any table)."""
    if sqlite:
        query = "SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'"
    else:
        query = "SELECT count(*) FROM pg_statistic WHERE starelid = 'tasks'::regclass"
    return int(await session.scalar(text(query)) or 0)


@contextmanager
def _sent(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """The statements sent while active, with their parameters as the driver got them."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _overreach(session: AsyncSession, statement: str, params: Any) -> list[str]:
    """How the statement read more than a few lookups would, if it did: else nothing."""
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        plan = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        steps = await _sqlite_steps(connection, statement, params)
        if steps <= SQLITE_STEPS:
            return []
        return [f"{steps} steps: " + "; ".join(row[3] for row in plan)]
    found = []
    for kind, root in (await _postgres_plans(connection, statement, params)).items():
        on_tasks = [node for node in _nodes(root) if _on_tasks(node)]
        rows = max(_rows_read(node) for node in on_tasks)
        pages = root["Shared Hit Blocks"] + root["Shared Read Blocks"]
        if rows > ROWS_READ or pages > PAGES:
            plan = "; ".join(_describe(node) for node in on_tasks)
            found.append(f"{kind} plan: {rows:g} rows, {pages} pages: {plan}")
    return found


async def _postgres_plans(connection: Any, statement: str, params: Any) -> dict[str, Any]:
    """The statement's plan as run with its parameters' values (a custom plan), and as a
    prepared statement is run from its sixth time on (asyncpg prepares each statement): a
    generic plan, made without the values. Each with what it really read."""
    explain = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)"
    custom = (await connection.exec_driver_sql(f"{explain} {statement}", params)).scalar_one()
    # PREPARE and EXECUTE take no bound parameters: asyncpg's connection, with the values
    # written into the EXECUTE
    driver = (await connection.get_raw_connection()).driver_connection
    await driver.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    await driver.execute(f"PREPARE column_lookup AS {statement}")
    try:
        values = ", ".join(_literal(value) for value in params)
        generic = await driver.fetchval(f"{explain} EXECUTE column_lookup({values})")
    finally:
        await driver.execute("DEALLOCATE column_lookup")
    return {
        kind: (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        for kind, plan in (("custom", custom), ("generic", generic))
    }


def _literal(value: int | str | None) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def _on_tasks(node: dict[str, Any]) -> bool:
    return node.get("Relation Name") == "tasks" or "tasks" in node.get("Index Name", "")


def _rows_read(node: dict[str, Any]) -> float:
    """The rows the node returned or looked at and dropped, over all its loops."""
    per_loop = node["Actual Rows"] + sum(
        value for key, value in node.items() if key.startswith("Rows Removed by")
    )
    return float(per_loop * node["Actual Loops"])


def _describe(node: dict[str, Any]) -> str:
    where = node.get("Index Name") or node.get("Relation Name")
    return f"{node['Node Type']} on {where} ({node.get('Index Cond', node.get('Filter', ''))})"


async def _sqlite_steps(connection: Any, statement: str, params: Any) -> int:
    """The virtual machine steps SQLite takes to run the statement."""
    driver = (await connection.get_raw_connection()).driver_connection  # aiosqlite's
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    await driver.set_progress_handler(step, 1)
    try:
        await connection.exec_driver_sql(statement, params)
    finally:
        await driver.set_progress_handler(None, 1)
    return steps
