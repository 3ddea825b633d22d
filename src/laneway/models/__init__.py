"""ORM models, one table per module; importing this package registers them all."""

from laneway.models.api_token import ApiToken, TokenKind
from laneway.models.base import Base
from laneway.models.membership import Membership, Role
from laneway.models.project import Project
from laneway.models.user import User

__all__ = ["ApiToken", "Base", "Membership", "Project", "Role", "TokenKind", "User"]
