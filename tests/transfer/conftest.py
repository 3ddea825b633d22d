from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from laneway.db import Database
from laneway.models import Base
from laneway.state import AppState
from laneway.transfer import export_project
from tests.support import Api, User
from tests.transfer.seed import Seeded, rich_project


async def row_counts(database: Database) -> dict[str, int]:
    """Rows in every table: what an import refused must leave exactly as it was."""
    async with database.transaction(write=False) as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture
async def seeded(api: Api) -> Seeded:
    return await rich_project(api)


_made: dict[str, bytes] = {}


@pytest.fixture
async def archive(api: Api, state: AppState) -> bytes:
    """The rich project's archive, made once per test process (on whichever backend comes
    first: archives do not depend on it). Its people have no account in later tests'
    databases; tests that need them use `seeded`."""
    if "rich" not in _made:
        project = (await rich_project(api)).project
        out = io.BytesIO()
        await export_project(state.database, project["id"], out)
        _made["rich"] = out.getvalue()
    return _made["rich"]


@pytest.fixture
async def owner(api: Api) -> User:
    return await api.user()
