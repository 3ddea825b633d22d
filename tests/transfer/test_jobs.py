"""Exports and imports over the API, run as jobs: queued with 202, followed to the end, the
export's file downloaded, an import that commits exactly once even when its runner dies or
loses its claim, and refused input that fails the job and writes nothing."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from laneway.app import create_app
from laneway.auth import service as auth_service
from laneway.config import JobSettings, Settings, TransferSettings
from laneway.jobs import housekeeping
from laneway.models import Project, Transfer, TransferFile, TransferState
from laneway.models.base import utcnow
from laneway.state import AppState
from laneway.transfer import queue
from laneway.transfer.jobs import LEASE, MAX_ATTEMPTS, LostClaim, TransferRunner
from laneway.transfer.progress import Reporter
from tests.conftest import make_settings
from tests.support import Api, User
from tests.transfer.conftest import row_counts
from tests.transfer.projectdiff import describe, differences
from tests.transfer.seed import rich_project

FIXTURES = Path(__file__).parent / "fixtures"


async def queued(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/api/v1/transfers/{body['id']}"
    assert body["state"] == "queued"
    assert body["download"] is None
    return body


async def finished(api: Api, state: AppState, user: User, transfer_id: int) -> dict[str, Any]:
    await state.transfers.drain()
    response = await api.request("GET", f"/transfers/{transfer_id}", user)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["state"] in ("done", "failed"), body
    return body


async def make_admin(state: AppState, user: User) -> None:
    async with state.database.transaction() as session:
        await auth_service.set_admin(session, email=user.email, admin=True)


async def projects(state: AppState) -> int:
    async with state.database.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Project)) or 0)


async def test_an_archive_exported_and_imported_over_the_api_is_the_same_project(
    api: Api, state: AppState
) -> None:
    seeded = await rich_project(api)
    owner, pid = seeded.owner, seeded.project["id"]
    await make_admin(state, owner)  # who may match the archive's people to accounts
    job = await queued(
        await api.request("POST", f"/projects/{pid}/exports", owner, json={"format": "json"})
    )
    done = await finished(api, state, owner, job["id"])
    assert done["state"] == "done"
    assert done["attempts"] == 1
    assert done["progress"]["done"] == done["progress"]["total"] > 33
    assert done["result"]["tasks"] == 33
    assert done["project_id"] == pid
    download = await api.request("GET", done["download"].removeprefix("/api/v1"), owner)
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith('attachment; filename="TRIP-')
    assert download.headers["content-type"] == "application/json"

    imported = await queued(
        await api.request(
            "POST", "/imports?key=COPY&name=Copy", owner, content=download.content,
            headers={"Content-Type": "application/json"},
        )
    )  # fmt: skip
    done = await finished(api, state, owner, imported["id"])
    assert done["state"] == "done", done
    assert done["result"]["key"] == "COPY"
    assert done["result"]["name"] == "Copy"
    assert done["download"] is None
    before = await describe(state.database, pid)
    after = await describe(state.database, done["project_id"])
    before["project"]["name"] = after["project"]["name"]  # given instead of the archive's
    assert differences(before, after) == []

    # the upload is not kept once the import ended
    async with state.database.transaction(write=False) as session:
        assert await session.get(TransferFile, (imported["id"], "input")) is None


async def test_csv_out_and_in_through_a_column_mapping(api: Api, state: AppState) -> None:
    owner = await api.user()
    pid = (await api.project(owner, "Sheets", key="CSV"))["id"]
    for title in ("One", "Two"):
        await api.task(owner, pid, title=title)
    job = await queued(
        await api.request("POST", f"/projects/{pid}/exports", owner, json={"format": "csv"})
    )
    done = await finished(api, state, owner, job["id"])
    assert done["result"] == {"key": "CSV", "tasks": 2}
    sheet = (await api.request("GET", f"/transfers/{job['id']}/download", owner)).content
    assert [row["title"] for row in csv.DictReader(io.StringIO(sheet.decode()))] == ["One", "Two"]

    target = (await api.project(owner, "Target", key="TGT"))["id"]
    body = b"Summary,Flag\nFrom the sheet,high\n,low\n"
    job = await queued(
        await api.request(
            "POST", f"/projects/{target}/imports?map=title=Summary&map=priority=Flag", owner,
            content=body, headers={"Content-Type": "text/csv"},
        )
    )  # fmt: skip
    done = await finished(api, state, owner, job["id"])
    assert done["state"] == "done", done
    assert (done["result"]["created"], done["result"]["skipped_rows"]) == (1, 1)
    assert done["result"]["errors"][0].startswith("row 3: title")
    titles = await api.request("GET", f"/projects/{target}/tasks", owner)
    assert [t["title"] for t in titles.json()["items"]] == ["From the sheet"]


async def test_a_trello_board_imports_over_the_api(api: Api, state: AppState) -> None:
    owner = await api.user()
    job = await queued(
        await api.request(
            "POST", "/imports?format=trello&key=TREL", owner,
            content=(FIXTURES / "trello_board.json").read_bytes(),
            headers={"Content-Type": "application/json"},
        )
    )  # fmt: skip
    done = await finished(api, state, owner, job["id"])
    assert done["state"] == "done", done
    assert done["result"]["key"] == "TREL"
    assert done["result"]["tasks"] > 0
    assert "skipped_lists" in done["result"]
    mine = await api.request("GET", f"/projects/{done['project_id']}", owner)
    assert mine.json()["role"] == "owner"


async def test_a_refused_import_fails_its_job_and_writes_nothing(api: Api, state: AppState) -> None:
    owner = await api.user()
    before = await row_counts(state.database)
    job = await queued(
        await api.request(
            "POST", "/imports", owner, content=b'{"format": "laneway.project", "version": 99}',
            headers={"Content-Type": "application/json"},
        )
    )  # fmt: skip
    done = await finished(api, state, owner, job["id"])
    assert done["state"] == "failed"
    assert done["attempts"] == 1
    assert done["error"]
    assert "version" in done["error"]
    after = await row_counts(state.database)
    assert {k: v for k, v in after.items() if not k.startswith("transfer")} == {
        k: v for k, v in before.items() if not k.startswith("transfer")
    }


async def test_who_may_start_follow_and_download_what(api: Api, state: AppState) -> None:
    owner, member, stranger = await api.user(), await api.user(), await api.user()
    pid = (await api.project(owner, "Private"))["id"]
    await api.add_member(pid, owner, member, "member")
    # an archive names every member by email: owners and admins only
    export = await api.request("POST", f"/projects/{pid}/exports", member, json={})
    assert export.status_code == 403
    export = await api.request("POST", f"/projects/{pid}/exports", stranger, json={})
    assert export.status_code == 404
    csv_in = await api.request(
        "POST", f"/projects/{pid}/imports?map=title=T", stranger, content=b"T\nx\n"
    )
    assert csv_in.status_code == 404

    job = await queued(await api.request("POST", f"/projects/{pid}/exports", owner, json={}))
    early = await api.request("GET", f"/transfers/{job['id']}/download", owner)
    assert early.status_code == 409
    assert early.headers["content-type"] == "application/problem+json"
    for path in (f"/transfers/{job['id']}", f"/transfers/{job['id']}/download"):
        assert (await api.request("GET", path, member)).status_code == 404
    mine = await api.request("GET", "/transfers", owner)
    assert [t["id"] for t in mine.json()["items"]] == [job["id"]]
    assert (await api.request("GET", "/transfers", member)).json()["items"] == []


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/imports?format=zip", "format"),
        ("/imports?key=not%20a%20key", "key"),
        ("/projects/{pid}/imports?map=title", "FIELD=COLUMN"),
        ("/projects/{pid}/imports?map=colour=C", "map title"),
        ("/projects/{pid}/imports?map=priority=P", "map title"),
        ("/projects/{pid}/imports?map=title=A&map=title=B", "twice"),
        ("/projects/{pid}/imports?map=title=" + "x" * 400, "at most"),
    ],
)
async def test_bad_requests_are_refused_before_anything_is_queued(
    api: Api, state: AppState, path: str, problem: str
) -> None:
    owner = await api.user()
    pid = (await api.project(owner, "Sheets"))["id"]
    response = await api.request("POST", path.format(pid=pid), owner, content=b"T\nx\n")
    assert response.status_code == 422, response.text
    assert problem in response.text
    assert (await api.request("GET", "/transfers", owner)).json()["items"] == []


async def test_uploads_have_their_own_size_limit(api: Api, state: AppState) -> None:
    owner = await api.user()
    pid = (await api.project(owner, "Sheets"))["id"]
    big = b"Title\n" + b"a fairly long title for a row\n" * 40_000  # 1.2 MB, over the 1 MB
    accepted = await api.request(
        "POST", f"/projects/{pid}/imports?map=title=Title", owner, content=big
    )
    assert accepted.status_code == 202
    elsewhere = await api.request("POST", f"/projects/{pid}/tasks", owner, content=big)
    assert elsewhere.status_code == 413
    empty = await api.request("POST", f"/projects/{pid}/imports?map=title=Title", owner)
    assert empty.status_code == 422


async def test_past_the_upload_limit_is_413(database_url: str, tmp_path: Path, api: Api) -> None:
    settings = make_settings(
        database_url, tmp_path / "small", transfer=TransferSettings(max_upload_bytes=2048)
    )
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://laneway.test") as http:
            small = Api(http)
            owner = await small.user()
            response = await small.request("POST", "/imports", owner, content=b"{" * 4096)
            assert response.status_code == 413
            assert "2048 bytes" in response.json()["detail"]


async def test_an_import_whose_runner_died_is_retried_and_commits_once(
    api: Api, state: AppState
) -> None:
    owner = await api.user()
    before = await projects(state)
    job = await queued(
        await api.request(
            "POST", "/imports?format=trello&key=ONCE", owner,
            content=(FIXTURES / "trello_board.json").read_bytes(),
        )
    )  # fmt: skip
    # a runner claimed it and died: its lease is running, nobody renews it
    now = utcnow()
    async with state.database.transaction() as session:
        assert await queue.claim(session, now, now + LEASE, "dead-runner", 10) == [job["id"]]
    assert await state.transfers.run_once() == 0  # not while the lease holds

    later = TransferRunner(state.database, clock=lambda: utcnow() + LEASE + timedelta(seconds=1))
    await later.drain()
    done = await finished(api, state, owner, job["id"])
    assert (done["state"], done["attempts"]) == ("done", 2)
    assert await projects(state) == before + 1


async def test_a_runner_that_lost_its_claim_writes_nothing(api: Api, state: AppState) -> None:
    owner = await api.user()
    before = await projects(state)
    job = await queued(
        await api.request(
            "POST", "/imports?format=trello&key=LOST", owner,
            content=(FIXTURES / "trello_board.json").read_bytes(),
        )
    )  # fmt: skip
    now = utcnow()
    async with state.database.transaction() as session:
        await queue.claim(session, now, now + LEASE, "slow-runner", 10)
    # meanwhile its lease ran out and another runner took the transfer over
    async with state.database.transaction() as session:
        await session.execute(
            Transfer.__table__.update().values(claim="new-runner", lease_until=now + LEASE)
        )
    runner = TransferRunner(state.database)
    with pytest.raises(LostClaim):
        await runner._work(job["id"], "slow-runner", Reporter(lambda _d, _t: None))
    assert await projects(state) == before  # the import rolled back whole


async def test_a_transfer_whose_runners_keep_dying_fails(api: Api, state: AppState) -> None:
    owner = await api.user()
    pid = (await api.project(owner, "Doomed"))["id"]
    job = await queued(await api.request("POST", f"/projects/{pid}/exports", owner, json={}))
    now = utcnow()
    for attempt in range(MAX_ATTEMPTS):  # each claim's lease already ran out
        async with state.database.transaction() as session:
            moment = now + attempt * LEASE * 2
            assert await queue.claim(session, moment, moment + LEASE, f"dead-{attempt}", 1)
    runner = TransferRunner(state.database, clock=lambda: now + MAX_ATTEMPTS * LEASE * 2)
    await runner.drain()
    done = await finished(api, state, owner, job["id"])
    assert done["state"] == "failed"
    assert "gave up" in done["error"]
    assert done["attempts"] == MAX_ATTEMPTS + 1


async def test_housekeeping_deletes_finished_transfers_with_their_files(
    api: Api, state: AppState, settings: Settings
) -> None:
    owner = await api.user()
    pid = (await api.project(owner, "Old"))["id"]
    old = await queued(await api.request("POST", f"/projects/{pid}/exports", owner, json={}))
    await state.transfers.drain()
    fresh = await queued(await api.request("POST", f"/projects/{pid}/exports", owner, json={}))
    await state.transfers.drain()
    async with state.database.transaction() as session:
        gone = await session.get_one(Transfer, old["id"])
        gone.finished_at = utcnow() - timedelta(days=settings.transfer.retention_days, hours=1)
    sweep = housekeeping.Sweep(state.database)
    assert await housekeeping.old_transfers(sweep) == 1
    async with state.database.transaction(write=False) as session:
        assert await session.get(Transfer, old["id"]) is None
        assert await session.get(TransferFile, (old["id"], "output")) is None
        assert await session.get(TransferFile, (fresh["id"], "output")) is not None


async def test_the_serving_process_runs_transfers_itself_by_default(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        database_url, tmp_path / "embedded", jobs=JobSettings(in_process=True, poll_seconds=0.05)
    )
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://laneway.test") as http:
            api = Api(http)
            owner = await api.user()
            pid = (await api.project(owner, "Embedded"))["id"]
            job = await queued(
                await api.request("POST", f"/projects/{pid}/exports", owner, json={})
            )
            async with asyncio.timeout(10):
                while True:
                    body = (await api.request("GET", f"/transfers/{job['id']}", owner)).json()
                    if body["state"] == TransferState.done:
                        break
                    await asyncio.sleep(0.05)
            assert body["download"]
