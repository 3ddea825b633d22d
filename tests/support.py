"""Test helpers: an API client that speaks Laneway, a SQL statement counter, and rows planted
straight into the database."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

import httpx
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from laneway.db import Database
from laneway.models import ApiToken, IdempotencyKey, Invitation, LiveTicket, TokenKind
from laneway.models.base import utcnow

API = "/api/v1"
PASSWORD = "correct horse battery"
_serial = itertools.count(1)
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@dataclass(frozen=True)
class User:
    id: int
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def user(self, name: str | None = None) -> User:
        name = name or f"user{next(_serial)}"
        email = f"{name}@example.com"
        response = await self.client.post(
            f"{API}/auth/register", json={"email": email, "password": PASSWORD, "name": name}
        )
        assert response.status_code == 201, response.text
        user_id = response.json()["id"]
        login = await self.client.post(
            f"{API}/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        return User(id=user_id, email=email, token=login.json()["token"])

    async def project(self, owner: User, name: str = "Web site", **extra: Any) -> dict[str, Any]:
        response = await self.client.post(
            f"{API}/projects", json={"name": name, **extra}, headers=owner.headers
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def add_member(self, project_id: int, by: User, who: User, role: str) -> None:
        response = await self.client.post(
            f"{API}/projects/{project_id}/members",
            json={"email": who.email, "role": role},
            headers=by.headers,
        )
        assert response.status_code == 201, response.text

    async def task(self, user: User, project_id: int, **fields: Any) -> dict[str, Any]:
        fields.setdefault("title", f"Task {next(_serial)}")
        response = await self.request("POST", f"/projects/{project_id}/tasks", user, json=fields)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def statuses(self, user: User, project_id: int) -> list[dict[str, Any]]:
        response = await self.request("GET", f"/projects/{project_id}/statuses", user)
        assert response.status_code == 200, response.text
        body: list[dict[str, Any]] = response.json()
        return body

    async def label(self, user: User, project_id: int, name: str) -> dict[str, Any]:
        response = await self.request(
            "POST", f"/projects/{project_id}/labels", user, json={"name": name}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def attach(
        self,
        user: User,
        task_id: int,
        data: bytes,
        name: str = "notes.txt",
        content_type: str = "application/octet-stream",
    ) -> httpx.Response:
        """Upload a file to the task (multipart/form-data, its part named `file`)."""
        files = {"file": (name, data, content_type)}
        return await self.request("POST", f"/tasks/{task_id}/attachments", user, files=files)

    async def request(
        self, method: str, path: str, user: User | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers.update(user.headers)
        return await self.client.request(method, f"{API}{path}", headers=headers, **kwargs)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:laneway:problem:")
    assert body["title"]
    return body


class _EngineListener:
    """Listens to SQLAlchemy engine events while active (a `with` block)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine

    def _hooks(self) -> dict[str, Callable[..., None]]:
        raise NotImplementedError

    def __enter__(self) -> Self:
        for name, hook in self._hooks().items():
            event.listen(self._engine, name, hook)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        for name, hook in self._hooks().items():
            event.remove(self._engine, name, hook)


class StatementCounter(_EngineListener):
    """Counts SQL statements sent to the database while active."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.statements: list[str] = []

    def _hooks(self) -> dict[str, Callable[..., None]]:
        return {"before_cursor_execute": self._record}

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Transaction control differs by driver (pysqlite sends BEGIN as a statement, asyncpg
        # does not), so only statements that touch data count.
        if not statement.lstrip().upper().startswith(_CONTROL):
            self.statements.append(statement)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


class TransactionCounter(_EngineListener):
    """Transactions begun, committed and rolled back on an engine while active (as SQLAlchemy
    sees them: a statement in autocommit is one too, though the driver sends no BEGIN)."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.begun = self.committed = self.rolled_back = 0

    def _hooks(self) -> dict[str, Callable[..., None]]:
        return {"begin": self._begin, "commit": self._commit, "rollback": self._rollback}

    def _begin(self, _conn: Any) -> None:
        self.begun += 1

    def _commit(self, _conn: Any) -> None:
        self.committed += 1

    def _rollback(self, _conn: Any) -> None:
        self.rolled_back += 1


# Rows planted straight into the database, for what no API call makes (expired rows)


def ago(**delta: float) -> datetime:
    return utcnow() - timedelta(**delta)


def ahead(**delta: float) -> datetime:
    return utcnow() + timedelta(**delta)


async def plant_token(database: Database, user_id: int, expires: datetime | None) -> int:
    async with database.transaction() as session:
        token_id: int = await session.scalar(
            insert(ApiToken)
            .values(
                user_id=user_id,
                kind=TokenKind.personal,
                name="planted",
                prefix="lwp_planted",
                token_hash=os.urandom(32).hex(),
                created_at=ago(days=100),
                expires_at=expires,
            )
            .returning(ApiToken.id)
        )
    return token_id


async def plant_ticket(
    database: Database, token_id: int, project_id: int, expires: datetime
) -> str:
    ticket_hash = os.urandom(32).hex()
    async with database.transaction() as session:
        await session.execute(
            insert(LiveTicket).values(
                ticket_hash=ticket_hash,
                token_id=token_id,
                project_id=project_id,
                expires_at=expires,
            )
        )
    return ticket_hash


async def plant_invitation(database: Database, expires: datetime) -> str:
    code_hash = os.urandom(32).hex()
    async with database.transaction() as session:
        await session.execute(
            insert(Invitation).values(
                code_hash=code_hash,
                email="new@example.com",
                created_at=ago(days=8),
                expires_at=expires,
            )
        )
    return code_hash


async def plant_idempotency_key(database: Database, user_id: int, created: datetime) -> str:
    key = os.urandom(8).hex()
    async with database.transaction() as session:
        await session.execute(
            insert(IdempotencyKey).values(
                user_id=user_id,
                key=key,
                fingerprint="f" * 64,
                status_code=201,
                body=b"{}",
                created_at=created,
            )
        )
    return key
