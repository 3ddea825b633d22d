"""The whole API under schemathesis, in-process, on both backends: no request is a server error.

The fuzzer is a signed-in member of a project with data in place (statuses, labels, tasks, a
sub-task, comments, attachments, a second member), and real ids are mixed into generated ones,
so requests reach the code behind the 404s. Every phase runs: the schema's examples, coverage
(boundaries and invalid values), fuzzing, and stateful sequences along the links schemathesis
infers. Each phase is a test of its own, on a world of its own, so the phases run side by side.
A fixed seed keeps CI repeatable; schemathesis runs Hypothesis with no deadline and no example
database, so a slow request is no failure and nothing is replayed from an earlier run. Each
backend has a seed of its own: with one seed both would be sent much the same requests, and two
seeds at 12 examples an operation send more different requests than one at 20 did, in less time.

It drives schemathesis' engine, the code behind its command line, rather than its pytest
plugin: the plugin's fixture loader fails on pytest 9, and the engine runs the stateful phase
along the same links the CLI infers. In-process, an unhandled exception reaches the engine
itself (and is reported as an error) besides the 500 it became.
"""

from __future__ import annotations

import importlib
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
import schemathesis.engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, StopReason, events
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.hooks import HookContext
from schemathesis.python import asgi
from schemathesis.schemas import BaseSchema

from laneway.app import create_app
from laneway.config import Settings
from tests.support import API, PASSWORD

pytestmark = pytest.mark.system

# schemathesis imports most of itself on first use, and pytest parses each of those modules to
# rewrite its asserts (it is a pytest plugin's package). Parsed during a test, beside its event
# loop's threads, a leaked socket's finalizer could warn inside ast.parse, which CPython 3.11
# reports as "AST constructor recursion depth mismatch" (python/cpython#106905); at collection
# nothing else runs.
for _module in (
    "schemathesis.specs.openapi.schemas",
    "schemathesis.engine.core",
    "schemathesis.engine.run.stateful._executor",
    "schemathesis.generation.body_overrides",
    "schemathesis.transport.asgi",
    "schemathesis.transport.wsgi",
    "schemathesis.engine.run.analysis",
    "schemathesis.engine.run.auth_bootstrap",
    "schemathesis.engine.run.probes",
    "schemathesis.specs.openapi._ordering",
    "schemathesis.specs.openapi.auth_flow.bootstrap",
    "schemathesis.specs.openapi.auth_inference",
    "schemathesis.specs.openapi.stateful.link_calibration",
    "schemathesis.specs.openapi.coverage._operation",
):
    importlib.import_module(_module)

SEEDS = {"postgresql": 20261130, "sqlite": 20261207}
EXAMPLES = 12  # per operation, and stateful scenarios per run
# 0 server errors is the contract; the others pass too, so they keep the document honest.
# Not positive_data_acceptance: schema-valid ids of things that do not exist are rightly 404/422.
# Not allow_header_conformance: a 405 names only the methods of the first route on the path.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "use_after_free",
    "ensure_resource_availability",
    "missing_required_header",
    "ignored_auth",
    "unsupported_method",
]
# Each of these ends the fuzzer's own session (or will once it exists): every later request
# would be a 401 and the run would test nothing.
SELF_LOCKOUT = ["logout", "revoke_token", "logout_everywhere", "change_password"]
# The inbox's long poll waits (25 s by default) for a notification the run never makes, and
# the coverage phase applies no hooks to shorten it; tests/notifications checks its input.
LONG_POLLS = ["wait_for_notifications"]


@dataclass(frozen=True)
class World:
    """The ids the fuzzer mixes into what it generates."""

    token: str
    other_email: str
    ids: dict[str, list[int]]
    numbers: list[str]


def _seed(client: asgi.ASGIClient) -> World:
    def call(method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.request(method, f"{API}{path}", headers=headers, **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    tokens = {}
    users = {}
    for name in ("fuzzer", "other"):
        email = f"{name}@example.com"
        body = {"email": email, "password": PASSWORD, "name": name}
        users[name] = call("POST", "/auth/register", json=body)["id"]
        login = {"email": email, "password": PASSWORD}
        tokens[name] = call("POST", "/auth/login", json=login)["token"]
    token = tokens["fuzzer"]
    project = call("POST", "/projects", token, json={"name": "Fuzzed", "key": "FUZ"})["id"]
    call("POST", f"/projects/{project}/members", token, json={"email": "other@example.com"})
    statuses = [s["id"] for s in call("GET", f"/projects/{project}/statuses", token)]
    labels = [
        call("POST", f"/projects/{project}/labels", token, json={"name": n})["id"]
        for n in ("bug", "ui")
    ]
    tasks: list[dict[str, Any]] = []
    for index in range(4):
        body = {
            "title": f"Task {index}",
            "status_id": statuses[index % 2],
            "labels": labels[: index % 3],
            "assignee_id": users["other"] if index % 2 else None,
            "parent_id": tasks[0]["id"] if tasks else None,
        }
        tasks.append(call("POST", f"/projects/{project}/tasks", token, json=body))
    comments = [
        call("POST", f"/tasks/{tasks[0]['id']}/comments", token, json={"body": text})["id"]
        for text in ("first", "second")
    ]
    attachments = [
        call("POST", f"/tasks/{tasks[0]['id']}/attachments", token, files={"file": file})["id"]
        for file in (("notes.txt", b"notes"), ("pixel.gif", b"GIF89a\x01\x00\x01\x00;"))
    ]
    return World(
        token=token,
        other_email="other@example.com",
        ids={
            "project_id": [project],
            "status_id": statuses,
            "label_id": labels,
            "task_id": [t["id"] for t in tasks],
            "comment_id": comments,
            "attachment_id": attachments,
            "user_id": list(users.values()),
        },
        numbers=[t["number"] for t in tasks],
    )


PHASES = ["examples", "coverage", "fuzzing", "stateful"]


def _config(world: World, checks: list[str], phase: str, seed: int) -> SchemathesisConfig:
    dictionaries: dict[str, Any] = {name: {"values": values} for name, values in world.ids.items()}
    dictionaries["number"] = {"values": world.numbers}
    dictionaries["email"] = {"values": [world.other_email]}
    # Half the time a real id, half a generated one: both the found and the not-found paths.
    parameters: dict[str, Any] = {
        f"path.{name}": {"dictionary": name, "probability": 0.5} for name in world.ids
    }
    parameters["path.number"] = {"dictionary": "number", "probability": 0.5}
    for name, dictionary in (
        ("status_id", "status_id"),
        ("assignee_id", "user_id"),
        ("parent_id", "task_id"),
        ("after_id", "task_id"),
        ("before_id", "task_id"),
        ("labels[*]", "label_id"),
        ("task_ids[*]", "task_id"),
        ("email", "email"),
    ):
        parameters[f"body.{name}"] = {"dictionary": dictionary, "probability": 0.5}
    return SchemathesisConfig.from_dict(
        {
            "seed": seed,
            "headers": {"Authorization": f"Bearer {world.token}"},
            "dictionaries": dictionaries,
            "parameters": parameters,
            "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in checks}},
            "phases": {
                **{name: {"enabled": name == phase} for name in PHASES},
                "stateful": {"enabled": phase == "stateful", "max-steps": 10},
            },
        }
    )


@dataclass
class Report:
    """What the run did, by phase, and every failed check with the request that failed it."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def record(self, phase: str, recorder: ScenarioRecorder) -> None:
        for case_id, interaction in recorder.interactions.items():
            if interaction.response is not None:
                self.statuses[phase, interaction.response.status_code] += 1
            for check in recorder.checks.get(case_id, []):
                if check.status == Status.FAILURE:
                    request = interaction.request
                    body = (request.body or b"")[:300]
                    self.failures.append(
                        f"{phase}: {check.name}: {request.method} {request.uri} {body!r} -> "
                        f"{interaction.response.status_code if interaction.response else None}"
                    )


def _keep_live(_context: HookContext, body: Any) -> Any:
    """Restoring, yes; archiving, no: an archived project is read-only, and every later write to
    it would be a 409 that reaches nothing."""
    if isinstance(body, dict) and body.get("archived") is True:
        return {**body, "archived": False}
    return body


def _stay_in(world: World) -> Callable[[HookContext, Any], Any]:
    """The fuzzer may remove or demote the other member, not itself: once it made the other an
    owner, leaving would end its access to the project as surely as a logout ends its session."""
    me, other = world.ids["user_id"]

    def keep_me(_context: HookContext, path: Any) -> Any:
        if isinstance(path, dict) and path.get("user_id") == me:
            return {**path, "user_id": other}
        return path

    return keep_me


def _new_idempotency_keys(serial: itertools.count[int]) -> Callable[[HookContext, Any], Any]:
    """A key of its own for each request of a sequence. A key used again replays its first
    answer, as it should: a member added, removed, then "added" again under the same key gets
    the first 201 while staying removed, and the sequence's next step, removing the member it
    thinks it added, is a 404 that schemathesis reads as a resource lost after its creation."""

    def fresh(_context: HookContext, headers: Any) -> Any:
        if isinstance(headers, dict) and "Idempotency-Key" in headers:
            return {**headers, "Idempotency-Key": f"stateful-{next(serial)}"}
        return headers

    return fresh


def fuzz(schema: BaseSchema) -> Report:
    report = Report()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            report.record(event.phase.value, event.recorder)
        elif isinstance(event, events.NonFatalError):
            report.failures.append(f"{event.phase}: {event.label}: {event.value!r}"[:500])
        elif isinstance(event, events.FatalError):
            report.failures.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            assert event.stop_reason == StopReason.COMPLETED, event.stop_reason
    return report


# Hypothesis remarks on the size of a failing example while reporting it; the failure itself is
# what this test reports.
@pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)
@pytest.mark.parametrize("phase", PHASES)
def test_no_server_errors(settings: Settings, phase: str) -> None:
    app = create_app(settings)
    backend = "sqlite" if settings.is_sqlite else "postgresql"
    try:
        # The client starts the app's lifespan on schemathesis' own event loop, where every
        # request of the run is served, so the database pools live on that one loop.
        with asgi.get_client(app) as client:
            world = _seed(client)
            checks = CHECKS
            if settings.is_sqlite:
                # SQLite gives a new row the highest id again once that row was deleted (no
                # AUTOINCREMENT on the tables yet): a comment deleted and one created next
                # share an id, which this check reads as the deleted one coming back.
                checks = [c for c in CHECKS if c != "use_after_free"]
            schema = schemathesis.openapi.from_asgi(
                "/openapi.json", app, config=_config(world, checks, phase, SEEDS[backend])
            )
            schema = schema.exclude(operation_id=SELF_LOCKOUT + LONG_POLLS)
            schema.hook("map_body").apply_to(operation_id="update_project")(_keep_live)
            schema.hook("map_path_parameters").apply_to(
                operation_id=["remove_member", "change_member_role"]
            )(_stay_in(world))
            keys = itertools.count()
            if phase == "stateful":
                schema.hook("map_headers")(_new_idempotency_keys(keys))
            report = fuzz(schema)
            auth = {"Authorization": f"Bearer {world.token}"}
            me = client.get(f"{API}/me", headers=auth)
            project = client.get(f"{API}/projects/{world.ids['project_id'][0]}", headers=auth)
    finally:
        asgi.shutdown_lifespans()
    assert report.failures == [], "\n".join(report.failures)
    assert me.status_code == 200, "the run locked itself out"
    assert project.json()["role"] == "owner", "the run left its project"
    # the phase ran, alone, and got past authentication and validation to real objects
    assert {ran for ran, _ in report.statuses} == {phase}, sorted(report.statuses.items())
    if phase == "stateful":
        assert next(keys) > 0, "no request of the sequences had its Idempotency-Key replaced"
    if phase != "examples":  # the document's examples are placeholders, mostly refused
        assert report.statuses[phase, 200] > 0, sorted(report.statuses.items())
