from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from laneway.models import Base


async def add_unique(session: AsyncSession, row: Base) -> bool:
    """Insert `row` inside a savepoint. False if it broke a unique constraint; the request's
    transaction stays usable either way (the failed insert alone is rolled back)."""
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True
