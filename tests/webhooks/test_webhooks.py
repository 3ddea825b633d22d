"""Webhooks against a real local receiver (both backends): every subscribed event once, in
order, signed so the Standard Webhooks reference verifier accepts it; retries on schedule;
410 disables; a runner killed mid-delivery loses nothing."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from laneway.config import WebhookSettings
from laneway.models import DeliveryState, WebhookDelivery
from laneway.outbound.client import Outbound
from laneway.state import AppState
from laneway.webhooks import signing
from laneway.webhooks.runner import WebhookRunner
from tests.support import Api, assert_problem
from tests.webhooks.conftest import Clock, Receiver, one_pass, settle

Hooked = tuple[Api, AppState, WebhookRunner]


async def _hook(api: Api, owner: object, pid: int, url: str, events: list[str]) -> dict:  # type: ignore[type-arg]
    response = await api.request(
        "POST", f"/projects/{pid}/webhooks", owner, json={"url": url, "events": events}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_subscribed_events_arrive_once_in_order_and_verify(
    hooked: Hooked, receiver: Receiver
) -> None:
    api, _state, runner = hooked
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    hook = await _hook(api, owner, pid, receiver.url, ["task.created", "task.moved"])
    assert hook["secret"].startswith("whsec_")
    assert len(base64.b64decode(hook["secret"].removeprefix("whsec_"))) == 32
    assert (hook["active"], hook["events"]) == (True, ["task.created", "task.moved"])
    statuses = await api.statuses(owner, pid)
    tasks = [await api.task(owner, pid, title=f"t{n}") for n in range(3)]
    moved = await api.request(
        "POST",
        f"/tasks/{tasks[0]['id']}/move",
        owner,
        json={"status_id": statuses[1]["id"]},
        headers={"If-Match": "*"},
    )
    assert moved.status_code == 200, moved.text
    await api.request(
        "PATCH",
        f"/tasks/{tasks[1]['id']}",
        owner,
        json={"title": "renamed"},
        headers={"If-Match": "*"},
    )
    await settle(runner, lambda: len(receiver.got) >= 4)
    await one_pass(runner)
    assert len(receiver.got) == 4  # task.updated is not subscribed; nothing twice

    verifier = Verifier(hook["secret"])
    bodies = [verifier.verify(got.body, got.headers) for got in receiver.got]
    assert [b["type"] for b in bodies] == ["task.created"] * 3 + ["task.moved"]
    seqs = [b["data"]["seq"] for b in bodies]
    assert seqs == sorted(seqs)
    assert len({got.headers["webhook-id"] for got in receiver.got}) == 4
    assert bodies[0]["data"]["project_id"] == pid
    assert bodies[0]["data"]["snapshot"]["title"] == "t0"

    first = receiver.got[0]
    tampered = first.body.replace(b'"t0"', b'"t9"')
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered, first.headers)
    old = int(time.time()) - 6 * 60
    stale = signing.headers([hook["secret"]], first.headers["webhook-id"], old, first.body)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verifier.verify(first.body, stale)
    assert first.headers["content-type"] == "application/json"


async def test_a_failing_receiver_gets_it_after_the_scheduled_retries(
    hooked: Hooked, receiver: Receiver, clock: Clock
) -> None:
    api, state, runner = hooked
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    await _hook(api, owner, pid, receiver.url, ["*"])
    receiver.script = [500, 502, 503]
    await api.task(owner, pid, title="persistent")
    await settle(runner, lambda: len(receiver.got) == 1)
    for wait, expected in ((5, 2), (300, 3), (1800, 4)):
        clock.advance(wait - 1)
        await one_pass(runner)
        assert len(receiver.got) == expected - 1  # not before its time
        clock.advance(1)
        await one_pass(runner)
        assert len(receiver.got) == expected
    async with state.database.transaction(write=False) as session:
        (delivery,) = (await session.scalars(select(WebhookDelivery))).all()
    assert delivery.state == DeliveryState.delivered
    assert delivery.attempts == 4
    assert delivery.last_status == 200
    ids = {got.headers["webhook-id"] for got in receiver.got}
    assert len(ids) == 1  # one message, four attempts


async def test_retry_after_is_honoured_and_the_schedule_ends(
    hooked: Hooked, receiver: Receiver, clock: Clock
) -> None:
    api, _state, runner = hooked
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    hook = await _hook(api, owner, pid, receiver.url, ["task.created"])
    receiver.script = [503] * 10
    receiver.retry_after = "120"
    await api.task(owner, pid)
    await settle(runner, lambda: len(receiver.got) == 1)
    clock.advance(60)  # past the schedule's 5 s, short of Retry-After's 120
    await one_pass(runner)
    assert len(receiver.got) == 1
    for wait in (61, 300, 1800):
        clock.advance(wait)
        await one_pass(runner)
    assert len(receiver.got) == 4
    clock.advance(100_000)
    await one_pass(runner)
    assert len(receiver.got) == 4  # the schedule has four attempts, then it gives up
    log = (await api.request("GET", f"/webhooks/{hook['id']}/deliveries", owner)).json()
    (item,) = log["items"]
    assert (item["state"], item["attempts"], item["last_status"]) == ("failed", 4, 503)
    assert item["response_snippet"] == "answered 503"
    assert item["last_latency_ms"] >= 0


async def test_410_disables_the_webhook(hooked: Hooked, receiver: Receiver) -> None:
    api, _state, runner = hooked
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    hook = await _hook(api, owner, pid, receiver.url, ["*"])
    receiver.script = [410]
    await api.task(owner, pid)
    await settle(runner, lambda: len(receiver.got) == 1)
    got = (await api.request("GET", f"/webhooks/{hook['id']}", owner)).json()
    assert got["active"] is False
    assert "410" in got["disabled_reason"]
    await api.task(owner, pid)
    for _ in range(3):
        await one_pass(runner)
    assert len(receiver.got) == 1


async def test_a_runner_killed_mid_delivery_loses_nothing(
    hooked: Hooked, receiver: Receiver, clock: Clock
) -> None:
    api, state, runner = hooked
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    hook = await _hook(api, owner, pid, receiver.url, ["task.created"])
    await api.task(owner, pid, title="survives")
    receiver.hold = asyncio.Event()  # the first attempt is held at the receiver ...
    dying = WebhookRunner(state.database, state.outbound, state.settings, clock=clock)
    assert await dying.run_once() == 1
    while not receiver.connections:  # noqa: ASYNC110 - until the request is in
        await asyncio.sleep(0.01)
    for task in list(dying._sending.values()):  # ... and its runner dies: nothing recorded
        task.cancel()
    await asyncio.gather(*dying._sending.values(), return_exceptions=True)
    receiver.hold.set()
    await one_pass(runner)
    assert receiver.connections == 1  # its lease still holds: nobody sends it meanwhile
    clock.advance(runner.lease.total_seconds() + 1)
    await settle(runner, lambda: receiver.connections == 2)
    # at least once: the receiver may have had it (it dedupes on webhook-id), never lost
    assert {got.headers["webhook-id"] for got in receiver.got} == {f"msg_{hook['id']}_3"}
    body = json.loads(receiver.got[-1].body)
    assert body["data"]["snapshot"]["title"] == "survives"
    log = (await api.request("GET", f"/webhooks/{hook['id']}/deliveries", owner)).json()
    assert [(i["state"], i["attempts"]) for i in log["items"]] == [("delivered", 2)]


async def test_rotation_signs_with_both_secrets_for_a_while(
    hooked: Hooked, receiver: Receiver
) -> None:
    api, _state, runner = hooked
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    hook = await _hook(api, owner, pid, receiver.url, ["*"])
    rotated = await api.request(
        "PATCH", f"/webhooks/{hook['id']}", owner, json={"rotate_secret": True}
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != hook["secret"]
    await api.task(owner, pid)
    await settle(runner, lambda: len(receiver.got) == 1)
    got = receiver.got[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Verifier(new).verify(got.body, got.headers)
    Verifier(hook["secret"]).verify(got.body, got.headers)
    plain = await api.request("GET", f"/webhooks/{hook['id']}", owner)
    assert "secret" not in plain.json()


async def test_ping_redeliver_and_the_delivery_log(hooked: Hooked, receiver: Receiver) -> None:
    api, _state, runner = hooked
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    hook = await _hook(api, owner, pid, receiver.url, ["task.created"])
    ping = await api.request("POST", f"/webhooks/{hook['id']}/ping", owner)
    assert ping.status_code == 202
    await settle(runner, lambda: len(receiver.got) == 1)
    assert json.loads(receiver.got[0].body)["type"] == "webhook.ping"
    await api.task(owner, pid)
    await settle(runner, lambda: len(receiver.got) == 2)
    log = (await api.request("GET", f"/webhooks/{hook['id']}/deliveries", owner)).json()
    event_delivery = log["items"][0]
    assert event_delivery["event_type"] == "task.created"
    again = await api.request(
        "POST", f"/webhooks/{hook['id']}/deliveries/{event_delivery['id']}/redeliver", owner
    )
    assert again.status_code == 202
    await settle(runner, lambda: len(receiver.got) == 3)
    assert receiver.got[2].headers["webhook-id"] == receiver.got[1].headers["webhook-id"]
    page = (await api.request("GET", f"/webhooks/{hook['id']}/deliveries?limit=2", owner)).json()
    assert len(page["items"]) == 2
    rest = await api.request(
        "GET", f"/webhooks/{hook['id']}/deliveries?limit=2&before={page['next_before']}", owner
    )
    assert [i["event_type"] for i in rest.json()["items"]] == ["webhook.ping"]
    assert rest.json()["next_before"] is None
    missing = await api.request(
        "POST", f"/webhooks/{hook['id']}/deliveries/999999/redeliver", owner
    )
    assert_problem(missing, 404)


async def test_only_admins_manage_and_urls_are_checked(hooked: Hooked, receiver: Receiver) -> None:
    api, _state, _runner = hooked
    owner, member, stranger = await api.user(), await api.user(), await api.user()
    pid = (await api.project(owner))["id"]
    await api.add_member(pid, owner, member, "member")
    hook = await _hook(api, owner, pid, receiver.url, ["*"])
    body = {"url": receiver.url, "events": ["*"]}
    assert_problem(await api.request("POST", f"/projects/{pid}/webhooks", member, json=body), 403)
    assert_problem(await api.request("POST", f"/projects/{pid}/webhooks", stranger, json=body), 404)
    assert_problem(await api.request("GET", f"/webhooks/{hook['id']}", member), 403)
    assert_problem(await api.request("GET", f"/webhooks/{hook['id']}", stranger), 404)
    assert_problem(await api.request("DELETE", f"/webhooks/{hook['id']}", stranger), 404)
    for url in ("http://169.254.169.254/latest", "http://10.1.2.3/x", "http://[::1]/x"):
        refused = await api.request(
            "POST", f"/projects/{pid}/webhooks", owner, json={"url": url, "events": ["*"]}
        )
        problem = assert_problem(refused, 422)
        assert problem["errors"][0]["loc"] == ["body", "url"]
    for bad in (
        {"url": "file:///etc/passwd", "events": ["*"]},
        {"url": receiver.url, "events": []},
        {"url": receiver.url, "events": ["no.such"]},
        {"url": receiver.url, "events": ["*", "task.created"]},
    ):
        assert_problem(await api.request("POST", f"/projects/{pid}/webhooks", owner, json=bad), 422)
    listed = (await api.request("GET", f"/projects/{pid}/webhooks", owner)).json()
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0]
    deleted = await api.request("DELETE", f"/webhooks/{hook['id']}", owner)
    assert deleted.status_code == 204
    assert_problem(await api.request("GET", f"/webhooks/{hook['id']}", owner), 404)


def test_signatures_match_the_reference_signer() -> None:
    secret = signing.new_secret()
    at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    body = b'{"type":"task.created"}'
    ours = signing.signature(secret, "msg_1_2", int(at.timestamp()), body)
    assert ours == Verifier(secret).sign("msg_1_2", at, body.decode())
    assert at + timedelta(0) == at


async def test_an_address_refused_at_delivery_is_never_connected(
    hooked: Hooked, receiver: Receiver, clock: Clock
) -> None:
    """Registered while its network was allowed; the guard at delivery time decides again."""
    api, state, _runner = hooked
    owner = await api.user()
    pid = (await api.project(owner))["id"]
    hook = await _hook(api, owner, pid, receiver.url, ["*"])
    strict = Outbound(WebhookSettings())  # no network allowed: loopback is refused
    runner = WebhookRunner(state.database, strict, state.settings, clock=clock)
    try:
        await api.task(owner, pid)
        await one_pass(runner)
    finally:
        await strict.close()
    assert receiver.connections == 0
    log = (await api.request("GET", f"/webhooks/{hook['id']}/deliveries", owner)).json()
    (item,) = log["items"]
    assert item["state"] == "pending"  # retried on schedule; the operator may allow it
    assert item["last_status"] is None
    assert "loopback" in item["last_error"]
