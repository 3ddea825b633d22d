"""A hostile upload cannot stall the server: files are read off the event loop, so
/health/live answers while they are, and they are read as a stream, refused at the first item
over a limit (the rest of the file, here not even JSON, is never read)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from laneway.state import AppState
from laneway.transfer import csv_read, schema, stream, trello
from laneway.transfer.errors import TransferError
from tests.support import Api

BROKEN_TAIL = b"\xff this is not JSON, nor UTF-8"
HEAD = {
    "format": "laneway.project",
    "version": 1,
    "project": {"key": "HOST", "name": "Hostile"},
}
STATUS = {"ref": 1, "name": "Todo", "category": "unstarted", "position": 0}


def hostile_json(size: int) -> bytes:
    """A list of `{}`, `size` bytes long."""
    return b"[" + b"{}," * ((size - 4) // 3) + b"{}]"


def hostile_csv(size: int) -> bytes:
    return b"Title\n" + b"\n" * (size - 6)


async def test_health_answers_while_hostile_uploads_are_imported_and_refused(
    api: Api, state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    read_on: list[int] = []

    def spied(read: Callable[..., Any]) -> Callable[..., Any]:
        def reading(*args: Any) -> Any:
            read_on.append(threading.get_ident())
            return read(*args)

        return reading

    monkeypatch.setattr(schema, "parse", spied(schema.parse))
    monkeypatch.setattr(csv_read, "read", spied(csv_read.read))
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    uploads = [
        await api.request("POST", "/imports", owner, content=hostile_json(64 * 2**20 - 1024)),
        await api.request(
            "POST",
            f"/projects/{pid}/imports?map=title=Title",
            owner,
            content=hostile_csv(8 * 2**20),
            headers={"Content-Type": "text/csv"},
        ),
    ]
    assert [upload.status_code for upload in uploads] == [202, 202]

    running = asyncio.create_task(state.transfers.drain())
    live = await api.client.get("/health/live")  # while the imports run
    await running
    assert live.status_code == 200
    assert len(read_on) == 2
    assert loop_thread not in read_on  # both were read off the event loop
    errors = []
    for upload in uploads:
        body = (await api.request("GET", f"/transfers/{upload.json()['id']}", owner)).json()
        errors.append((body["state"], body["error"]))
    assert errors == [
        ("failed", "not a Laneway project archive (its format is not 'laneway.project')"),
        ("failed", f"the CSV file has more than {csv_read.MAX_ROWS} rows: split it"),
    ]


def archive_start(**collections: list[Any]) -> bytes:
    """An archive's opening: its header, then collections, left open for what follows."""
    return orjson.dumps(HEAD | collections)[:-1]


def test_an_archive_is_refused_at_the_first_item_over_a_limit() -> None:
    statuses = [STATUS | {"ref": i, "name": f"S{i}"} for i in range(schema.MAX_STATUSES + 1)]
    too_many = archive_start(statuses=statuses) + BROKEN_TAIL
    with pytest.raises(TransferError) as refused:
        schema.parse(too_many)
    assert refused.value.detail == (
        f"the archive has more than {schema.MAX_STATUSES} statuses: "
        f"the limit is {schema.MAX_STATUSES}"
    )


def test_an_archive_is_refused_at_the_first_field_over_its_limit() -> None:
    task = {"number": 1, "title": "T", "status": "Todo", "rank": "a0"}
    huge = task | {"description": "x" * (stream.STRING_CHARS + 1)}
    over = archive_start(statuses=[STATUS]) + b',"tasks":[' + orjson.dumps(huge)
    with pytest.raises(TransferError) as refused:
        schema.parse(over + BROKEN_TAIL)
    assert refused.value.detail == (
        f"the archive is invalid: tasks[0]: a string longer than {stream.STRING_CHARS} characters"
    )

    nested = b'{"seq":1,"type":"task.created","created_at":"2026-01-01T00:00:00Z","changes":'
    deep = archive_start(statuses=[STATUS]) + b',"events":[' + nested + b"[" * 64
    with pytest.raises(TransferError, match=r"events\[0\]: nested deeper than 32"):
        schema.parse(deep + BROKEN_TAIL)


def test_a_bad_first_item_ends_the_reading() -> None:
    empties = archive_start(statuses=[STATUS]) + b',"events":[{},{},{}' + BROKEN_TAIL
    with pytest.raises(TransferError) as refused:
        schema.parse(empties)
    assert refused.value.detail.startswith("the archive is invalid: events[0].seq: Field required")


def test_a_csv_file_is_refused_at_the_first_row_over_the_limit() -> None:
    rows = hostile_csv(csv_read.MAX_ROWS + 2**16) + BROKEN_TAIL  # past the decoder's read
    with pytest.raises(TransferError, match=f"more than {csv_read.MAX_ROWS} rows"):
        csv_read.read(rows, {"title": "Title"})
    wide = b"Title\n" + b"x" * (csv_read.csv.field_size_limit() + 1) + b"\n" * 2**16 + BROKEN_TAIL
    with pytest.raises(TransferError, match="row 2: a cell is longer than"):
        csv_read.read(wide, {"title": "Title"})


def test_a_trello_board_is_refused_at_the_first_item_over_a_limit() -> None:
    most = trello.COLLECTIONS["labels"][1]
    labels = [{"id": str(i), "name": f"L{i}"} for i in range(most + 1)]
    board = orjson.dumps({"name": "B", "labels": labels})[:-1] + BROKEN_TAIL
    with pytest.raises(TransferError) as refused:
        trello.parse(board)
    assert refused.value.detail == (
        f"the Trello export has more than {most} labels: the limit is {most}"
    )
