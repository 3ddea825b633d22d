"""A connection held longer than the threshold is logged once, with who holds it; a task that
ended without giving its connection back is named as a leak; quick requests log nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from laneway.app import create_app
from laneway.config import DatabaseSettings, LogSettings
from laneway.state import AppState
from tests.conftest import make_settings
from tests.support import Api

THRESHOLD = 0.3


def _warnings(err: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "database connection held too long"]


async def test_held_and_leaked_connections_are_logged_once(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(
        database_url,
        tmp_path,
        database=DatabaseSettings(url=database_url, held_warning_seconds=THRESHOLD),
        log=LogSettings(level="WARNING"),
    )
    app = create_app(settings)
    async with LifespanManager(app):
        state: AppState = app.state.laneway
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client)
            owner = await api.user()
            for _ in range(5):
                await api.project(owner)
        await asyncio.sleep(THRESHOLD * 2)
        assert _warnings(capsys.readouterr().err) == []  # requests give theirs back at once

        async def slow_report() -> None:
            async with state.database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                await asyncio.sleep(THRESHOLD * 4)

        leaked = []

        async def forgetful() -> None:
            conn = await state.database.engine.connect()
            await conn.execute(text("SELECT 1"))
            leaked.append(conn)  # never closed by this task

        holder = asyncio.create_task(slow_report(), name="slow-report")
        await asyncio.create_task(forgetful(), name="forgetful")
        await holder
        found = _warnings(capsys.readouterr().err)
        for conn in leaked:
            await conn.close()
    by_task = {str(w["task"]): w for w in found}
    assert set(by_task) == {"slow-report", "forgetful"}, found  # each once
    assert "slow_report" in str(by_task["slow-report"]["where"])
    assert "ended without returning it" in str(by_task["forgetful"]["where"])
    assert float(str(by_task["slow-report"]["held_seconds"])) >= THRESHOLD
