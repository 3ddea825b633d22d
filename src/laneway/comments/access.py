"""Authorization for /comments/{comment_id}: the comment and my role in its project in one
query. Not a member: 404; a viewer: 403; an archived project: 409. Whose comment it is, the
service decides (edit your own; delete yours, or any as an admin)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from laneway.auth.deps import CurrentUser
from laneway.db import SessionDep
from laneway.errors import NotFound
from laneway.kit.schemas import Id
from laneway.models import Comment, Role
from laneway.models.refs import UserRef
from laneway.projects import repository as project_repository
from laneway.projects.access import check_role


@dataclass(frozen=True, slots=True)
class CommentAccess:
    comment: Comment
    role: Role
    user: UserRef


def require_comment_access() -> Callable[[Id, UserRef, SessionDep], Awaitable[CommentAccess]]:
    """The comment and my role in its project, in one query; non-members get 404."""

    async def dependency(comment_id: Id, user: CurrentUser, session: SessionDep) -> CommentAccess:
        row = await project_repository.row_with_role(session, Comment, comment_id, user.id)
        if row is None:
            raise NotFound("No such comment.")
        comment, role, archived_at = row
        check_role(role, Role.member, writes=True, archived=archived_at)
        return CommentAccess(comment=comment, role=role, user=user)

    return dependency


CommentWriter = Annotated[CommentAccess, Depends(require_comment_access())]
