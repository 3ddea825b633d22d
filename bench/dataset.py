"""A fixed, seeded-random dataset on a fresh PostgreSQL database.

Everything goes in through Laneway's own services and tables, so counts, ranks, search and the
event log are exactly what the app would have written.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from laneway import migrations
from laneway.auth import service as auth_service
from laneway.config import (
    AuthSettings,
    DatabaseSettings,
    JobSettings,
    LogSettings,
    RateLimitSettings,
    Settings,
)
from laneway.demo import add_tasks
from laneway.labels import service as label_service
from laneway.labels.schemas import LabelCreateIn
from laneway.models import Role, Status, Task, TokenKind
from laneway.projects import service as project_service
from laneway.projects.access import ProjectAccess
from laneway.rate_limits.tiers import TIERS
from laneway.state import AppState


@dataclass(frozen=True)
class Size:
    users: int
    projects: int
    big_tasks: int
    small_tasks: int
    labels: int
    comments_per_task: float


FULL = Size(users=50, projects=5, big_tasks=5000, small_tasks=100, labels=20, comments_per_task=2.0)
QUICK = Size(users=10, projects=5, big_tasks=500, small_tasks=20, labels=20, comments_per_task=1.0)


def database_name() -> str:
    """The bench database: another name (LANEWAY_BENCH_DATABASE) lets two benches, or a
    bench and a profile, share the machine's PostgreSQL."""
    return os.environ.get("LANEWAY_BENCH_DATABASE", "laneway_bench")


@dataclass
class Dataset:
    url: str
    tokens: list[str]
    user_ids: list[int]
    project_ids: list[int]
    big_project: int
    statuses: list[int]
    labels: list[int]
    # (task id, status id) of the big project's tasks, for moves and reads
    tasks: list[tuple[int, int]] = field(default_factory=list)


def bench_settings(url: str) -> Settings:
    return Settings(
        database=DatabaseSettings(url=url, pool_size=5, max_overflow=5),
        auth=AuthSettings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1),
        log=LogSettings(level="WARNING"),
        # counted on every request, as deployed, with an allowance no bench run reaches
        rate_limit=RateLimitSettings(**dict.fromkeys(TIERS, "100000000/minute")),
        # in-process apps here seed, count and profile requests: no job runner's queries
        # among theirs (the served bench runs its runner, as deployed)
        jobs=JobSettings(in_process=False),
    )


async def recreate_database(admin_url: str, name: str) -> str:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def analyze(engine: AsyncEngine) -> None:
    """Planner statistics for every table, as a deployment's autovacuum would have gathered
    by the time it is measured. This machine's PostgreSQL runs without autovacuum: a freshly
    seeded database has none, and plans made for tables of unknown size are not the ones
    production runs."""
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))


async def seed(url: str, size: Size, seed_value: int = 4) -> Dataset:
    """The dataset through Laneway's services, then ANALYZE."""
    rng = random.Random(seed_value)
    state = AppState.build(bench_settings(url))
    try:
        await migrations.upgrade(state.database.engine)
        async with state.database.transaction() as session:
            users, tokens = [], []
            password_hash = await state.passwords.hash("bench-password")
            for i in range(size.users):
                user = await auth_service.add_user(
                    session,
                    email=f"bench{i}@example.com",
                    name=f"Bench User {i}",
                    password_hash=password_hash,
                )
                _, secret = await auth_service.issue_token(
                    session, user, kind=TokenKind.personal, name="bench", expires_at=None
                )
                users.append(user)
                tokens.append(secret)
            projects = []
            for p in range(size.projects):
                owner = users[p % len(users)]
                project = await project_service.create_project(
                    session, owner, name=f"Bench {p}", key=f"B{p}", description=""
                )
                access = ProjectAccess.of(project, Role.owner, owner)
                for user in users:
                    if user.id != owner.id:
                        await project_service.add_member(
                            session, access, email=user.email, role=Role.member
                        )
                label_count = size.labels if p == 0 else 4
                label_ids = [
                    (
                        await label_service.create_label(
                            session, access, LabelCreateIn(name=f"l{i}")
                        )
                    ).id
                    for i in range(label_count)
                ]
                count = size.big_tasks if p == 0 else size.small_tasks
                for start in range(0, count, 500):
                    await add_tasks(
                        session,
                        project,
                        owner,
                        users,
                        label_ids,
                        min(500, count - start),
                        rng,
                        size.comments_per_task,
                    )
                projects.append((project, label_ids))
            big, big_labels = projects[0]
            statuses = list(
                await session.scalars(
                    select(Status.id).where(Status.project_id == big.id).order_by(Status.position)
                )
            )
            tasks = [
                (task_id, status_id)
                for task_id, status_id in await session.execute(
                    select(Task.id, Task.status_id)
                    .where(Task.project_id == big.id)
                    .order_by(Task.id)
                )
            ]
        await analyze(state.database.engine)
        return Dataset(
            url=url,
            tokens=tokens,
            user_ids=[u.id for u in users],
            project_ids=[p.id for p, _ in projects],
            big_project=big.id,
            statuses=statuses,
            labels=big_labels,
            tasks=tasks,
        )
    finally:
        await state.close()
