"""Who the people an archive names are here.

The importing user is themself wherever the archive names their email. Anyone else
is matched to an account by email only when an instance admin imports (or the operator, with
the CLI): otherwise a file would speak for whoever it names, making them members (even
owners) of the importer's project and writing comments and history under their name. Someone
not matched is a stand-in, listed in the result's `unmatched_emails` (for anyone but an admin
that is everyone but the importer, so the list says nothing about which accounts exist):
their tasks are left unassigned and they are no member; a task's reporter and a comment's
author cannot be empty, so those name the importing user (counted in `reassigned`), with who
it was kept as text (a comment starts with "NAME wrote:", a task's description ends with who
reported it and who had it); their events have no actor and a stand-in id.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import Role, User
from laneway.models.base import utcnow
from laneway.transfer import replay, repository
from laneway.transfer.schema import ArchiveIn, CommentIn, TaskIn


@dataclass(slots=True)
class People:
    """Emails to accounts; the ones without one (stand-ins) are remembered for the result."""

    ids: dict[str, int]
    names: dict[str, str] = field(default_factory=dict)  # the archive's names for emails
    unmatched: set[str] = field(default_factory=set)
    reassigned: int = 0

    def stand_in(self, email: str | None) -> str | None:
        """How a stand-in is named in text ("Ada (ada@example.com)"); None for an account."""
        if email is None or email in self.ids:
            return None
        name = self.names.get(email)
        return f"{name} ({email})" if name else email

    def find(self, email: str | None) -> int | None:
        if email is None:
            return None
        found = self.ids.get(email)
        if found is None:
            self.unmatched.add(email)
        return found

    def or_importer(self, email: str | None, importer: int) -> int:
        found = self.find(email)
        if found is None:
            self.reassigned += email is not None
            return importer
        return found


async def of_archive(
    session: AsyncSession, archive: ArchiveIn, importer: User, *, match: bool
) -> People:
    # every event of a large archive is walked: a thread, so the event loop keeps serving
    named = await asyncio.to_thread(replay.emails, archive)
    if match:
        ids = await repository.users_by_email(session, named)
    else:
        ids = {importer.email: importer.id} if importer.email in named else {}
    return People(ids, names={m.email: m.name for m in archive.members if m.name})


def member_roles(
    archive: ArchiveIn, importer: User, people: People
) -> dict[int, tuple[Role, datetime]]:
    """The importing user as owner, and everyone else in the archive who has an account."""
    now = utcnow()
    roles = {importer.id: (Role.owner, now)}
    for member in archive.members:
        user_id = people.find(member.email)
        if user_id is not None:
            role = Role.owner if user_id == importer.id else member.role
            roles[user_id] = (role, member.created_at or now)
    return roles


def credited(task: TaskIn, people: People) -> str:
    """The description, ending with who reported and who had the task when they are
    stand-ins: the task itself names no account for them."""
    reporter, assignee = people.stand_in(task.reporter), people.stand_in(task.assignee)
    credits = [f"reported by {reporter}"] if reporter else []
    credits += [f"assigned to {assignee}"] if assignee else []
    if not credits:
        return task.description
    line = f"_Imported: {', '.join(credits)}._"
    return f"{task.description}\n\n{line}" if task.description else line


def signed(comment: CommentIn, people: People) -> str:
    author = people.stand_in(comment.author)
    return f"{author} wrote:\n\n{comment.body}" if author else comment.body
