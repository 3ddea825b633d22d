"""ref-crud: a plain CRUD app of the FastAPI full-stack template's shape, for the same driver.

What the template's items routes do per request, on SQLAlchemy async + asyncpg: the bearer
token decoded (a JWT signed with HS256), the user looked up by its id in a dependency and
checked active, a pydantic body, the item added or read, checked and changed, one commit, the
row read back (`refresh`) and returned through a response model. No events, no history, no
ordering, no caches: the figure is what a straightforward app of this stack pays for a write.

Run by bench/__main__.py under uvicorn like the other references (`BENCH_CRUD_URL` names the
database); `prepare()` creates its tables and users there first.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import aiohttp
import jwt
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKey, String
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bench.driver import Step

# A new key each run; the server's processes, started from the bench's, inherit it.
SECRET = os.environ.setdefault("BENCH_CRUD_SIGNING_KEY", secrets.token_urlsafe(32))
ALGORITHM = "HS256"


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "bench_crud_user"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    is_superuser: Mapped[bool] = mapped_column(default=False)


class Item(Base):
    __tablename__ = "bench_crud_item"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(255))
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bench_crud_user.id", ondelete="CASCADE"), index=True
    )


class ItemCreate(BaseModel):
    title: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=255)


class ItemUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=255)


class ItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    title: str
    description: str | None
    owner_id: uuid.UUID


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_db)]
TokenDep = Annotated[str, Depends(OAuth2PasswordBearer(tokenUrl="/login/access-token"))]


async def get_current_user(session: SessionDep, token: TokenDep) -> User:
    try:
        payload = jwt.decode(token, SECRET, algorithms=[ALGORITHM])
        user_id = uuid.UUID(payload["sub"])
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise HTTPException(403, "Could not validate credentials") from exc
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(404, "User not found")
    if not user.is_active:
        raise HTTPException(400, "Inactive user")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def create_app() -> FastAPI:
    # the pool Laneway's bench servers get (bench/servers.py), so neither waits for connections
    engine = create_async_engine(os.environ["BENCH_CRUD_URL"], pool_size=16, max_overflow=4)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.state.sessions = async_sessionmaker(engine)
    app.state.engine = engine  # for the statement count in tests/test_bench_reference_crud.py

    @app.get("/small")
    async def small() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/items/", response_model=ItemPublic, status_code=201)
    async def create_item(
        session: SessionDep, current_user: CurrentUser, item_in: ItemCreate
    ) -> Any:
        item = Item(**item_in.model_dump(), owner_id=current_user.id)
        session.add(item)
        await session.commit()
        await session.refresh(item)
        return item

    @app.put("/items/{item_id}", response_model=ItemPublic)
    async def update_item(
        session: SessionDep, current_user: CurrentUser, item_id: uuid.UUID, item_in: ItemUpdate
    ) -> Any:
        item = await session.get(Item, item_id)
        if item is None:
            raise HTTPException(404, "Item not found")
        if not current_user.is_superuser and item.owner_id != current_user.id:
            raise HTTPException(400, "Not enough permissions")
        for key, value in item_in.model_dump(exclude_unset=True).items():
            setattr(item, key, value)
        await session.commit()
        await session.refresh(item)
        return item

    return app


@dataclass
class Seeded:
    tokens: list[str]  # one per client
    items: list[str]  # the item each client updates, its own


async def prepare(url: str, clients: int) -> Seeded:
    """The tables, a user per client with a token, and an item of theirs to update."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.run_sync(Base.metadata.create_all)
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            users = [User(email=f"crud{i}@example.com") for i in range(clients)]
            session.add_all(users)
            await session.flush()
            items = [Item(title="seeded", owner_id=user.id) for user in users]
            session.add_all(items)
            await session.commit()
            tokens = [jwt.encode({"sub": str(u.id)}, SECRET, algorithm=ALGORITHM) for u in users]
            return Seeded(tokens=tokens, items=[str(item.id) for item in items])
    finally:
        await engine.dispose()


def create_step(base: str, seeded: Seeded) -> Step:
    async def step(session: aiohttp.ClientSession, index: int) -> int:
        headers = {"Authorization": f"Bearer {seeded.tokens[index]}"}
        body = {"title": f"bench item {index}", "description": "made by the bench"}
        async with session.post(f"{base}/items/", json=body, headers=headers) as response:
            await response.read()
            return response.status

    return step


def update_step(base: str, seeded: Seeded) -> Step:
    counter = [0]

    async def step(session: aiohttp.ClientSession, index: int) -> int:
        counter[0] += 1
        headers = {"Authorization": f"Bearer {seeded.tokens[index]}"}
        url = f"{base}/items/{seeded.items[index]}"
        async with session.put(url, json={"title": f"moved {counter[0]}"}, headers=headers) as r:
            await r.read()
            return r.status

    return step


# statements one request sends (transaction control not counted), as
# tests/test_bench_reference_crud.py counts them. Create: the user, the INSERT, the row read
# back. Update: the user, the item, the UPDATE, the row read back.
STATEMENTS = {"ref-crud-create": 3, "ref-crud-update": 4}
