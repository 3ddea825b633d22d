"""One-click unsubscribe (RFC 8058): the link every email carries turns that person's emails
off with a POST and nothing else does: a GET only shows a page, and a token not made with the
instance's key changes nothing."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from laneway.mail import tokens
from laneway.state import AppState
from tests.mail.conftest import Clock, SmtpServer, text_of
from tests.support import API, Api, User, assert_problem

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def emails_on(api: Api, user: User) -> bool:
    value: bool = (await api.request("GET", "/me", user)).json()["email_notifications"]
    return value


async def one_email(
    api: Api, state: AppState, clock: Clock, owner: User, project_id: int, to: User
) -> int:
    """Assigns `to` a task and runs the mailer a window later; how many messages went."""
    assert state.mailer is not None
    await api.task(owner, project_id, assignee_id=to.id)
    await state.notifier.drain()
    clock.a_window_on()
    return await state.mailer.run_once()


async def test_the_emails_link_unsubscribes_in_one_click(
    api: Api, state: AppState, smtp_server: SmtpServer, clock: Clock
) -> None:
    owner, alice = await api.user("owner"), await api.user("alice")
    pid = (await api.project(owner))["id"]
    await api.add_member(pid, owner, alice, "member")
    assert await emails_on(api, alice)
    assert await one_email(api, state, clock, owner, pid, alice) == 1
    message = smtp_server.messages[0]
    link = message["List-Unsubscribe"].strip("<>")
    assert link in text_of(message, "plain")  # visible, too
    parts = urlsplit(link)
    url = f"{parts.path}?{parts.query}"

    # a GET (a mail scanner following links) shows the page and changes nothing
    page = await api.client.get(url)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert '<form method="post" action="?token=' in page.text
    assert "<script" not in page.text
    assert await emails_on(api, alice)

    # what a mail client's one-click unsubscribe sends
    response = await api.client.post(url, content="List-Unsubscribe=One-Click", headers=FORM)
    assert response.status_code == 204, response.text
    assert not await emails_on(api, alice)
    assert await one_email(api, state, clock, owner, pid, alice) == 0
    assert len(smtp_server.messages) == 1

    again = await api.client.post(url, content="List-Unsubscribe=One-Click", headers=FORM)
    assert again.status_code == 204  # done already: the same answer
    page = await api.client.get(url)
    assert "no longer emails you" in page.text
    assert "<form" not in page.text

    # turned back on in the profile: mail again
    on = await api.request("PATCH", "/me", alice, json={"email_notifications": True})
    assert on.json()["email_notifications"] is True
    assert await one_email(api, state, clock, owner, pid, alice) == 1


async def test_the_pages_button_comes_back_to_the_page(api: Api, state: AppState) -> None:
    alice = await api.user("alice")
    token = tokens.make(state.keys.derive("unsubscribe"), alice.id)
    response = await api.client.post(f"{API}/unsubscribe?token={token}&from_page=true")
    assert response.status_code == 303
    assert response.headers["location"] == f"?token={token}"
    assert not await emails_on(api, alice)


async def test_a_forged_token_changes_nothing(api: Api, state: AppState) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    real = tokens.make(state.keys.derive("unsubscribe"), alice.id)
    mac = real.partition(".")[2]
    refused = [
        f"{bob.id}.{mac}",  # alice's MAC on bob's id
        tokens.make(state.keys.derive("cursor"), bob.id),  # another purpose's key
        tokens.make(b"k" * 32, bob.id),  # a key of the forger's own
        f"{bob.id}.{mac[:-1]}A" if mac[-1] != "A" else f"{bob.id}.{mac[:-1]}B",
        tokens.make(state.keys.derive("unsubscribe"), 10**12),  # no such account
    ]
    for token in refused:
        for method in ("POST", "GET"):
            response = await api.client.request(method, f"{API}/unsubscribe?token={token}")
            body = assert_problem(response, 400)
            assert body["detail"] == "This unsubscribe link is not valid."
    for malformed in ("", "abc", f"{bob.id}.{mac}x", f"{bob.id}", "0" * 30 + "." + mac):
        response = await api.client.post(f"{API}/unsubscribe?token={malformed}")
        assert_problem(response, 422)
    assert_problem(await api.client.post(f"{API}/unsubscribe"), 422)
    assert await emails_on(api, alice)
    assert await emails_on(api, bob)


async def test_the_switch_is_a_strict_boolean(api: Api) -> None:
    alice = await api.user("alice")
    for value in ("false", 0, None):
        response = await api.request("PATCH", "/me", alice, json={"email_notifications": value})
        if value is None:  # as if not sent: nothing changes
            assert response.status_code == 200
        else:
            assert_problem(response, 422)
    assert await emails_on(api, alice)


@pytest.mark.parametrize("user_id", [1, 42, 2**63 - 1])
def test_tokens_verify_only_what_the_key_made(user_id: int) -> None:
    key, other = b"a" * 32, b"b" * 32
    token = tokens.make(key, user_id)
    assert len(token) <= tokens.MAX_LENGTH
    assert tokens.verify(key, token) == user_id
    assert tokens.verify(other, token) is None
    assert tokens.verify(key, f"{user_id + 1}.{token.partition('.')[2]}") is None
    assert tokens.verify(key, "0" + token) is None  # one spelling per account
    assert tokens.verify(key, token + "=") is None
    assert tokens.verify(key, "é" + token) is None
