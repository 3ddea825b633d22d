from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.activity import recorder
from laneway.errors import Conflict
from laneway.kit.savepoint import add_unique
from laneway.labels.schemas import LabelCreateIn, LabelOut
from laneway.models import Label
from laneway.projects.access import ProjectAccess

PALETTE = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#4b5563")


async def list_labels(session: AsyncSession, project_id: int) -> Sequence[Label]:
    result = await session.scalars(
        select(Label).where(Label.project_id == project_id).order_by(Label.name, Label.id)
    )
    return result.all()


async def create_label(session: AsyncSession, access: ProjectAccess, body: LabelCreateIn) -> Label:
    project_id = access.project.id
    reservation = await recorder.reserve(session, project_id)
    color = body.color
    if color is None:
        existing = await session.scalar(
            select(func.count()).select_from(Label).where(Label.project_id == project_id)
        )
        color = PALETTE[(existing or 0) % len(PALETTE)]
    label = Label(project_id=project_id, name=body.name, color=color.lower())
    if not await add_unique(session, label):
        raise Conflict(f"A label named {body.name!r} already exists.")
    await recorder.append(
        session,
        reservation,
        access.user.id,
        [
            recorder.Draft(
                "label.created", label.id, snapshot=LabelOut.model_validate(label).model_dump()
            )
        ],
    )
    return label
