"""Imports write in bounded transactions, hidden until a last one shows them.

One transaction for a whole import held SQLite's single write lock (every write of the
instance) for as long as the file took: 50,000 CSV rows stopped everyone for about 20 s. So an
import writes a batch of rows per transaction, and between them other writers take their turn.
All or nothing still holds, because the rows go into a hidden project: a project with no
members, which no route, list, live stream, count, notifier or webhook reaches (every one of
them starts from a membership). A last, short transaction makes the work visible and marks the
transfer done: an archive import adds the members; a CSV import moves the staged tasks and
their events into its project with a few set-based statements.

A job records its hidden project on the transfer (`Stage.adopt`, with its claim checked) and
each batch's transaction checks the claim again (`Stage.check`), so a runner that lost its
transfer stops writing; a retried attempt, or the job's failure, first removes what an earlier
attempt left (`discard`). Without a job (the CLI, tests) a failure removes it at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.db import Database
from laneway.models import Comment, Event, Membership, Project, ProjectCounter, Task

BATCH_ROWS = 1000  # rows written per transaction: each holds SQLite's write lock this long


async def _nothing(_session: AsyncSession, *_args: object) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Stage:
    """What an import's transactions report to whoever runs it (a job, or nobody)."""

    # called in each batch's transaction: raising rolls the batch back and ends the import
    check: Callable[[AsyncSession], Awaitable[None]] = _nothing
    # called with the hidden project in the transaction that makes it
    adopt: Callable[[AsyncSession, int], Awaitable[None]] = _nothing
    batch_rows: int = BATCH_ROWS
    # whether a failed import removes its hidden rows itself; a job leaves that to its runner,
    # which knows whether the claim was lost (the new holder's hidden project may even have
    # the lost one's id again on SQLite, which reuses the highest id once deleted)
    discards: bool = True


UNSTAGED = Stage()


async def new_hidden(session: AsyncSession, project: Project, *, task_seq: int = 0) -> Project:
    """Adds `project` with its counter and no member (flushed: it has its id)."""
    session.add(project)
    await session.flush()
    session.add(ProjectCounter(project_id=project.id, task_seq=task_seq, event_seq=0))
    await session.flush()
    return project


async def is_hidden(session: AsyncSession, project_id: int) -> bool:
    has_members = exists().where(Membership.project_id == project_id)
    return bool(
        await session.scalar(select(Project.id).where(Project.id == project_id, ~has_members))
    )


async def discard(database: Database, project_id: int, batch_rows: int = BATCH_ROWS) -> bool:
    """Removes a hidden project and its rows, a batch per transaction (its tasks' parents
    first, which would otherwise hold their children back); False when it has members (it is
    not hidden: nothing is removed) or is gone."""
    for model in (Event, Comment, Task):
        while True:
            async with database.transaction() as session:
                if not await is_hidden(session, project_id):
                    return False
                ids = select(model.id).where(model.project_id == project_id).limit(batch_rows)
                chosen = list(await session.scalars(ids))
                if not chosen:
                    break
                if model is Task:
                    await session.execute(
                        update(Task).where(Task.parent_id.in_(chosen)).values(parent_id=None)
                    )
                await session.execute(delete(model).where(model.id.in_(chosen)))
    async with database.transaction() as session:
        if not await is_hidden(session, project_id):
            return False
        await session.execute(delete(Project).where(Project.id == project_id))
    return True


async def count(session: AsyncSession, model: type[Task] | type[Event], project_id: int) -> int:
    query = select(func.count()).select_from(model).where(model.project_id == project_id)
    return int(await session.scalar(query) or 0)
