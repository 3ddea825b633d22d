from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from laneway.auth import service as auth_service
from laneway.models import ApiToken
from laneway.models.base import utcnow
from laneway.state import AppState
from tests.support import PASSWORD, Api, StatementCounter, assert_problem


async def test_register_login_me(api: Api) -> None:
    response = await api.request(
        "POST",
        "/auth/register",
        json={"email": "  Ada@Example.COM ", "password": PASSWORD, "name": "Ada"},
    )
    assert response.status_code == 201
    assert response.json()["email"] == "ada@example.com"
    assert "password" not in response.text

    login = await api.request(
        "POST", "/auth/login", json={"email": "ADA@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200
    token = login.json()["token"]
    assert token.startswith("lws_")
    assert login.json()["kind"] == "session"
    assert login.json()["expires_at"] is not None

    me = await api.request("GET", "/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["name"] == "Ada"


async def test_duplicate_email_is_a_conflict(api: Api) -> None:
    user = await api.user("dup")
    response = await api.request(
        "POST",
        "/auth/register",
        json={"email": user.email.upper(), "password": PASSWORD, "name": "Again"},
    )
    assert_problem(response, 409)


async def test_wrong_password_and_unknown_account_look_alike(api: Api) -> None:
    user = await api.user()
    wrong = await api.request(
        "POST", "/auth/login", json={"email": user.email, "password": "not the password"}
    )
    unknown = await api.request(
        "POST", "/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert assert_problem(wrong, 401)["detail"] == assert_problem(unknown, 401)["detail"]


async def test_short_password_is_rejected(api: Api) -> None:
    response = await api.request(
        "POST", "/auth/register", json={"email": "a@example.com", "password": "short", "name": "A"}
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "password"]


async def test_missing_malformed_and_unknown_tokens_get_401(api: Api) -> None:
    assert_problem(await api.request("GET", "/me"), 401)
    for header in ("Bearer lws_doesnotexist", "Basic dXNlcjpwYXNz", "Bearer"):
        response = await api.request("GET", "/me", headers={"Authorization": header})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_logout_revokes_the_token_at_once(api: Api) -> None:
    user = await api.user()
    assert (await api.request("POST", "/auth/logout", user)).status_code == 204
    assert_problem(await api.request("GET", "/me", user), 401)


async def test_personal_tokens_list_and_revoke(api: Api) -> None:
    user = await api.user()
    created = await api.request(
        "POST", "/me/tokens", user, json={"name": "ci", "expires_in_days": 30}
    )
    assert created.status_code == 201
    personal = created.json()
    assert personal["token"].startswith("lwp_")
    assert personal["prefix"] == personal["token"][:12]
    headers = {"Authorization": f"Bearer {personal['token']}"}
    assert (await api.request("GET", "/me", headers=headers)).status_code == 200

    listed = (await api.request("GET", "/me/tokens", user)).json()
    assert {t["kind"] for t in listed} == {"session", "personal"}
    assert all("token" not in t for t in listed)

    revoked = await api.request("DELETE", f"/me/tokens/{personal['id']}", user)
    assert revoked.status_code == 204
    assert_problem(await api.request("GET", "/me", headers=headers), 401)
    assert [t["kind"] for t in (await api.request("GET", "/me/tokens", user)).json()] == ["session"]


async def test_cannot_revoke_someone_elses_token(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    bobs = (await api.request("GET", "/me/tokens", bob)).json()[0]
    assert_problem(await api.request("DELETE", f"/me/tokens/{bobs['id']}", alice), 404)
    assert (await api.request("GET", "/me", bob)).status_code == 200


async def test_expired_token_gets_401(api: Api, state: AppState) -> None:
    user = await api.user()
    async with state.database.session() as session, session.begin():
        await session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    body = assert_problem(await api.request("GET", "/me", user), 401)
    assert "expired" in body["detail"]


async def test_authentication_is_one_statement_then_cached(
    api: Api, statements: StatementCounter
) -> None:
    user = await api.user()
    statements.reset()
    assert (await api.request("GET", "/me", user)).status_code == 200
    assert statements.count == 1, statements.statements
    statements.reset()
    assert (await api.request("GET", "/me", user)).status_code == 200
    assert statements.count == 0, statements.statements


async def test_an_operators_new_account_gets_a_one_line_name(api: Api, state: AppState) -> None:
    """`laneway create-user` passes no request schema: its name is made one line instead."""
    user = await auth_service.register(
        state.database, state.passwords, email="ops@example.com", password=PASSWORD, name="Op\nEr"
    )
    assert user.name == "Op Er"
