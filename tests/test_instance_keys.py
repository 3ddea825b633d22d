"""The signing key: made once per installation, shared by every replica, never a constant."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from laneway.errors import ServiceUnavailable
from laneway.instance_keys import InstanceKeys
from laneway.state import AppState
from tests.conftest import make_settings


async def _keys(database_url: str, tmp_path: Path, configured: str | None = None) -> bytes:
    state = AppState.build(make_settings(database_url, tmp_path, secret_key=configured))
    try:
        await state.keys.load(state.database)
        return state.keys.derive("cursor")
    finally:
        await state.close()


async def test_replicas_starting_together_share_one_random_key(
    database_url: str, tmp_path: Path
) -> None:
    first = await asyncio.gather(*(_keys(database_url, tmp_path) for _ in range(4)))
    assert len(set(first)) == 1
    assert await _keys(database_url, tmp_path) == first[0]  # kept across restarts
    configured = await _keys(database_url, tmp_path, "k" * 40)
    assert configured != first[0]


async def test_every_installation_has_its_own_key(tmp_path: Path, sqlite_template: Path) -> None:
    keys = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.db"
        shutil.copyfile(sqlite_template, path)
        keys.append(await _keys(f"sqlite+aiosqlite:///{path}", tmp_path))
    assert keys[0] != keys[1]


def test_nothing_is_signed_before_the_key_is_loaded() -> None:
    with pytest.raises(ServiceUnavailable):
        InstanceKeys(None).derive("cursor")
