"""Notification emails against a real SMTP server: one message per person per window listing
everything waiting, nothing twice (with any number of mailers), nothing read already, and a
server that is down costs a log line and a delay, never a notification."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import update

from laneway.config import EmailSettings
from laneway.db import Database
from laneway.mail.mailer import MailRunner
from laneway.models import User as UserRow
from laneway.state import AppState
from tests.mail.conftest import PUBLIC_URL, Clock, SmtpServer, emailed, text_of
from tests.support import Api, User


async def comment(api: Api, user: User, task_id: int, body: str) -> None:
    response = await api.request("POST", f"/tasks/{task_id}/comments", user, json={"body": body})
    assert response.status_code == 201, response.text


async def member_of(api: Api, owner: User, *names: str) -> tuple[int, list[User]]:
    """A project of the owner's with a member per name."""
    project_id: int = (await api.project(owner, "Web site"))["id"]
    members = []
    for name in names:
        member = await api.user(name)
        await api.add_member(project_id, owner, member, "member")
        members.append(member)
    return project_id, members


async def test_a_burst_goes_out_as_one_message_listing_it_all(
    api: Api, state: AppState, smtp_server: SmtpServer, clock: Clock
) -> None:
    assert state.mailer is not None
    owner = await api.user("owner")
    web, (alice,) = await member_of(api, owner, "alice")
    docs = (await api.project(owner, "Docs"))["id"]
    await api.add_member(docs, owner, alice, "member")
    launch = await api.task(
        owner, web, title="Launch [now](javascript:alert(1))", assignee_id=alice.id
    )
    guide = await api.task(owner, docs, title="Guide", assignee_id=alice.id)
    await state.notifier.drain()
    await comment(api, owner, launch["id"], "Ship it **today** <script>alert(1)</script>")
    assert await state.notifier.drain() == 1
    assert await emailed(state, alice.id) == [False, False, False]

    assert await state.mailer.run_once() == 0  # the first is not a window old yet
    clock.a_window_on()
    assert await state.mailer.run_once() == 1
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert smtp_server.collector.recipients == [[alice.email]]
    assert alice.email in message["To"]
    assert message["Subject"] == "3 new notifications in Laneway"
    assert message["Auto-Submitted"] == "auto-generated"

    plain = text_of(message, "plain")
    launch_url = f"{PUBLIC_URL}/p/{web}?task={launch['id']}"
    guide_url = f"{PUBLIC_URL}/p/{docs}?task={guide['id']}"

    # direct first (assignments, newest first), then the latest other lines; each line says
    # where, who did what (what users wrote quoted), and links to the task
    launch_label = f'{launch["number"]} "Launch [now](javascript:alert(1))"'
    order = [
        "Assigned to you",
        f'- {guide["number"]} "Guide": "owner" assigned it to you',
        guide_url,
        f'- {launch_label}: "owner" assigned it to you',
        launch_url,
        "Latest",
        f'- {launch_label}: "owner" commented',
        '"Ship it **today** <script>alert(1)</script>"',
        launch_url,
    ]
    at = 0
    for piece in order:
        found = plain.find(piece, at)
        assert found >= 0, (piece, plain)
        at = found + len(piece)
    assert "In your inbox" not in plain  # all three listed, nothing left to count
    html = text_of(message, "html")
    assert f'<a href="{launch_url}" rel="noopener noreferrer">' in html
    assert "<strong>today</strong>" in html  # the comment's markdown, rendered
    assert "<script" not in html
    assert "javascript:" not in html.replace("javascript:alert(1))", "")  # only as text
    assert 'href="javascript' not in html

    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{PUBLIC_URL}/api/v1/unsubscribe?token=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = unsubscribe.strip("<>")
    assert link in plain
    assert f'href="{link}"' in html

    assert await emailed(state, alice.id) == [True, True, True]
    # emailed is not read: the inbox still counts them
    inbox = await api.request("GET", "/me/notifications", alice)
    assert inbox.json()["unread"] == 3

    clock.a_window_on(2)
    assert await state.mailer.run_once() == 0  # a second batch finds nothing new
    assert len(smtp_server.messages) == 1
    assert state.mailer.sent == 1


async def test_what_was_read_before_its_batch_is_not_emailed(
    api: Api, state: AppState, smtp_server: SmtpServer, clock: Clock
) -> None:
    assert state.mailer is not None
    owner = await api.user("owner")
    pid, (alice, bob) = await member_of(api, owner, "alice", "bob")
    first = await api.task(owner, pid, title="First", assignee_id=alice.id)
    await api.task(owner, pid, title="Second", assignee_id=alice.id)
    await api.task(owner, pid, title="Third", assignee_id=bob.id)
    await state.notifier.drain()
    items = (await api.request("GET", "/me/notifications", alice)).json()["items"]
    read_id = next(n["id"] for n in items if n["task"]["id"] == first["id"])
    response = await api.request("POST", f"/me/notifications/{read_id}/read", alice)
    assert response.status_code == 204
    response = await api.request("POST", "/me/notifications/read", bob, json={})
    assert response.status_code == 200

    clock.a_window_on()
    assert await state.mailer.run_once() == 1  # alice's; bob read everything
    (message,) = smtp_server.messages
    assert alice.email in message["To"]
    assert message["Subject"].endswith("Second: owner assigned it to you")
    assert "First" not in text_of(message, "plain")
    assert await emailed(state, alice.id) == [False, True]
    assert await emailed(state, bob.id) == [False]


async def test_one_message_per_person_per_window(
    api: Api, state: AppState, smtp_server: SmtpServer, clock: Clock
) -> None:
    assert state.mailer is not None
    owner = await api.user("owner")
    pid, (alice,) = await member_of(api, owner, "alice")
    task = await api.task(owner, pid, title="Launch", assignee_id=alice.id)
    await state.notifier.drain()
    clock.a_window_on()
    assert await state.mailer.run_once() == 1

    await comment(api, owner, task["id"], "One more thing")
    await state.notifier.drain()
    # a window after the new one was made, but not after the last message began
    clock.now = clock.now + clock.window / 2
    assert await state.mailer.run_once() == 0
    clock.a_window_on(2)
    assert await state.mailer.run_once() == 1
    assert [m["Subject"] for m in smtp_server.messages] == [
        f"{task['number']} Launch: owner assigned it to you",
        f"{task['number']} Launch: owner commented",
    ]


async def test_two_mailers_send_each_batch_once(
    api: Api, state: AppState, smtp_server: SmtpServer, clock: Clock
) -> None:
    owner = await api.user("owner")
    pid, members = await member_of(api, owner, "alice", "bob", "carol")
    for member in members:
        for _ in range(2):
            await api.task(owner, pid, assignee_id=member.id)
    await state.notifier.drain()
    other_database = Database(state.settings)  # as another process would have
    try:
        mailers = [
            MailRunner(database, state.settings, state.keys, clock)
            for database in (state.database, other_database, state.database, other_database)
        ]
        clock.a_window_on()
        sent = await asyncio.gather(*(mailer.run_once() for mailer in mailers))
        assert sum(sent) == 3
        clock.a_window_on(2)
        assert sum(await asyncio.gather(*(mailer.run_once() for mailer in mailers))) == 0
    finally:
        await other_database.dispose()
    recipients = sorted(r for rs in smtp_server.collector.recipients for r in rs)
    assert recipients == sorted(m.email for m in members)
    assert all(m["Subject"] == "2 new notifications in Laneway" for m in smtp_server.messages)


async def test_a_server_that_is_down_costs_a_log_line_and_a_delay(
    api: Api,
    state: AppState,
    smtp_server: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert state.mailer is not None
    caplog.set_level(logging.INFO, logger="laneway.mail")
    owner = await api.user("owner")
    pid, (alice, bob) = await member_of(api, owner, "alice", "bob")
    await api.task(owner, pid, assignee_id=alice.id)
    await api.task(owner, pid, assignee_id=bob.id)
    await state.notifier.drain()
    smtp_server.stop()
    clock.a_window_on()
    assert await state.mailer.run_once() == 0  # no exception
    assert await state.mailer.run_once() == 0
    assert logged(caplog) == [(logging.WARNING, "smtp server unavailable")]  # once
    assert await emailed(state, alice.id) == [False]
    assert await emailed(state, bob.id) == [False]

    smtp_server.start()  # back, on the same port: what waited goes at the next pass
    caplog.clear()
    assert await state.mailer.run_once() == 2
    assert logged(caplog) == [(logging.INFO, "smtp server reachable again")]
    assert await emailed(state, alice.id) == [True]
    assert await emailed(state, bob.id) == [True]
    assert len(smtp_server.messages) == 2


def logged(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    events = ("smtp server unavailable", "smtp server reachable again")
    return [
        (record.levelno, event)
        for record in caplog.records
        for event in events
        if event in record.getMessage()
    ]


async def test_only_active_members_that_want_email(
    api: Api, state: AppState, smtp_server: SmtpServer, clock: Clock
) -> None:
    assert state.mailer is not None
    owner = await api.user("owner")
    pid, members = await member_of(api, owner, "quiet", "gone", "inactive", "alice")
    quiet, gone, inactive, alice = members
    for member in members:
        await api.task(owner, pid, assignee_id=member.id)
    await state.notifier.drain()
    off = await api.request("PATCH", "/me", quiet, json={"email_notifications": False})
    assert off.status_code == 200, off.text
    assert off.json()["email_notifications"] is False
    removed = await api.request("DELETE", f"/projects/{pid}/members/{gone.id}", owner)
    assert removed.status_code == 204, removed.text
    async with state.database.transaction() as session:
        await session.execute(
            update(UserRow).where(UserRow.id == inactive.id).values(is_active=False)
        )

    clock.a_window_on()
    assert await state.mailer.run_once() == 1
    assert smtp_server.collector.recipients == [[alice.email]]
    for member in (quiet, gone, inactive):
        assert await emailed(state, member.id) == [False]

    # turned back on: what waits (and is not a day old) goes in the next batch
    on = await api.request("PATCH", "/me", quiet, json={"email_notifications": True})
    assert on.json()["email_notifications"] is True
    assert await state.mailer.run_once() == 1
    assert smtp_server.collector.recipients[-1] == [quiet.email]


async def test_a_password_never_goes_unencrypted(
    api: Api,
    state: AppState,
    smtp_server: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The test's server offers no STARTTLS: with credentials in the URL, nothing is sent."""
    caplog.set_level(logging.INFO, logger="laneway.mail")
    owner = await api.user("owner")
    pid, (alice,) = await member_of(api, owner, "alice")
    await api.task(owner, pid, assignee_id=alice.id)
    await state.notifier.drain()
    url = f"smtp://mailer:s3cret-pw@127.0.0.1:{smtp_server.port}"
    settings = state.settings.model_copy(update={"email": EmailSettings(smtp_url=url)})
    mailer = MailRunner(state.database, settings, state.keys, clock)
    clock.a_window_on()
    assert await mailer.run_once() == 0
    assert smtp_server.messages == []
    assert await emailed(state, alice.id) == [False]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "no STARTTLS" in warning
    assert "s3cret" not in caplog.text
