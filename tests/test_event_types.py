"""EventType is the one list of event kinds: what the code records, what the OpenAPI document
states, and (generated from that document) what the web client's types allow."""

from __future__ import annotations

import ast
import functools
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args, get_overloads, get_type_hints

import pytest
from pydantic import ConfigDict, TypeAdapter

import laneway
from laneway.activity import recorder
from laneway.activity.schemas import EVENT_OUT, AnyEventOut
from laneway.commits import RecordedEvent
from laneway.models import Priority, event_types
from laneway.models.event_payloads import AnyPayload, TaskPriority
from laneway.models.event_types import EVENT_TYPES
from laneway.realtime import wire
from laneway.realtime.schemas import LIVE_MESSAGE, LivePresence, LiveReload
from laneway.tasks import ranks
from laneway.tasks.schemas import PriorityName
from tests.support import Api

SOURCE = Path(laneway.__file__).parent
DOMAINS = {event_type.split(".")[0] for event_type in EVENT_TYPES}
LOOKS_LIKE_EVENT = re.compile(rf"^({'|'.join(sorted(DOMAINS))})\.[a-z_]+$")


@functools.cache  # parsed once for the tests that read the whole source
def _trees() -> list[ast.Module]:
    return [
        ast.parse(path.read_text(), str(path))
        for path in sorted(SOURCE.rglob("*.py"))
        if path != Path(event_types.__file__)
    ]


def _drafted_types() -> set[str]:
    """String constants passed as the type of recorder.Draft(...)."""
    found = set()
    for tree in _trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name != "Draft":
                continue
            given = [k.value for k in node.keywords if k.arg == "type"] or node.args[:1]
            found |= {g.value for g in given if isinstance(g, ast.Constant)}
    return found


def test_every_drafted_type_is_declared() -> None:
    drafted = _drafted_types()
    assert drafted, "the scan found no Draft(...) calls: has the recorder moved?"
    assert drafted <= set(EVENT_TYPES), drafted - set(EVENT_TYPES)


def test_event_types_are_exactly_the_ones_the_code_uses() -> None:
    # types held in variables (event_type = "task.archived") are found as plain constants
    used = {
        node.value
        for tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and LOOKS_LIKE_EVENT.match(node.value)
    }
    assert used == set(EVENT_TYPES)


def test_the_recorder_and_the_api_pair_each_family_as_the_payload_table_does() -> None:
    """event_payloads' `Payload` aliases are the one table of families (type, changes,
    snapshot). The recorder's `Draft` overloads (for mypy) and the API's event schemas (for
    the OpenAPI document) must each be written out, so they restate it: in the same order,
    with the same types, or this fails."""
    table = [get_args(family) for family in get_args(AnyPayload)]
    drafts = []
    for overload in get_overloads(recorder.Draft.__init__):
        hints = get_type_hints(overload)
        drafts.append((hints["type"], hints["changes"], _not_none(hints["snapshot"])))
    assert drafts == table
    stated = []
    for family in get_args(AnyEventOut):
        fields = family.model_fields
        stated.append(
            (
                fields["type"].annotation,
                fields["changes"].annotation,
                _not_none(fields["snapshot"].annotation),
            )
        )
    assert stated == table


def _not_none(optional: Any) -> Any:
    (stated,) = [arg for arg in get_args(optional) if arg is not type(None)]
    return stated


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


async def test_openapi_states_the_event_types(api: Api) -> None:
    schemas = (await api.client.get("/openapi.json")).json()["components"]["schemas"]
    assert schemas["EventType"] == {"type": "string", "enum": list(EVENT_TYPES)}
    # an event: one schema per family, told apart by `type`; each type in exactly one family
    event = schemas["EventOut"]
    mapping = event["discriminator"]["mapping"]
    assert event["discriminator"]["propertyName"] == "type"
    assert list(mapping) == sorted(EVENT_TYPES)
    families = [choice["$ref"].rpartition("/")[2] for choice in event["oneOf"]]
    typed = [t for f in families for t in _family_types(schemas[f]["properties"]["type"])]
    assert sorted(typed) == sorted(EVENT_TYPES)
    for family in families:
        properties = schemas[family]["properties"]
        assert list(properties) == [
            *("seq", "type", "actor_id", "subject_id", "task_id"),
            *("changes", "snapshot", "created_at"),
        ]
        for event_type in _family_types(properties["type"]):
            assert mapping[event_type] == _ref(family)["$ref"]
    assert schemas["TaskEventOut"]["properties"]["snapshot"]["anyOf"][0] == _ref("TaskSnapshot")
    # the live socket's messages, which no HTTP route returns
    live = schemas["LiveMessage"]
    assert live["oneOf"] == [*event["oneOf"], _ref("LivePresence"), _ref("LiveReload")]
    assert live["discriminator"]["mapping"] == {
        **mapping,
        "presence": _ref("LivePresence")["$ref"],
        "reload": _ref("LiveReload")["$ref"],
    }
    assert schemas["LivePresence"]["properties"]["type"]["const"] == "presence"
    assert schemas["LiveReload"]["properties"]["type"]["const"] == "reload"


def _family_types(schema: dict[str, Any]) -> list[str]:
    return [schema["const"]] if "const" in schema else list(schema["enum"])


def test_a_task_snapshot_names_priorities_as_the_api_does() -> None:
    assert list(get_args(TaskPriority)) == [p.value for p in PriorityName]
    assert {p.name for p in Priority} == set(get_args(TaskPriority))


def test_live_schemas_describe_what_the_socket_sends() -> None:
    event = wire.message(
        RecordedEvent(
            project_id=1,
            seq=7,
            type="task.moved",
            actor_id=2,
            subject_id=3,
            task_id=3,
            changes={"rank": ["a", "b"]},
            snapshot={"id": 3},
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    assert LIVE_MESSAGE.validate_json(event.text).type == "task.moved"
    for text, kind in (
        (wire.control("presence", viewers=[1]), LivePresence),
        (wire.control("presence", viewers=[], changed=1, here=False), LivePresence),
        (wire.control("reload", seq=7), LiveReload),
    ):
        assert isinstance(LIVE_MESSAGE.validate_json(text), kind)


_STRICT = ConfigDict(extra="forbid", strict=True)


async def test_every_event_carries_the_payloads_its_family_states(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each type written through the API: its changes and snapshot are exactly the shapes
    the document states for its family, no field more or less, each of its stated type."""
    monkeypatch.setattr(ranks, "REBALANCE_AT", 3)  # a column re-keyed after a few inserts
    owner, mate = await api.user(), await api.user()
    pid = (await api.project(owner, key="ALL"))["id"]
    await api.add_member(pid, owner, mate, "member")
    await _ok(api, owner, "PATCH", f"/projects/{pid}/members/{mate.id}", {"role": "admin"})
    made = await _ok(api, owner, "POST", f"/projects/{pid}/statuses", {"name": "Later"})
    await _ok(api, owner, "PATCH", f"/projects/{pid}/statuses/{made['id']}", {"position": 0})
    label = await api.label(owner, pid, "bug")
    await _ok(api, owner, "PATCH", f"/projects/{pid}/labels/{label['id']}", {"color": "#000000"})
    task = await api.task(owner, pid, title="One", labels=[label["id"]], assignee_id=mate.id)
    url, todo = f"/tasks/{task['id']}", (await api.statuses(owner, pid))[1]["id"]
    await _ok(api, owner, "PATCH", url, {"title": "Two", "due_date": "2030-01-02"}, "*")
    await _ok(api, owner, "POST", f"{url}/move", {"status_id": made["id"]}, "*")
    await _ok(api, owner, "PATCH", url, {"archived": True}, "*")
    await _ok(api, owner, "PATCH", url, {"archived": False}, "*")
    comment = await _ok(api, mate, "POST", f"{url}/comments", {"body": "hi"})
    await _ok(api, mate, "PATCH", f"/comments/{comment['id']}", {"body": "hello"})
    await _ok(api, mate, "DELETE", f"/comments/{comment['id']}")
    attached = (await api.attach(owner, task["id"], b"notes")).json()
    await _ok(api, owner, "DELETE", f"/attachments/{attached['id']}")
    for i in range(12):  # always into the same gap, until the column is re-keyed
        other = await api.task(owner, pid, title=f"t{i}")
        body = {"status_id": made["id"], "after_id": task["id"]}
        await _ok(api, owner, "POST", f"/tasks/{other['id']}/move", body, "*")
    await _ok(api, owner, "DELETE", f"/projects/{pid}/labels/{label['id']}")
    await _ok(api, owner, "DELETE", f"/projects/{pid}/statuses/{made['id']}?move_to={todo}")
    await _ok(api, owner, "DELETE", url, None, "*")
    await _ok(api, owner, "DELETE", f"/projects/{pid}/members/{mate.id}")
    await _ok(api, owner, "PATCH", f"/projects/{pid}", {"name": "Everything"})
    await _ok(api, owner, "PATCH", f"/projects/{pid}", {"archived": True})
    await _ok(api, owner, "PATCH", f"/projects/{pid}", {"archived": False})

    page = await _ok(api, owner, "GET", f"/projects/{pid}/activity?limit=500")
    assert {item["type"] for item in page["items"]} == set(EVENT_TYPES)
    for item in page["items"]:
        family = type(EVENT_OUT.validate_python(item))
        for name in ("changes", "snapshot"):  # a change's [before, after] counts 2 items too
            stated = TypeAdapter(family.model_fields[name].annotation | None, config=_STRICT)
            stated.validate_json(json.dumps(item[name]))


async def _ok(
    api: Api,
    user: Any,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    if_match: str | None = None,
) -> Any:
    headers = {} if if_match is None else {"If-Match": if_match}
    response = await api.request(method, path, user, json=body, headers=headers)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None
