"""EventType is the one list of event kinds: what the code records, what the OpenAPI document
states, and (generated from that document) what the web client's types allow."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import laneway
from laneway.activity import types
from laneway.activity.types import EVENT_TYPES
from laneway.commits import RecordedEvent
from laneway.realtime import wire
from laneway.realtime.schemas import LiveEvent, LivePresence, LiveReload
from tests.support import Api

SOURCE = Path(laneway.__file__).parent
DOMAINS = {event_type.split(".")[0] for event_type in EVENT_TYPES}
LOOKS_LIKE_EVENT = re.compile(rf"^({'|'.join(sorted(DOMAINS))})\.[a-z_]+$")


def _trees() -> list[ast.Module]:
    return [
        ast.parse(path.read_text(), str(path))
        for path in sorted(SOURCE.rglob("*.py"))
        if path != Path(types.__file__)
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


async def test_openapi_states_the_event_types(api: Api) -> None:
    schemas = (await api.client.get("/openapi.json")).json()["components"]["schemas"]
    assert schemas["EventType"] == {"type": "string", "enum": list(EVENT_TYPES)}
    ref = {"$ref": "#/components/schemas/EventType"}
    assert schemas["EventOut"]["properties"]["type"] == ref
    # the live socket's messages, which no HTTP route returns
    assert schemas["LiveEvent"]["properties"]["type"] == ref
    assert set(schemas["LiveEvent"]["properties"]) == set(schemas["EventOut"]["properties"])
    assert schemas["LivePresence"]["properties"]["type"]["const"] == "presence"
    assert schemas["LiveReload"]["properties"]["type"]["const"] == "reload"


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
    assert LiveEvent.model_validate_json(event.text).type == "task.moved"
    LivePresence.model_validate_json(wire.control("presence", viewers=[1]))
    LivePresence.model_validate_json(wire.control("presence", viewers=[], changed=1, here=False))
    LiveReload.model_validate_json(wire.control("reload", seq=7))
