"""Idempotent demo data: a demo account, teammates and a board of 2,000 tasks to look around in.

The tasks go in through the same tables, counters and event log as requests do, in batches, so
the demo's board, counts, search and activity are exactly what the app would have produced.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from fractional_indexing import generate_n_keys_between
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.auth import repository as auth_repository
from laneway.auth import service as auth_service
from laneway.auth.passwords import Passwords
from laneway.backup.progress import SILENT, Progress
from laneway.comments.service import snapshot as comment_snapshot
from laneway.labels import service as label_service
from laneway.labels.schemas import LabelCreateIn
from laneway.models import Comment, Project, Role, Task, User
from laneway.models.base import utcnow
from laneway.projects import repository as project_repository
from laneway.projects import service as project_service
from laneway.projects.access import ProjectAccess
from laneway.state import AppState
from laneway.statuses import repository as status_repository
from laneway.tasks.schemas import snapshot as task_snapshot

DEMO_EMAIL = "demo@laneway.local"
DEMO_PASSWORD = "laneway-demo"  # noqa: S105 - published on purpose: it is the demo login
DEMO_PROJECT_KEY = "DEMO"
DEMO_TASKS = 2000
TEAMMATES = (
    ("ada@laneway.local", "Ada Lovelace", Role.admin),
    ("grace@laneway.local", "Grace Hopper", Role.member),
    ("alan@laneway.local", "Alan Turing", Role.viewer),
)
LABELS = ("bug", "feature", "ui", "backend", "docs", "performance", "security", "chore")
VERBS = ("Fix", "Add", "Improve", "Remove", "Document", "Refactor", "Test", "Speed up")
THINGS = (
    "login form",
    "board column scroll",
    "webhook retries",
    "export to CSV",
    "password reset email",
    "dark mode",
    "search ranking",
    "drag and drop on touch",
    "API token list",
    "due date picker",
    "activity feed",
    "label colours",
)
BATCH = 250


@dataclass(frozen=True, slots=True)
class DemoInfo:
    email: str
    password: str
    project_id: int
    created: bool


async def _user(session: AsyncSession, passwords: Passwords, email: str, name: str) -> User:
    existing = await auth_repository.user_by_email(session, email)
    if existing is not None:
        return existing
    return await auth_service.add_user(
        session, email=email, name=name, password_hash=await passwords.hash(DEMO_PASSWORD)
    )


async def add_tasks(
    session: AsyncSession,
    project: Project,
    actor: User,
    people: Sequence[User],
    label_ids: Sequence[int],
    count: int,
    rng: random.Random,
    comments_per_task: float = 0.0,
) -> list[Task]:
    """`count` tasks spread over the project's statuses, each with its task.created event."""
    statuses = [s.id for s in await status_repository.of_project(session, project.id)]
    per_status = [
        count // len(statuses) + (i < count % len(statuses)) for i in range(len(statuses))
    ]
    ranks = {}
    for status_id, n in zip(statuses, per_status, strict=True):
        last = await status_repository.last_rank(session, project.id, status_id)
        ranks[status_id] = iter(generate_n_keys_between(last, None, n))
    order = [s for s, n in zip(statuses, per_status, strict=True) for _ in range(n)]
    rng.shuffle(order)
    reservation = await recorder.reserve(session, project.id, events=count, tasks=count)
    now = utcnow()
    tasks = []
    for i, status_id in enumerate(order):
        created = now - timedelta(minutes=count - i)
        tasks.append(
            Task(
                project_id=project.id,
                number=reservation.first_number + i,
                title=f"{rng.choice(VERBS)} {rng.choice(THINGS)}",
                description=rng.choice(("", "Steps to reproduce are in the thread.")),
                status_id=status_id,
                assignee_id=rng.choice([None, *[p.id for p in people]]),
                reporter_id=rng.choice(people).id,
                priority=rng.randrange(5),
                label_ids=sorted(rng.sample(list(label_ids), rng.randrange(3))),
                due_date=(now + timedelta(days=rng.randrange(-10, 60))).date()
                if rng.random() < 0.4
                else None,
                rank=next(ranks[status_id]),
                version=1,
                created_at=created,
                updated_at=created,
            )
        )
    session.add_all(tasks)
    await session.flush()
    await recorder.append(
        session,
        reservation,
        actor.id,
        [
            recorder.Draft("task.created", t.id, t.id, snapshot=task_snapshot(t, project.key))
            for t in tasks
        ],
    )
    if comments_per_task:
        commented = [t for t in tasks for _ in range(2) if rng.random() < comments_per_task / 2]
        comments = [
            Comment(
                task_id=t.id,
                project_id=project.id,
                author_id=rng.choice(people).id,
                body=rng.choice(("Looking into it.", "Can we split this?", "Done on staging.")),
                created_at=now,
                updated_at=now,
            )
            for t in commented
        ]
        if comments:
            session.add_all(comments)
            await session.flush()
            reservation = await recorder.reserve(session, project.id, events=len(comments))
            await recorder.append(
                session,
                reservation,
                actor.id,
                [
                    recorder.Draft("comment.created", c.id, c.task_id, snapshot=comment_snapshot(c))
                    for c in comments
                ],
            )
    return tasks


async def seed_demo(
    state: AppState, tasks: int = DEMO_TASKS, progress: Progress = SILENT
) -> DemoInfo:
    """The demo board, made once: `progress` starts only when there is something to make."""
    rng = random.Random(2026)  # noqa: S311 - not security: the same demo every time
    async with state.database.transaction() as session:
        owner = await _user(session, state.passwords, DEMO_EMAIL, "Demo User")
        for project, _role in await project_repository.projects_of(
            session, owner.id, include_archived=True
        ):
            if project.key == DEMO_PROJECT_KEY:
                return DemoInfo(DEMO_EMAIL, DEMO_PASSWORD, project.id, created=False)
        project = await project_service.create_project(
            session,
            owner,
            name="Demo board",
            key=DEMO_PROJECT_KEY,
            description="A sample project to try Laneway with.",
        )
        access = ProjectAccess.of(project, Role.owner, owner)
        people = [owner]
        for email, name, role in TEAMMATES:
            people.append(await _user(session, state.passwords, email, name))
            await project_service.add_member(session, access, email=email, role=role)
        label_ids = [
            (await label_service.create_label(session, access, LabelCreateIn(name=name))).id
            for name in LABELS
        ]
        progress.start(tasks)
        done = 0
        while done < tasks:
            batch = min(BATCH, tasks - done)
            await add_tasks(session, project, owner, people, label_ids, batch, rng, 1.0)
            done += batch
            progress.advance(batch)
        return DemoInfo(DEMO_EMAIL, DEMO_PASSWORD, project.id, created=True)
