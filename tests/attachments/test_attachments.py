"""Attachments through the API: upload, list, download and delete, on both backends and both
stores; types from the bytes, safe downloads, limits, who may do what, and the event log."""

from __future__ import annotations

import hashlib
import os
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import func, select

from laneway.config import AttachmentStore, Settings
from laneway.models import Attachment, Event
from laneway.state import AppState
from tests.attachments import samples
from tests.attachments.conftest import MAX_BYTES, STORES, stored_files
from tests.support import Api, User, assert_problem

SANDBOX = "default-src 'none'; sandbox"


async def _setup(api: Api) -> tuple[User, int, int]:
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    task = await api.task(owner, pid)
    return owner, pid, task["id"]


async def _count(state: AppState, model: Any) -> int:
    async with state.database.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _events(api: Api, user: User, pid: int) -> list[dict[str, Any]]:
    response = await api.request("GET", f"/projects/{pid}/activity", user, params={"limit": 200})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _disposition(response: httpx.Response) -> tuple[str, str]:
    """(attachment or inline, the RFC 5987 name)."""
    header = response.headers["content-disposition"]
    kind = header.split(";")[0]
    encoded = header.split("filename*=UTF-8''")[1]
    return kind, unquote(encoded, encoding="utf-8")


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_upload_list_download_round_trip(
    api: Api, settings: Settings, store: AttachmentStore
) -> None:
    owner, pid, task_id = await _setup(api)
    data = os.urandom(2 * 1024 * 1024 + 123)  # several of the file store's chunks
    name = "Q4 résumé ✓.bin"

    created = await api.attach(owner, task_id, data, name, "image/png")
    assert created.status_code == 201, created.text
    body = created.json()
    attachment_id = body["id"]
    assert body == {
        "id": attachment_id,
        "task_id": task_id,
        "name": name,
        "media_type": "application/octet-stream",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "uploaded_by": owner.id,
        "created_at": body["created_at"],
        "download": f"/api/v1/attachments/{attachment_id}",
        "preview": None,
    }
    assert created.headers["location"] == body["download"]

    listed = await api.request("GET", f"/tasks/{task_id}/attachments", owner)
    assert listed.status_code == 200
    assert listed.json() == {"items": [body], "next_cursor": None}

    got = await api.client.get(body["download"], headers=owner.headers)
    assert got.status_code == 200
    assert got.content == data
    assert hashlib.sha256(got.content).hexdigest() == body["sha256"]
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-length"] == str(len(data))
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == SANDBOX
    assert _disposition(got) == ("attachment", name)

    files = stored_files(settings)
    if store is AttachmentStore.files:
        assert len(files) == 1
        assert (settings.attachments_dir / files[0]).read_bytes() == data
    else:
        assert files == []

    (event,) = [e for e in await _events(api, owner, pid) if e["type"].startswith("attachment.")]
    assert event["type"] == "attachment.added"
    assert event["subject_id"] == attachment_id
    assert event["task_id"] == task_id
    snapshot = {k: v for k, v in body.items() if k not in ("download", "preview")}
    assert event["snapshot"] == {**snapshot, "project_id": pid}


async def test_pages_of_attachments(api: Api) -> None:
    owner, _pid, task_id = await _setup(api)
    ids = [(await api.attach(owner, task_id, b"x" * n)).json()["id"] for n in range(1, 6)]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await api.request("GET", f"/tasks/{task_id}/attachments", owner, params=params)
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_the_type_comes_from_the_bytes_never_the_client(api: Api) -> None:
    owner, _pid, task_id = await _setup(api)
    cases = [
        ("evil.html", samples.png(), "text/html", "image/png"),
        ("page.html", samples.HTML, "text/html", "text/plain; charset=utf-8"),
        ("logo.svg", samples.SVG, "image/svg+xml", "text/plain; charset=utf-8"),
        ("photo.png", os.urandom(64) + b"\x00", "image/png", "application/octet-stream"),
        ("scan", samples.PDF, "text/plain", "application/pdf"),
    ]
    for name, data, claimed, served in cases:
        created = await api.attach(owner, task_id, data, name, claimed)
        assert created.status_code == 201, created.text
        assert created.json()["media_type"] == served.split(";")[0], name
        for query in ("", "?inline=true"):
            got = await api.client.get(created.json()["download"] + query, headers=owner.headers)
            assert got.headers["content-type"] == served, name
            assert "html" not in got.headers["content-type"]
            assert got.headers["x-content-type-options"] == "nosniff"
            assert got.headers["content-security-policy"] == SANDBOX
            assert got.content == data


async def test_only_raster_images_are_shown_inline(api: Api) -> None:
    owner, _pid, task_id = await _setup(api)
    images = {
        "a.png": (samples.png(), "image/png"),
        "a.jpg": (samples.JPEG, "image/jpeg"),
        "a.gif": (samples.GIF, "image/gif"),
        "a.webp": (samples.WEBP, "image/webp"),
    }
    for name, (data, media) in images.items():
        body = (await api.attach(owner, task_id, data, name)).json()
        assert body["media_type"] == media
        assert body["preview"] == body["download"] + "?inline=true"
        shown = await api.client.get(body["preview"], headers=owner.headers)
        assert shown.headers["content-type"] == media
        assert _disposition(shown) == ("inline", name)
        assert shown.headers["content-security-policy"] == SANDBOX
        saved = await api.client.get(body["download"], headers=owner.headers)
        assert _disposition(saved) == ("attachment", name)
    for name, data in (("b.svg", samples.SVG), ("b.html", samples.HTML), ("b.pdf", samples.PDF)):
        body = (await api.attach(owner, task_id, data, name)).json()
        assert body["preview"] is None
        got = await api.client.get(body["download"] + "?inline=true", headers=owner.headers)
        assert _disposition(got) == ("attachment", name)


async def test_names_are_cleaned(api: Api) -> None:
    owner, _pid, task_id = await _setup(api)
    for raw, kept in (("../../etc/passwd", "passwd"), ("C:\\fakepath\\x.png", "x.png")):
        created = await api.attach(owner, task_id, b"hello", raw)
        assert created.json()["name"] == kept
    long = await api.attach(owner, task_id, b"hello", "n" * 300 + ".txt")
    assert long.json()["name"] == "n" * 251 + ".txt"


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_over_the_limit_is_413_and_nothing_is_kept(
    api: Api, state: AppState, settings: Settings
) -> None:
    owner, pid, task_id = await _setup(api)
    events_before = await _count(state, Event)
    # within the route's body limit (the file's plus the multipart framing), over the file's
    over = await api.attach(owner, task_id, b"\x00" * (MAX_BYTES + 1))
    problem = assert_problem(over, 413)
    assert str(MAX_BYTES) in problem["detail"]
    # past the route's body limit: refused before anything reads the body
    declared = await api.request(
        "POST",
        f"/tasks/{task_id}/attachments",
        owner,
        content=b"x",
        headers={
            "Content-Type": "multipart/form-data; boundary=b",
            "Content-Length": str(MAX_BYTES + 10 * 1024 * 1024),
        },
    )
    assert_problem(declared, 413)
    assert await _count(state, Attachment) == 0
    assert await _count(state, Event) == events_before
    assert stored_files(settings) == []
    # exactly the limit is fine
    assert (await api.attach(owner, task_id, b"\x01" * MAX_BYTES)).status_code == 201
    other = await api.request("POST", f"/projects/{pid}/labels", owner, json={"name": "x" * 10})
    assert other.status_code == 201  # other routes keep their own limit


async def test_bad_uploads_are_refused(api: Api, state: AppState) -> None:
    owner, _pid, task_id = await _setup(api)
    path = f"/tasks/{task_id}/attachments"
    missing = await api.request("POST", path, owner, files={"other": ("a", b"x")})
    assert_problem(missing, 422)
    assert_problem(await api.request("POST", path, owner, json={"file": "x"}), 422)
    two = [("file", ("a", b"x")), ("file", ("b", b"y"))]
    assert_problem(await api.request("POST", path, owner, files=two), 400)
    field = await api.request("POST", path, owner, files={"file": ("a", b"x")}, data={"k": "v"})
    assert_problem(field, 400)
    assert await _count(state, Attachment) == 0


async def test_who_may_do_what(api: Api, state: AppState) -> None:
    owner, pid, task_id = await _setup(api)
    admin, member, other_member, viewer, stranger = [await api.user() for _ in range(5)]
    for user, role in (
        (admin, "admin"),
        (member, "member"),
        (other_member, "member"),
        (viewer, "viewer"),
    ):
        await api.add_member(pid, owner, user, role)
    theirs = (await api.attach(member, task_id, b"member's")).json()
    url = f"/attachments/{theirs['id']}"

    # someone who cannot see the project: 404 everywhere, as for what does not exist
    for method, path in (
        ("GET", f"/tasks/{task_id}/attachments"),
        ("GET", url),
        ("DELETE", url),
    ):
        assert_problem(await api.request(method, path, stranger), 404)
    assert_problem(await api.attach(stranger, task_id, b"x"), 404)
    assert_problem(await api.request("GET", "/attachments/999999", owner), 404)

    # viewers read, never write
    assert (await api.request("GET", f"/tasks/{task_id}/attachments", viewer)).status_code == 200
    assert (await api.request("GET", url, viewer)).content == b"member's"
    assert_problem(await api.attach(viewer, task_id, b"x"), 403)
    assert_problem(await api.request("DELETE", url, viewer), 403)
    # another member may not delete it; its uploader and admins may
    assert_problem(await api.request("DELETE", url, other_member), 403)
    assert (await api.request("DELETE", url, member)).status_code == 204
    assert_problem(await api.request("GET", url, member), 404)
    again = (await api.attach(member, task_id, b"member's")).json()
    assert (await api.request("DELETE", f"/attachments/{again['id']}", admin)).status_code == 204
    assert await _count(state, Attachment) == 0

    # an archived project is read-only
    kept = (await api.attach(member, task_id, b"kept")).json()
    archive = {"archived": True}
    assert (await api.request("PATCH", f"/projects/{pid}", owner, json=archive)).status_code == 200
    assert_problem(await api.attach(owner, task_id, b"x"), 409)
    assert_problem(await api.request("DELETE", f"/attachments/{kept['id']}", owner), 409)
    assert (await api.request("GET", f"/attachments/{kept['id']}", viewer)).content == b"kept"


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_deleting_removes_the_row_and_the_file(
    api: Api, state: AppState, settings: Settings
) -> None:
    owner, pid, task_id = await _setup(api)
    first = (await api.attach(owner, task_id, b"first", "a.txt")).json()
    second = (await api.attach(owner, task_id, b"second", "b.txt")).json()
    deleted = await api.request("DELETE", f"/attachments/{first['id']}", owner)
    assert deleted.status_code == 204
    assert_problem(await api.request("GET", f"/attachments/{first['id']}", owner), 404)
    listed = (await api.request("GET", f"/tasks/{task_id}/attachments", owner)).json()
    assert [item["id"] for item in listed["items"]] == [second["id"]]
    expected = 1 if settings.attachment_store is AttachmentStore.files else 0
    assert len(stored_files(settings)) == expected

    event = (await _events(api, owner, pid))[-1]  # oldest first
    assert event["type"] == "attachment.deleted"
    assert event["subject_id"] == first["id"]
    assert event["snapshot"]["name"] == "a.txt"
    assert event["snapshot"]["sha256"] == first["sha256"]


@pytest.mark.parametrize("store", STORES, indirect=True)
async def test_deleting_the_task_removes_its_files(
    api: Api, state: AppState, settings: Settings
) -> None:
    owner, pid, task_id = await _setup(api)
    other_task = (await api.task(owner, pid))["id"]
    for data in (b"one", b"two"):
        assert (await api.attach(owner, task_id, data)).status_code == 201
    kept = (await api.attach(owner, other_task, b"three")).json()
    gone = await api.request("DELETE", f"/tasks/{task_id}", owner, headers={"If-Match": "*"})
    assert gone.status_code == 204, gone.text
    async with state.database.transaction(write=False) as session:
        assert list(await session.scalars(select(Attachment.id))) == [kept["id"]]
    if settings.attachment_store is AttachmentStore.files:
        (left,) = stored_files(settings)
        assert (settings.attachments_dir / left).read_bytes() == b"three"
    else:
        assert stored_files(settings) == []
    assert (await api.request("GET", kept["download"][7:], owner)).content == b"three"


@pytest.mark.parametrize("store", [AttachmentStore.files], indirect=True)
async def test_a_failed_transaction_leaves_no_file(
    api: Api, state: AppState, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from laneway.activity import recorder
    from laneway.errors import Conflict

    owner, _pid, task_id = await _setup(api)

    async def refuse(*_args: object, **_kwargs: object) -> None:
        assert len(stored_files(settings)) == 1  # the file was in place before the commit
        raise Conflict("Refused at the last moment.")

    monkeypatch.setattr(recorder, "append", refuse)
    assert_problem(await api.attach(owner, task_id, b"never kept"), 409)
    assert stored_files(settings) == []
    assert await _count(state, Attachment) == 0


async def test_webhooks_may_subscribe_to_attachment_events(api: Api, state: AppState) -> None:
    from laneway.webhooks import outbox

    owner, pid, task_id = await _setup(api)
    events = ["attachment.added", "attachment.deleted"]
    hook = {"url": "http://93.184.215.14/hook", "events": events}
    made = await api.request("POST", f"/projects/{pid}/webhooks", owner, json=hook)
    assert made.status_code == 201, made.text
    added = (await api.attach(owner, task_id, b"x")).json()
    assert (await api.request("DELETE", f"/attachments/{added['id']}", owner)).status_code == 204
    await outbox.dispatch(state.database)
    deliveries = await api.request("GET", f"/webhooks/{made.json()['id']}/deliveries", owner)
    assert sorted(d["event_type"] for d in deliveries.json()["items"]) == [
        "attachment.added",
        "attachment.deleted",
    ]


async def test_a_project_export_keeps_attachment_events_but_not_files(
    api: Api, state: AppState
) -> None:
    import io

    import orjson

    from laneway.transfer import export_project, import_project

    owner, pid, task_id = await _setup(api)
    added = (await api.attach(owner, task_id, samples.png(), "shot.png")).json()
    assert (await api.attach(owner, task_id, b"kept")).status_code == 201
    assert (await api.request("DELETE", f"/attachments/{added['id']}", owner)).status_code == 204
    archive = io.BytesIO()
    await export_project(state.database, pid, archive)
    exported = [e for e in orjson.loads(archive.getvalue())["events"] if "attach" in e["type"]]
    assert [e["type"] for e in exported] == [
        "attachment.added",
        "attachment.added",
        "attachment.deleted",
    ]
    assert exported[0]["snapshot"]["uploaded_by"] == owner.email

    result = await import_project(state.database, archive.getvalue(), owner=owner.email, key="CP")
    copied = [e for e in await _events(api, owner, result.project_id) if "attach" in e["type"]]
    assert [e["subject_id"] for e in copied] == [-1, -2, -1]  # stand-ins: no files came along
    assert copied[0]["snapshot"]["name"] == "shot.png"
    assert copied[0]["snapshot"]["uploaded_by"] == owner.id
    assert await _count(state, Attachment) == 1
