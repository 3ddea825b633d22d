"""Idempotent demo data: a demo account, teammates and a project to look around in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from laneway.auth import repository as auth_repository
from laneway.auth import service as auth_service
from laneway.auth.passwords import Passwords
from laneway.models import Role, User
from laneway.projects import repository as project_repository
from laneway.projects import service as project_service
from laneway.projects.access import ProjectAccess
from laneway.state import AppState

DEMO_EMAIL = "demo@laneway.local"
DEMO_PASSWORD = "laneway-demo"  # noqa: S105 - published on purpose: it is the demo login
DEMO_PROJECT_KEY = "DEMO"
TEAMMATES = (
    ("ada@laneway.local", "Ada Lovelace", Role.admin),
    ("grace@laneway.local", "Grace Hopper", Role.member),
    ("alan@laneway.local", "Alan Turing", Role.viewer),
)


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
    return await auth_service.register(
        session, passwords, email=email, password=DEMO_PASSWORD, name=name
    )


async def seed_demo(state: AppState) -> DemoInfo:
    async with state.database.session() as session, session.begin():
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
        access = ProjectAccess(project=project, role=Role.owner, user=owner)
        for email, name, role in TEAMMATES:
            await _user(session, state.passwords, email, name)
            await project_service.add_member(session, access, email=email, role=role)
        return DemoInfo(DEMO_EMAIL, DEMO_PASSWORD, project.id, created=True)
