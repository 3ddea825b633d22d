"""Attachment tests run on both backends; those that take `store` run on both stores too
(`@pytest.mark.parametrize("store", STORES, indirect=True)`), the rest on the default (`auto`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from laneway.config import AttachmentSettings, AttachmentStore, Settings
from tests.conftest import make_settings

STORES = [AttachmentStore.files, AttachmentStore.database]
MAX_BYTES = 3 * 1024 * 1024  # above the file store's 1 MiB chunks: a file crosses several


@pytest.fixture
def store(request: pytest.FixtureRequest) -> AttachmentStore:
    return AttachmentStore(getattr(request, "param", AttachmentStore.auto))


@pytest.fixture
def settings(database_url: str, tmp_path: Path, store: AttachmentStore) -> Settings:
    attachments = AttachmentSettings(store=store, max_bytes=MAX_BYTES)
    return make_settings(database_url, tmp_path / "data", attachments=attachments)


def stored_files(settings: Settings) -> list[str]:
    """Every file in the attachment store's directory, temporary ones included."""
    directory = settings.attachments_dir
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []
