"""A project as a frozen value, for the access check's per-process cache (see caches.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from laneway.models import Project


@dataclass(frozen=True, slots=True)
class ProjectRef:
    id: int
    key: str
    name: str
    description: str
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, project: Project) -> ProjectRef:
        return cls(
            project.id,
            project.key,
            project.name,
            project.description,
            project.archived_at,
            project.created_at,
            project.updated_at,
        )
