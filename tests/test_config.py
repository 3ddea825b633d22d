from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from laneway.config import PUBLISHED_SECRET_KEY, Settings


def test_embedded_default_is_an_sqlite_file_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LANEWAY_DATABASE_URL", raising=False)
    monkeypatch.setenv("LANEWAY_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'laneway.db'}"
    assert settings.is_sqlite


def test_grouped_settings_read_their_own_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANEWAY_DATABASE_URL", "postgresql+asyncpg://u@db/laneway")
    monkeypatch.setenv("LANEWAY_DATABASE_POOL_SIZE", "7")
    monkeypatch.setenv("LANEWAY_HTTP_MAX_BODY_BYTES", "4096")
    settings = Settings()
    assert not settings.is_sqlite
    assert settings.database.pool_size == 7
    assert settings.database.max_overflow == 30
    assert settings.http.max_body_bytes == 4096


def test_a_published_or_short_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for refused in (PUBLISHED_SECRET_KEY, "short"):
        monkeypatch.setenv("LANEWAY_SECRET_KEY", refused)
        with pytest.raises(ValidationError, match="LANEWAY_SECRET_KEY"):
            Settings()
    monkeypatch.setenv("LANEWAY_SECRET_KEY", "x" * 40)
    assert Settings().secret_key == "x" * 40


def test_without_a_secret_the_server_makes_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANEWAY_SECRET_KEY", raising=False)
    assert Settings().secret_key is None  # instance_keys makes and stores one on first start


def test_the_jobs_lease_margin_is_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().jobs.lease_margin_seconds == 30
    monkeypatch.setenv("LANEWAY_JOBS_LEASE_MARGIN_SECONDS", "1.5")
    assert Settings().jobs.lease_margin_seconds == 1.5
    for refused in ("0", "-1"):
        monkeypatch.setenv("LANEWAY_JOBS_LEASE_MARGIN_SECONDS", refused)
        with pytest.raises(ValidationError, match="lease_margin_seconds"):
            Settings()
