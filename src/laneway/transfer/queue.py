"""Every query of the transfers table: adding one, a user's own, and, as a queue, claiming,
progress with the lease renewed, the end, and the files. A claim is a conditional UPDATE (the
row's own state is the lock), so it works alike on SQLite and PostgreSQL and across any number
of runners; every later write names the claim, and one that finds another claim there changes
nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import Transfer, TransferFile, TransferKind, TransferState


async def add(
    session: AsyncSession, transfer: Transfer, upload: tuple[bytes, str] | None = None
) -> Transfer:
    """A new transfer in the queue, with the file it imports (bytes, media type), if any."""
    session.add(transfer)
    await session.flush()
    if upload is not None:
        data, media_type = upload
        add_file(session, transfer.id, "input", "upload", media_type, data)
    return transfer


async def of_user(
    session: AsyncSession, user_id: int, *, before: int | None, limit: int
) -> list[Transfer]:
    """The user's transfers, newest first, with ids below `before`, at most `limit`."""
    query = select(Transfer).where(Transfer.user_id == user_id)
    if before is not None:
        query = query.where(Transfer.id < before)
    return list(await session.scalars(query.order_by(Transfer.id.desc()).limit(limit)))


async def one_of_user(session: AsyncSession, transfer_id: int, user_id: int) -> Transfer | None:
    transfer = await session.get(Transfer, transfer_id)
    return transfer if transfer is not None and transfer.user_id == user_id else None


def _due(now: datetime) -> ColumnElement[bool]:
    return ((Transfer.state == TransferState.queued) & (Transfer.next_attempt_at <= now)) | (
        (Transfer.state == TransferState.running) & (Transfer.lease_until < now)
    )


async def claim(
    session: AsyncSession, now: datetime, lease_until: datetime, claim: str, limit: int
) -> list[int]:
    """Takes up to `limit` due transfers, oldest first."""
    due = select(Transfer.id).where(_due(now)).order_by(Transfer.id).limit(limit)
    ids = list(await session.scalars(due))
    if not ids:
        return []
    result = await session.execute(
        update(Transfer)
        .where(Transfer.id.in_(ids), _due(now))
        .values(
            state=TransferState.running,
            claim=claim,
            lease_until=lease_until,
            attempts=Transfer.attempts + 1,
            started_at=func.coalesce(Transfer.started_at, now),
        )
        .returning(Transfer.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


async def kind(session: AsyncSession, transfer_id: int) -> TransferKind | None:
    kind: TransferKind | None = await session.scalar(
        select(Transfer.kind).where(Transfer.id == transfer_id)
    )
    return kind


async def load(session: AsyncSession, transfer_id: int) -> tuple[Transfer, bytes | None]:
    """The transfer and its uploaded input, if it has one."""
    transfer = await session.get_one(Transfer, transfer_id)
    data = await session.scalar(
        select(TransferFile.data).where(
            TransferFile.transfer_id == transfer_id, TransferFile.role == "input"
        )
    )
    return transfer, data


async def progress(
    session: AsyncSession, transfer_id: int, claim: str, done: int, total: int, lease: datetime
) -> bool:
    """Rows done so far, with the lease renewed; False: the claim is no longer ours."""
    return await _mine(
        session, transfer_id, claim, done_rows=done, total_rows=total, lease_until=lease
    )


async def finish(
    session: AsyncSession,
    transfer_id: int,
    claim: str,
    now: datetime,
    *,
    state: TransferState,
    **values: Any,
) -> bool:
    """The end: done (with its result) or failed (with why); False when not ours any more."""
    return await _mine(
        session,
        transfer_id,
        claim,
        state=state,
        finished_at=now,
        lease_until=None,
        claim=None,
        **values,
    )


async def release(
    session: AsyncSession, transfer_id: int, claim: str, next_attempt_at: datetime, *, refund: bool
) -> bool:
    """Back to the queue: after an outage (to be tried at `next_attempt_at`) or at a graceful
    stop (`refund`: the attempt that did not finish is not counted)."""
    values: dict[str, Any] = {}
    if refund:
        values["attempts"] = Transfer.attempts - 1
    return await _mine(
        session,
        transfer_id,
        claim,
        state=TransferState.queued,
        next_attempt_at=next_attempt_at,
        lease_until=None,
        claim=None,
        **values,
    )


async def still_mine(session: AsyncSession, transfer_id: int, claim: str, lease: datetime) -> bool:
    """Whether the claim is still ours (its lease renewed): an import's batches ask before
    writing, so a runner that lost its transfer stops."""
    return await _mine(session, transfer_id, claim, lease_until=lease)


async def hide(
    session: AsyncSession, transfer_id: int, claim: str, lease: datetime, project_id: int
) -> bool:
    """Records the hidden project an import writes into, for a retry or a failure to remove."""
    transfer = await session.get_one(Transfer, transfer_id)
    options = dict(transfer.options) | {"hidden_project_id": project_id}
    return await _mine(session, transfer_id, claim, lease_until=lease, options=options)


def hidden_project(transfer: Transfer) -> int | None:
    found = transfer.options.get("hidden_project_id")
    return found if isinstance(found, int) else None


async def _mine(session: AsyncSession, transfer_id: int, mine: str, **values: Any) -> bool:
    result = await session.execute(
        update(Transfer)
        .where(
            Transfer.id == transfer_id,
            Transfer.claim == mine,
            Transfer.state == TransferState.running,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def add_file(
    session: AsyncSession, transfer_id: int, role: str, name: str, media_type: str, data: bytes
) -> None:
    session.add(
        TransferFile(
            transfer_id=transfer_id, role=role, name=name, media_type=media_type, data=data
        )
    )


async def drop_input(session: AsyncSession, transfer_id: int) -> None:
    """An upload is not needed once its import ended either way."""
    await session.execute(
        delete(TransferFile).where(
            TransferFile.transfer_id == transfer_id, TransferFile.role == "input"
        )
    )


async def output(session: AsyncSession, transfer_id: int) -> TransferFile | None:
    return await session.get(TransferFile, (transfer_id, "output"))


async def queue(session: AsyncSession, now: datetime) -> tuple[int, datetime | None]:
    """Transfers not finished, and since when the oldest due one has waited."""
    unfinished = Transfer.state.in_((TransferState.queued, TransferState.running))
    depth = await session.scalar(select(func.count()).where(unfinished))
    oldest = await session.scalar(
        select(func.min(Transfer.next_attempt_at)).where(
            Transfer.state == TransferState.queued, Transfer.next_attempt_at <= now
        )
    )
    return depth or 0, oldest
