"""Backup, restore and verify on both backends, and across them (SQLite to PostgreSQL and back).

Archives are compared by the canonical dump of every table, so "restored" means every row of
every table is what it was; the restored instance must then also serve.
"""

from __future__ import annotations

import stat
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from laneway import migrations
from laneway.app import create_app
from laneway.backup import dump, load, schema
from laneway.backup.archive import MANIFEST, ArchiveReader, BackupError
from laneway.backup.verify import verify
from laneway.cli import app as cli
from laneway.config import AttachmentSettings, AttachmentStore
from laneway.db import Database
from laneway.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from laneway.instance_keys import stored_root
from laneway.mail import repository as mail_repository
from laneway.mail import waiting as mail_waiting
from laneway.models.base import utcnow
from laneway.state import AppState
from tests.conftest import BACKENDS, drop_database_behind, make_settings, new_database
from tests.support import API, PASSWORD, Api, User

EmptyDatabase = Callable[[str], str]


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[EmptyDatabase]:
    """Makes databases without a single table: a new SQLite file, or a new PostgreSQL
    database (dropped afterwards)."""
    made: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / uuid.uuid4().hex[:10]}.db"
        name, url = new_database("laneway_restore")
        made.append(name)
        return url

    yield make
    for name in made:
        drop_database_behind(name)


def backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@asynccontextmanager
async def database(url: str, tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(make_settings(url, tmp_path / "data"))
    try:
        yield db
    finally:
        await db.dispose()


async def canonical(engine: AsyncEngine) -> dict[str, list[bytes]]:
    """Every table's rows as the archive writes them."""
    tables: dict[str, list[bytes]] = {}
    async with dump.snapshot(engine) as connection:
        for table in await connection.run_sync(schema.tables):
            lines = tables[table.name] = []
            async for batch in dump.canonical_batches(connection, table):
                lines.extend(batch)
    return tables


async def restore(
    url: str, archive: Path, tmp_path: Path, files: load.FilesTarget | None = None, **options: bool
) -> None:
    """Attachment files go where serves() looks for them, unless `files` says otherwise."""
    files = files or load.FilesTarget(tmp_path / "served" / "attachments")
    async with database(url, tmp_path) as db:
        with ArchiveReader(archive) as reader:
            await load.restore(db.write_engine, reader, files=files, **options)


@asynccontextmanager
async def running(url: str, data_dir: Path, **overrides: object) -> AsyncIterator[Api]:
    """An instance serving `url`, its data directory `data_dir`."""
    application = create_app(make_settings(url, data_dir, **overrides))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://laneway.test") as http:
            yield Api(http)


ATTACHED = b"attached \x00\xff bytes"
AS_FILES = AttachmentSettings(store=AttachmentStore.files)


async def populate(api: Api, state: AppState) -> User:
    """Something in every table: the demo (users, members, labels, tasks with labels, comments,
    events), then tokens, an invitation, a live ticket, an idempotent write, a sub-task whose
    parent came later, an archived task, a webhook and a delivery, an export and its file, an
    attachment (a file on SQLite, a row's bytes on PostgreSQL), an email batch and start."""
    await seed_demo(state, 12)
    owner = await api.user()
    project = await api.project(owner, "Backups", key="BAK", description="ünïcode ✓\nline two")
    await api.add_member(project["id"], owner, await api.user(), "viewer")
    label = await api.label(owner, project["id"], "ops")
    child = await api.task(owner, project["id"], labels=[label["id"]], due_date="2026-12-24")
    parent = await api.task(owner, project["id"], title="Parent", priority="high")
    archived = await api.task(owner, project["id"])
    for task, change in ((child, {"parent_id": parent["id"]}), (archived, {"archived": True})):
        path, version = f"/tasks/{task['id']}", {"If-Match": '"v1"'}
        response = await api.request("PATCH", path, owner, json=change, headers=version)
        assert response.status_code == 200, response.text
    requests = [
        ("POST", f"/tasks/{child['id']}/comments", {"body": "**bold** \u00e9"}, {}),
        ("POST", "/me/tokens", {"name": "ci", "scope": "read"}, {}),
        ("POST", "/invitations", {"email": "later@example.com"}, {}),
        ("POST", f"/projects/{project['id']}/live/ticket", None, {}),
        ("POST", f"/projects/{project['id']}/tasks", {"title": "Once"}, {"Idempotency-Key": "k1"}),
    ]
    for method, path, body, headers in requests:
        response = await api.request(method, path, owner, json=body, headers=headers)
        assert response.status_code in (200, 201), response.text
    attached = await api.attach(owner, child["id"], ATTACHED, "notes ✓.bin")
    assert attached.status_code == 201, attached.text
    # a webhook (a public address: never contacted, no runner runs here) and a queued ping
    hook = {"url": "http://93.184.215.14/hook", "events": ["*"]}
    made = await api.request("POST", f"/projects/{project['id']}/webhooks", owner, json=hook)
    assert made.status_code == 201, made.text
    ping = await api.request("POST", f"/webhooks/{made.json()['id']}/ping", owner)
    assert ping.status_code == 202, ping.text
    # an export, run to the end: a transfer and its file (bytes in a binary column)
    export = await api.request("POST", f"/projects/{project['id']}/exports", owner, json={})
    assert export.status_code == 202, export.text
    await state.transfers.drain()
    # notifications and watchers (the notifier runs here by hand), a level and a username
    assert (await api.request("PUT", f"/tasks/{child['id']}/watch", owner)).status_code == 200
    await state.notifier.drain()
    await state.notifier.remind_due()
    # an email batch claimed (as a mailer does before it sends), and when email started
    async with state.database.transaction() as session:
        assert await mail_repository.claim(session, owner.id, utcnow(), utcnow())
        await mail_waiting.first_start(session, utcnow())
    return owner


async def serves(url: str, tmp_path: Path, owner: User, old_top_task: int) -> None:
    application = create_app(make_settings(url, tmp_path / "served"))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://laneway.test") as http:
            api = Api(http)
            for email, password in ((owner.email, PASSWORD), (DEMO_EMAIL, DEMO_PASSWORD)):
                login = await http.post(
                    "/api/v1/auth/login", json={"email": email, "password": password}
                )
                assert login.status_code == 200, login.text
            # the session token from before the backup still works
            assert (await api.request("GET", "/me", owner)).status_code == 200
            projects = (await api.request("GET", "/projects", owner)).json()
            project_id = next(p["id"] for p in projects if p["key"] == "BAK")
            task = await api.task(owner, project_id, title="After the restore")
            assert task["id"] > old_top_task
            board = await api.request("GET", f"/projects/{project_id}/board", owner)
            assert board.status_code == 200, board.text
            tasks = (await api.request("GET", f"/projects/{project_id}/tasks", owner)).json()
            for task in tasks["items"]:
                path = f"/tasks/{task['id']}/attachments"
                for item in (await api.request("GET", path, owner)).json()["items"]:
                    got = await api.request("GET", item["download"].removeprefix(API), owner)
                    assert got.content == ATTACHED


@pytest.mark.parametrize("target", ["same", "other"])
async def test_round_trip_restores_every_row_and_serves(
    target: str,
    database_url: str,
    api: Api,
    state: AppState,
    empty_database: EmptyDatabase,
    tmp_path: Path,
) -> None:
    source = backend(database_url)
    other = next((b for b in BACKENDS if b != source), None)
    if target == "other" and other is None:
        pytest.skip("needs both backends")
    owner = await populate(api, state)
    before = await canonical(state.database.engine)
    assert all(before.values()), [name for name, rows in before.items() if not rows]
    archive = tmp_path / "laneway.zip"
    manifest = await dump.backup(
        state.database.engine, archive, attachments=state.settings.attachments_dir
    )
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert manifest.backend == source
    assert len(manifest.files) == (1 if source == "sqlite" else 0)  # auto: files on SQLite
    assert manifest.revision == migrations.head()
    assert {t.name: t.rows for t in manifest.tables} == {n: len(r) for n, r in before.items()}

    url = empty_database(source if target == "same" else str(other))
    await restore(url, archive, tmp_path)
    async with database(url, tmp_path) as restored:
        assert await canonical(restored.engine) == before
        assert await migrations.current(restored.engine) == migrations.head()
    old_top_task = max(int(line.split(b'"id":')[1].split(b",")[0]) for line in before["tasks"])
    await serves(url, tmp_path, owner, old_top_task)


async def test_restore_refuses_an_instance_with_data_and_changes_nothing(
    database_url: str, api: Api, state: AppState, tmp_path: Path
) -> None:
    await api.project(await api.user())
    archive = tmp_path / "a.zip"
    await dump.backup(state.database.engine, archive)
    before = await canonical(state.database.engine)
    with pytest.raises(BackupError, match=r"not empty \(table \w+ has rows\)"):
        await restore(database_url, archive, tmp_path)
    assert await canonical(state.database.engine) == before


async def test_an_empty_instance_backs_up_and_replaces_a_started_servers_key(
    database_url: str, state: AppState, empty_database: EmptyDatabase, tmp_path: Path
) -> None:
    archive = tmp_path / "empty.zip"
    manifest = await dump.backup(state.database.engine, archive)
    rows = {t.name: t.rows for t in manifest.tables}
    assert rows.pop("instance_secrets") == 1  # the started server's signing key
    assert set(rows.values()) == {0}
    assert all(check.problem is None for check in await verify(archive))

    # another instance, migrated and started once (its own key), with no data: accepted
    url = empty_database(backend(database_url))
    async with database(url, tmp_path) as other:
        await migrations.upgrade(other.engine)
        async with other.transaction() as session:
            await stored_root(session)
    await restore(url, archive, tmp_path)
    async with database(url, tmp_path) as other:
        assert await canonical(other.engine) == await canonical(state.database.engine)


async def test_an_older_archive_restores_then_upgrades(
    database_url: str, empty_database: EmptyDatabase, tmp_path: Path
) -> None:
    """An archive made at revision 0002 loads into a database at head (migrated down while
    empty), then is upgraded; verify checks it at its own revision."""
    old = empty_database("sqlite")
    async with database(old, tmp_path) as db:
        async with db.engine.begin() as connection:
            await connection.run_sync(migrations.move_to, "0002")
            await connection.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, is_active, created_at)"
                    " VALUES (7, 'old@example.com', 'Old', 'x', 1, '2026-01-02 03:04:05.000006')"
                )
            )
        archive = tmp_path / "old.zip"
        assert (await dump.backup(db.engine, archive)).revision == "0002"
    assert all(check.problem is None for check in await verify(archive))

    await restore(database_url, archive, tmp_path)
    async with database(database_url, tmp_path) as db:
        assert await migrations.current(db.engine) == migrations.head()
        assert (await canonical(db.engine))["users"] == [
            b'{"created_at":"2026-01-02T03:04:05.000006+00:00","email":"old@example.com",'
            b'"email_notifications":true,"id":7,"is_active":true,"is_admin":false,"name":"Old",'
            b'"password_hash":"x","username":"old"}\n'
        ]  # upgraded past 0004: not an admin; 0007: a username from the email; 0008: emails on


def rewrite(archive: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    """A copy of the archive with some files changed (or left out: None)."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(target, "w") as copy:
        for entry in source.infolist():
            data = change(entry.filename, source.read(entry))
            if data is not None:
                copy.writestr(entry.filename, data)


async def test_restore_refuses_a_newer_or_damaged_archive(
    database_url: str, state: AppState, tmp_path: Path
) -> None:
    archive = tmp_path / "a.zip"
    await dump.backup(state.database.engine, archive)

    def newer_revision(name: str, data: bytes) -> bytes:
        return data.replace(b'"revision": "', b'"revision": "9999') if name == MANIFEST else data

    cases: dict[str, tuple[Callable[[str, bytes], bytes | None], str]] = {
        "revision": (newer_revision, r"revision 9999\w+, newer than this laneway"),
        "format": (
            lambda n, d: d.replace(b'"format_version": 1', b'"format_version": 2'),
            "format 2, newer than this laneway reads",
        ),
        "missing": (
            lambda n, d: None if n == "tables/users.jsonl" else d,
            "table users: tables/users.jsonl is missing",
        ),
        "extra row": (
            lambda n, d: d + d if n == "tables/instance_secrets.jsonl" else d,
            "table instance_secrets: 2 rows where the manifest lists 1",
        ),
    }
    for name, (change, message) in cases.items():
        changed = tmp_path / f"{name}.zip"
        rewrite(archive, changed, change)
        with pytest.raises(BackupError, match=message):
            await restore(database_url, changed, tmp_path)


async def test_a_failed_backup_leaves_no_file(
    database_url: str, api: Api, state: AppState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await api.project(await api.user())
    target = tmp_path / "out" / "b.zip"
    target.parent.mkdir()

    def broken(*_args: object) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr(dump, "encode_row", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        await dump.backup(state.database.engine, target)
    assert list(target.parent.iterdir()) == []


async def test_attachment_files_back_up_and_restore_into_either_store(
    database_url: str, empty_database: EmptyDatabase, tmp_path: Path
) -> None:
    """Files of the file store go into the archive and come back as files, or into their rows
    when the restored instance keeps attachments in the database (SQLite to PostgreSQL)."""
    source = tmp_path / "source"
    files = {"shot.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "notes.txt": b"notes"}
    async with running(
        database_url, source, attachments=AttachmentSettings(store=AttachmentStore.files)
    ) as api:
        owner = await api.user()
        project = await api.project(owner, "Files", key="FIL")
        task = await api.task(owner, project["id"])
        for name, data in files.items():
            assert (await api.attach(owner, task["id"], data, name)).status_code == 201
        lost = (await api.attach(owner, task["id"], b"lost")).json()
    directory = source / "attachments"
    stored = sorted(p.name for p in directory.iterdir())
    (directory / stored[-1]).unlink()  # as if deleted while the backup ran (the newest: lost)

    engine_holder = Database(make_settings(database_url, source))
    try:
        with pytest.raises(BackupError, match="3 attachments are kept as files"):
            await dump.backup(engine_holder.engine, tmp_path / "no.zip")
        archive = tmp_path / "files.zip"
        manifest = await dump.backup(engine_holder.engine, archive, attachments=directory)
        before = await canonical(engine_holder.engine)
    finally:
        await engine_holder.dispose()
    assert [f.name for f in manifest.files] == stored[:2]
    assert manifest.missing_files == (stored[-1],)
    assert stored[-1].startswith(f"{lost['id']}-")
    checks = {check.name: check for check in await verify(archive)}
    assert checks["attachment files"].rows == 2
    assert all(check.problem is None for check in checks.values())

    # into the file store: the same rows, the same files
    same = empty_database(backend(database_url))
    copy = tmp_path / "copy" / "attachments"
    await restore(same, archive, tmp_path, files=load.FilesTarget(copy))
    async with database(same, tmp_path) as restored:
        assert await canonical(restored.engine) == before
    assert sorted(p.name for p in copy.iterdir()) == stored[:2]
    assert {(copy / n).read_bytes() for n in stored[:2]} == set(files.values())

    # into the database (where PostgreSQL keeps them): no file, every byte in its row
    other = empty_database(next((b for b in BACKENDS if b != backend(database_url)), "sqlite"))
    moved = tmp_path / "moved"
    await restore(other, archive, tmp_path, files=load.FilesTarget(moved, AttachmentStore.database))
    assert not (moved / "attachments").exists()
    async with running(other, moved) as api:
        login = {"email": owner.email, "password": PASSWORD}
        token = (await api.client.post("/api/v1/auth/login", json=login)).json()["token"]
        me = User(owner.id, owner.email, token)
        listed = (await api.request("GET", f"/tasks/{task['id']}/attachments", me)).json()
        got = {
            item["name"]: (await api.request("GET", item["download"].removeprefix(API), me)).content
            for item in listed["items"]
            if item["id"] != lost["id"]
        }
        assert got == files
        gone = await api.request("GET", lost["download"].removeprefix(API), me)
        assert gone.status_code == 404  # its file was missing from the archive


async def test_a_damaged_attachment_file_fails_verify_and_restore(
    database_url: str, empty_database: EmptyDatabase, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    async with running(
        database_url, source, attachments=AttachmentSettings(store=AttachmentStore.files)
    ) as api:
        owner = await api.user()
        task = await api.task(owner, (await api.project(owner))["id"])
        for data in (b"first", b"second"):
            assert (await api.attach(owner, task["id"], data)).status_code == 201
    archive, damaged = tmp_path / "a.zip", tmp_path / "damaged.zip"
    async with database(database_url, source) as db:
        await dump.backup(db.engine, archive, attachments=source / "attachments")
    first = f"files/attachments/{sorted(p.name for p in (source / 'attachments').iterdir())[1]}"
    rewrite(archive, damaged, lambda name, data: data + b"!" if name == first else data)

    checks = {check.name: check for check in await verify(damaged)}
    assert checks["attachment files"].problem == (
        f"attachment file {first.rsplit('/', 1)[1]} does not match the manifest"
    )
    url = empty_database(backend(database_url))
    target = tmp_path / "target" / "attachments"
    with pytest.raises(BackupError, match="does not match the manifest"):
        await restore(url, damaged, tmp_path, files=load.FilesTarget(target))
    assert list(target.iterdir()) == []  # the file written before the damaged one is gone too
    async with database(url, tmp_path) as db:
        assert all(not rows for rows in (await canonical(db.engine)).values())
    async with database(url, tmp_path) as db:
        with ArchiveReader(archive) as reader:
            refused = load.restore(db.write_engine, reader)
            with pytest.raises(BackupError, match="holds 2 attachment files"):
                await refused


async def test_an_attachment_that_inflates_past_its_manifest_size_is_stopped_there(
    database_url: str, empty_database: EmptyDatabase, tmp_path: Path
) -> None:
    """A few KiB of deflated zeros that would write 8 MiB: refused at the manifest's size."""
    source = tmp_path / "source"
    async with running(
        database_url, source, attachments=AttachmentSettings(store=AttachmentStore.files)
    ) as api:
        owner = await api.user()
        task = await api.task(owner, (await api.project(owner))["id"])
        assert (await api.attach(owner, task["id"], b"small file")).status_code == 201
    archive, bomb = tmp_path / "a.zip", tmp_path / "bomb.zip"
    async with database(database_url, source) as db:
        await dump.backup(db.engine, archive, attachments=source / "attachments")
    with zipfile.ZipFile(archive) as original, zipfile.ZipFile(bomb, "w") as copy:
        for entry in original.infolist():
            inflated = entry.filename.startswith("files/attachments/")
            data = bytes(8 * 2**20) if inflated else original.read(entry)
            copy.writestr(entry.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < 100 * 1024

    received = _Counting()
    with ArchiveReader(bomb) as reader:
        (info,) = reader.manifest.files
        with pytest.raises(BackupError, match="does not match the manifest"):
            reader.copy_file(info, received)
    assert received.bytes <= info.size

    url = empty_database(backend(database_url))
    target = tmp_path / "target" / "attachments"
    with pytest.raises(BackupError, match="does not match the manifest"):
        await restore(url, bomb, tmp_path, files=load.FilesTarget(target))
    assert list(target.iterdir()) == []


class _Counting:
    bytes = 0

    def write(self, data: bytes) -> None:
        self.bytes += len(data)


# -- the command line, on the embedded default ---------------------------------------------

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LANEWAY_DATABASE_URL", raising=False)
    monkeypatch.setenv("LANEWAY_DATA_DIR", str(tmp_path / "one"))
    monkeypatch.setenv("LANEWAY_AUTH_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("LANEWAY_AUTH_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("LANEWAY_AUTH_ARGON2_PARALLELISM", "1")
    return tmp_path


def test_cli_backup_verify_restore(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(cli, ["migrate", "upgrade"]).exit_code == 0
    assert runner.invoke(cli, ["demo", "--tasks", "10"]).exit_code == 0
    archive = data_dir / "laneway.zip"
    made = runner.invoke(cli, ["backup", "-o", str(archive)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600

    checked = runner.invoke(cli, ["backup", "--verify", str(archive)])
    assert checked.exit_code == 0, checked.output
    assert "│ tasks" in checked.stdout
    assert "every table matches" in checked.output

    refused = runner.invoke(cli, ["restore", str(archive)])
    assert refused.exit_code == 1
    assert (
        refused.output.strip()
        .splitlines()[-1]
        .startswith("error: the database is not empty (table ")
    )

    monkeypatch.setenv("LANEWAY_DATA_DIR", str(data_dir / "two"))  # no database yet
    restored = runner.invoke(cli, ["restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    current = runner.invoke(cli, ["migrate", "current"]).output.split()
    assert current[1] == current[3]  # at head

    both = runner.invoke(cli, ["backup", "-o", str(archive), "--verify", str(archive)])
    assert both.exit_code == 2


def _edit_a_task(name: str, data: bytes) -> bytes:
    if name != "tables/tasks.jsonl":
        return data
    first, rest = data.split(b"\n", 1)
    return first.replace(b'"title":"', b'"title":"X', 1) + b"\n" + rest


def test_cli_verify_names_a_tampered_table_and_refuses_a_truncated_file(
    data_dir: Path, tmp_path: Path
) -> None:
    assert runner.invoke(cli, ["migrate", "upgrade"]).exit_code == 0
    assert runner.invoke(cli, ["demo", "--tasks", "10"]).exit_code == 0
    archive = tmp_path / "good.zip"
    assert runner.invoke(cli, ["backup", "-o", str(archive)]).exit_code == 0

    tampered = tmp_path / "tampered.zip"
    rewrite(archive, tampered, _edit_a_task)
    result = runner.invoke(cli, ["backup", "--verify", str(tampered)])
    assert result.exit_code == 1
    assert "error: table tasks: its rows do not match the manifest's checksum" in result.output

    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    result = runner.invoke(cli, ["backup", "--verify", str(truncated)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: {truncated} is not a readable laneway archive (truncated, damaged or not one)"
    ]
