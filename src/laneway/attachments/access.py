"""Authorization for /attachments/{attachment_id}: the attachment and my role in its project in
one query. Not a member: 404; too low a role: 403; a write to an archived project: 409. Whose
attachment it is, the service decides (delete yours, or any as an admin)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends

from laneway.attachments import repository
from laneway.auth.deps import CurrentUser
from laneway.db import SessionDep
from laneway.errors import NotFound
from laneway.kit.schemas import Id
from laneway.models import Attachment, Role
from laneway.models.refs import UserRef
from laneway.projects.access import check_role


@dataclass(frozen=True, slots=True)
class AttachmentAccess:
    attachment: Attachment
    role: Role
    user: UserRef


def require_attachment(
    least: Role, *, writes: bool, data: bool = False
) -> Callable[[Id, UserRef, SessionDep], Awaitable[AttachmentAccess]]:
    """`data`: load the bytes too, when the database holds them (a download)."""

    async def dependency(
        attachment_id: Id, user: CurrentUser, session: SessionDep
    ) -> AttachmentAccess:
        found = await repository.with_role(session, attachment_id, user.id, data=data)
        if found is None:
            raise NotFound("No such attachment.")
        attachment, role, archived_at = found
        structlog.contextvars.bind_contextvars(
            project_id=attachment.project_id, task_id=attachment.task_id
        )
        check_role(role, least, writes=writes, archived=archived_at)
        return AttachmentAccess(attachment=attachment, role=role, user=user)

    return dependency


AttachmentReader = Annotated[
    AttachmentAccess, Depends(require_attachment(Role.viewer, writes=False, data=True))
]
AttachmentWriter = Annotated[
    AttachmentAccess, Depends(require_attachment(Role.member, writes=True))
]
