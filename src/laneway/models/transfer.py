from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from laneway.models.base import Base, BigId, UTCDateTime, utcnow
from laneway.models.types import Json


class TransferKind(StrEnum):
    export_json = "export_json"  # a project to a laneway.project archive
    export_csv = "export_csv"  # its tasks to CSV
    import_json = "import_json"  # an archive into a new project
    import_trello = "import_trello"  # a Trello board export into a new project
    import_csv = "import_csv"  # CSV rows into an existing project


class TransferState(StrEnum):
    queued = "queued"  # waiting for a runner, or for its next attempt after an outage
    running = "running"  # claimed until `lease_until`, renewed as it progresses
    done = "done"
    failed = "failed"  # refused input (the error says why) or attempts used up


class Transfer(Base):
    """An export or import run as a job. The table is the queue: a runner claims a queued row
    (or one whose lease ran out: its runner died) with a conditional UPDATE. An import writes
    in batches into a hidden project (`options["hidden_project_id"]`, transfer/staging.py)
    that its last transaction shows, and an export stores its file only at the end, so a
    retried attempt, after removing what the last one left, starts clean."""

    __tablename__ = "transfers"
    __table_args__ = (
        Index("ix_transfers_queue", "state", "next_attempt_at"),
        Index("ix_transfers_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[TransferKind] = mapped_column(
        Enum(TransferKind, native_enum=False, length=16, validate_strings=True)
    )
    state: Mapped[TransferState] = mapped_column(
        Enum(TransferState, native_enum=False, length=10, validate_strings=True),
        default=TransferState.queued,
    )
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    # the exported project, the CSV import's target, or the project an import created
    project_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("projects.id", ondelete="SET NULL")
    )
    options: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # key, name, mapping
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)
    error: Mapped[str | None] = mapped_column(String(1000))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim: Mapped[str | None] = mapped_column(String(32))  # whose lease it is
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TransferFile(Base):
    """The bytes a transfer reads (`input`: the upload) or made (`output`: the export), in the
    database so that every replica and worker reaches them; deleted with their transfer."""

    __tablename__ = "transfer_files"

    transfer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("transfers.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(6), primary_key=True)  # input | output
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(60))
    data: Mapped[bytes] = mapped_column(LargeBinary)
