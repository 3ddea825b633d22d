"""What the transfer endpoints take and answer (the archive's own format is schema.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from laneway.kit.schemas import RequestModel, ResponseModel
from laneway.models import TransferKind, TransferState


class ExportIn(RequestModel):
    format: Literal["json", "csv"] = Field(
        default="json",
        description="json: the whole project as a laneway.project archive (imports losslessly); "
        "csv: its tasks, one row each.",
    )


class Progress(ResponseModel):
    done: int = Field(description="Rows handled so far.")
    total: int = Field(description="Rows in all (0 until the job has counted them).")


class TransferOut(ResponseModel):
    id: int
    kind: TransferKind
    state: TransferState = Field(description="queued, running, done or failed.")
    progress: Progress
    project_id: int | None = Field(
        description="The exported project, the CSV import's project, or the one an import made."
    )
    result: dict[str, Any] | None = Field(description="What it did, once done.")
    error: str | None = Field(description="Why it failed.")
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    download: str | None = Field(description="Where an export's file is, once done.")


class TransferPage(ResponseModel):
    items: list[TransferOut]
    next_before: int | None = Field(description="Pass as `before` for older ones; null: no more.")
