"""A project exported and imported again is the same project: every status, label, task,
comment and event, the board's order and the counts; only ids, the key and when differ."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

import orjson

from laneway.state import AppState
from laneway.transfer import export_project, import_project
from tests.support import Api
from tests.transfer.projectdiff import describe, differences
from tests.transfer.seed import ok, rich_project

# the archive's refs (ids where it was made), by the kind of thing they name
REFS = {"status": "status", "label": "label", "comment": "comment"}
FIELDS = {"status_id": "status", "labels": "label", "order": "status"}


def canonical(archive: bytes) -> dict[str, Any]:
    """The archive without when and where it was made: refs renamed 1, 2, ... per kind in the
    order they first appear (two archives are equal when one's refs map one-to-one onto the
    other's), the project's id and key dropped."""
    doc: dict[str, Any] = orjson.loads(archive)
    del doc["exported_at"]
    del doc["project"]["ref"], doc["project"]["key"]
    renamed: dict[str, dict[Any, int]] = defaultdict(dict)

    def ref(kind: str, value: Any) -> Any:
        if isinstance(value, list):
            return [ref(kind, v) for v in value]
        return None if value is None else renamed[kind].setdefault(value, len(renamed[kind]) + 1)

    for part, kind in (("statuses", "status"), ("labels", "label"), ("comments", "comment")):
        for item in doc[part]:
            item["ref"] = ref(kind, item["ref"])
    for event in doc["events"]:
        family = event["type"].split(".")[0]
        kinds = dict(FIELDS) | ({"id": REFS[family]} if family in REFS else {})
        if family in REFS:
            event["subject"] = ref(REFS[family], event["subject"])
        if family == "project":
            event["subject"] = "<project>"
        for part in ("changes", "snapshot"):
            for key, value in list((event[part] or {}).items()):
                if key in ("project_id", "key") or (family == "project" and key == "id"):
                    del event[part][key]
                elif key in kinds and part == "changes":
                    event[part][key] = [ref(kinds[key], side) for side in value]
                elif key in kinds:
                    event[part][key] = ref(kinds[key], value)
    return doc


async def test_round_trip_is_lossless(api: Api, state: AppState) -> None:
    seeded = await rich_project(api)
    first = io.BytesIO()
    summary = await export_project(state.database, seeded.project["id"], first)
    assert (summary.tasks, summary.comments, summary.statuses) == (33, 11, 6)

    result = await import_project(
        state.database, first.getvalue(), owner=seeded.owner.email, key="COPY", match_people=True
    )
    assert (result.key, result.tasks, result.events) == ("COPY", 33, summary.events)
    assert result.unmatched_emails == []
    before = await describe(state.database, seeded.project["id"])
    after = await describe(state.database, result.project_id)
    assert differences(before, after) == []

    # exported again, the copy gives the same archive
    second = io.BytesIO()
    await export_project(state.database, result.project_id, second)
    assert differences(canonical(first.getvalue()), canonical(second.getvalue())) == []


async def test_the_copy_carries_on_where_the_original_stopped(api: Api, state: AppState) -> None:
    seeded = await rich_project(api)
    archive = io.BytesIO()
    summary = await export_project(state.database, seeded.project["id"], archive)
    result = await import_project(state.database, archive.getvalue(), owner=seeded.owner.id)
    assert result.key == "TRIP2"  # the archive's key is taken here
    pid = result.project_id

    # numbers and events continue after the archive's (the last, 34, was deleted: 35 is next)
    task = await api.task(seeded.owner, pid, title="After the import")
    assert task["number"] == "TRIP2-35"
    activity = await ok(api, "GET", f"/projects/{pid}/activity?limit=500", seeded.owner)
    seqs = [e["seq"] for e in activity["items"]]
    assert seqs == list(range(1, summary.events + 2))
    assert activity["items"][-1]["snapshot"]["number"] == "TRIP2-35"
    # the board's exact counts match its columns
    board = await ok(api, "GET", f"/projects/{pid}/board?limit=200", seeded.owner)
    for column in board["columns"]:
        assert column["count"] == len(column["tasks"])
    # the history of an imported task is its own
    first_task = await ok(api, "GET", f"/projects/{pid}/tasks/by-number/TRIP2-1", seeded.owner)
    history = await ok(api, "GET", f"/tasks/{first_task['id']}/activity", seeded.owner)
    assert history["items"][0]["type"] == "task.created"
    assert {e["task_id"] for e in history["items"]} == {first_task["id"]}
