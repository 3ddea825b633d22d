"""Projects and their members. Takes a session, flushes, never commits."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.auth import ownership as webhook_ownership
from laneway.auth import repository as auth_repository
from laneway.errors import Conflict, Forbidden, NotFound
from laneway.kit.savepoint import add_unique
from laneway.models import Membership, Project, Role, User
from laneway.models.base import utcnow
from laneway.models.event_payloads import MemberSnapshot, ProjectSnapshot
from laneway.models.event_types import ProjectEventType
from laneway.models.refs import UserRef
from laneway.projects import repository, setup
from laneway.projects.access import ProjectAccess


def project_snapshot(project: Project) -> ProjectSnapshot:
    return {
        "id": project.id,
        "key": project.key,
        "name": project.name,
        "description": project.description,
        "archived_at": project.archived_at.isoformat() if project.archived_at else None,
    }


def member_snapshot(membership: Membership) -> MemberSnapshot:
    return {"user_id": membership.user_id, "role": membership.role}


MAX_KEY_LENGTH = 10  # the column's width


def derive_key(name: str) -> str:
    words: list[str] = re.findall(r"[A-Za-z][A-Za-z0-9]*", name)
    if not words:
        return "PRJ"
    if len(words) == 1:
        return words[0][:4].upper() if len(words[0]) >= 2 else (words[0] + "P").upper()
    return "".join(word[0] for word in words[:4]).upper()


async def free_key(session: AsyncSession, stem: str) -> str:
    """`stem`, or `stem` with the smallest number that makes it a key no project has."""
    taken = await repository.keys_like(session, stem)
    if stem not in taken:
        return stem
    # Among len(taken) + 1 numbers one is free: the search ends, and a key only runs out of its
    # ten characters after a million projects share a stem (names without Latin letters: PRJ).
    key = next(f"{stem}{n}" for n in itertools.count(2) if f"{stem}{n}" not in taken)
    if len(key) > MAX_KEY_LENGTH:
        raise Conflict("No free project key derives from this name; choose a key.")
    return key


async def create_project(
    session: AsyncSession, owner: User | UserRef, *, name: str, key: str | None, description: str
) -> Project:
    if key is not None and await repository.key_taken(session, key):
        raise Conflict(f"The project key {key} is already in use.")
    project = Project(
        name=name,
        key=key or await free_key(session, derive_key(name)),
        description=description,
    )
    if not await add_unique(session, project):
        raise Conflict(f"The project key {project.key} is already in use.")
    session.add(Membership(project_id=project.id, user_id=owner.id, role=Role.owner))
    await session.flush()
    await setup.set_up_project(session, project.id)
    await recorder.record(
        session,
        project.id,
        owner.id,
        recorder.Draft("project.created", project.id, snapshot=project_snapshot(project)),
        recorder.Draft(
            "member.added",
            owner.id,
            snapshot={"user_id": owner.id, "role": Role.owner},
        ),
    )
    return project


async def list_projects(
    session: AsyncSession, user: UserRef, *, include_archived: bool
) -> Sequence[tuple[Project, Role]]:
    return await repository.projects_of(session, user.id, include_archived=include_archived)


async def update_project(
    session: AsyncSession,
    access: ProjectAccess,
    *,
    name: str | None,
    description: str | None,
    archived: bool | None,
) -> Project:
    reservation = await recorder.reserve(session, access.project.id)
    # the row as it is now, under the project's write lock (access.project may be a cached copy)
    project = await session.get_one(Project, access.project.id, populate_existing=True)
    before = project_snapshot(project)
    event_type: ProjectEventType = "project.updated"
    if archived is not None and archived != (project.archived_at is not None):
        if access.role is not Role.owner:
            raise Forbidden("Only an owner can archive or restore a project.")
        project.archived_at = utcnow() if archived else None
        event_type = "project.archived" if archived else "project.restored"
    elif project.archived_at is not None:
        raise Conflict("The project is archived; restore it first.")
    if name is not None:
        project.name = name
    if description is not None:
        project.description = description
    project.updated_at = utcnow()
    await session.flush()
    after = project_snapshot(project)
    changes = recorder.diff(before, after)
    await recorder.append(
        session,
        reservation,
        access.user.id,
        [recorder.Draft(event_type, project.id, changes=changes, snapshot=after)],
    )
    return project


async def list_members(
    session: AsyncSession, access: ProjectAccess
) -> Sequence[tuple[Membership, User]]:
    return await repository.members(session, access.project.id)


async def add_member(
    session: AsyncSession, access: ProjectAccess, *, email: str, role: Role
) -> tuple[Membership, User]:
    _check_can_grant(access, role)
    user = await auth_repository.user_by_email(session, email.strip().lower())
    if user is None:
        raise NotFound("No account uses that email; they must register first.")
    if await repository.member(session, access.project.id, user.id) is not None:
        raise Conflict("That user is already a member of the project.")
    membership = Membership(project_id=access.project.id, user_id=user.id, role=role)
    if not await add_unique(session, membership):
        raise Conflict("That user is already a member of the project.")
    await recorder.record(
        session,
        access.project.id,
        access.user.id,
        recorder.Draft("member.added", user.id, snapshot=member_snapshot(membership)),
    )
    return membership, user


async def change_role(
    session: AsyncSession, access: ProjectAccess, user_id: int, role: Role
) -> tuple[Membership, User]:
    membership, user = await _target(session, access, user_id)
    _check_can_grant(access, membership.role)
    _check_can_grant(access, role)
    if membership.role is Role.owner and role is not Role.owner:
        await _keep_an_owner(session, access.project.id, user_id)
    before = membership.role
    membership.role = role
    await session.flush()
    if before.at_least(Role.admin) and not role.at_least(Role.admin):
        await webhook_ownership.member_lost_admin(
            session, access.project.id, user_id, removed=False
        )
    await recorder.record(
        session,
        access.project.id,
        access.user.id,
        recorder.Draft(
            "member.role_changed",
            user_id,
            changes={"role": [before, role]},
            snapshot=member_snapshot(membership),
        ),
    )
    return membership, user


async def remove_member(session: AsyncSession, access: ProjectAccess, user_id: int) -> None:
    membership, _user = await _target(session, access, user_id)
    leaving = user_id == access.user.id
    if not leaving:
        if not access.role.at_least(Role.admin):
            raise Forbidden("Only admins and owners can remove other members.")
        _check_can_grant(access, membership.role)
        if access.project.archived_at is not None:
            raise Conflict("The project is archived; restore it first.")
    if membership.role is Role.owner:
        await _keep_an_owner(session, access.project.id, user_id)
    final = member_snapshot(membership)
    was_admin = membership.role.at_least(Role.admin)
    await session.delete(membership)
    await session.flush()
    if was_admin:
        await webhook_ownership.member_lost_admin(session, access.project.id, user_id, removed=True)
    await recorder.record(
        session,
        access.project.id,
        access.user.id,
        recorder.Draft("member.removed", user_id, snapshot=final),
    )


async def _target(
    session: AsyncSession, access: ProjectAccess, user_id: int
) -> tuple[Membership, User]:
    found = await repository.member(session, access.project.id, user_id)
    if found is None:
        raise NotFound("That user is not a member of the project.")
    return found


def _check_can_grant(access: ProjectAccess, role: Role) -> None:
    if role is Role.owner and access.role is not Role.owner:
        raise Forbidden("Only an owner can grant, change or remove the owner role.")


async def _keep_an_owner(session: AsyncSession, project_id: int, leaving_owner: int) -> None:
    owners = await repository.lock_owners(session, project_id)
    if not set(owners) - {leaving_owner}:
        raise Conflict("A project needs at least one owner; make someone else owner first.")
