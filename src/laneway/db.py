"""Engine, sessions and the request-owned transaction."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Request
from sqlalchemy import Executable, Result, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from starlette.requests import HTTPConnection

from laneway.commits import CommitChannel
from laneway.config import Settings
from laneway.observability import metrics
from laneway.pool_watch import PoolWatch

_WRITE_OPTION = "laneway_write"
_WRITES_MARK = "laneway_writes"
EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])


def writes(endpoint: EndpointT) -> EndpointT:
    """Declares that a route changes data: its request's transaction is a write transaction
    (on SQLite it queues for the write lock before its first statement). Every other route
    reads only."""
    setattr(endpoint, _WRITES_MARK, True)
    return endpoint


def reads_only(endpoint: EndpointT) -> EndpointT:
    """Declares that a route changing data uses the request's session only to read (it writes
    in short transactions of its own, around work that must not hold the write lock)."""
    setattr(endpoint, _WRITES_MARK, False)
    return endpoint


def declares_writes(endpoint: object) -> bool:
    return bool(getattr(endpoint, _WRITES_MARK, False))


def declared(endpoint: object) -> bool:
    return hasattr(endpoint, _WRITES_MARK)


class MeteredPool(AsyncAdaptedQueuePool):
    """The usual pool, counting the checkouts that found every connection taken and how long
    they waited (the pool's events say when a connection is handed out, not how long the
    request queued for it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_overflow = kwargs.get("max_overflow", 10)  # the pool's own default
        self.waits = 0
        self.waited_seconds = 0.0

    def _do_get(self) -> ConnectionPoolEntry:
        if self.checkedin() > 0 or self.overflow() < self.limit_overflow:
            return super()._do_get()
        started = time.perf_counter()
        try:
            return super()._do_get()
        finally:
            self.waits += 1
            self.waited_seconds += time.perf_counter() - started


@dataclass(frozen=True, slots=True)
class PoolStats:
    size: int
    in_use: int
    overflow: int
    waits: int
    waited_seconds: float


# Transaction control is not counted: pysqlite sends BEGIN as a statement, asyncpg does not
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _count_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    counter = metrics.statements.get()
    if counter is not None and not statement.startswith(_CONTROL):
        counter[0] += 1


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# Loggers that write statements with the values bound to them (aiosqlite at DEBUG logs each
# call with its parameters: password hashes, webhook secrets, the instance key) or the rows
# they return (SQLAlchemy's engine at DEBUG). Held at WARNING whatever LANEWAY_LOG_LEVEL says;
# LANEWAY_DATABASE_ECHO still shows statements, without values (hide_parameters).
STATEMENT_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine")


def quiet_statement_loggers() -> None:
    for name in STATEMENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def create_engine(settings: Settings) -> AsyncEngine:
    quiet_statement_loggers()
    url = make_url(settings.database_url)
    db = settings.database
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(settings)
    return create_async_engine(
        url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_size=db.pool_size,
        max_overflow=db.max_overflow,
        pool_timeout=db.pool_timeout,
        pool_recycle=db.pool_recycle,
        pool_pre_ping=db.pool_pre_ping,
        connect_args={
            "timeout": db.connect_timeout,
            "server_settings": {"statement_timeout": str(db.statement_timeout_ms)},
        },
        poolclass=MeteredPool,
        # errors and echo show the statement, never the values bound to it (passwords, text)
        hide_parameters=True,
        echo=db.echo,
    )


def _sqlite_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        poolclass=MeteredPool,
        pool_size=5,
        max_overflow=10,
        pool_timeout=settings.database.pool_timeout,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        hide_parameters=True,
        echo=settings.database.echo,
    )
    busy_ms = settings.database.sqlite_busy_timeout_ms

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below emit BEGIN itself (pysqlite's own is unreliable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            f"busy_timeout={int(busy_ms)}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front, so two writers never deadlock on a lock upgrade;
        # readers stay concurrent under WAL.
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """The process's engine and its two session factories (read and write)."""

    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings)
        event.listen(self.engine.sync_engine, "before_cursor_execute", _count_statement)
        self.watch = PoolWatch(self.engine, settings.database.held_warning_seconds)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # SQLite has one writer at a time. Queueing writers here, in the event loop, is much
        # cheaper than SQLite's busy handler, which sleeps and polls for the lock.
        self._sqlite_writer = asyncio.Lock() if self.is_sqlite else None
        self.read_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # told what each transaction changed, once it has committed (live fan-out, caches)
        self.commits = CommitChannel()
        # the engine whose transactions write (on SQLite: BEGIN IMMEDIATE)
        self.write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self.write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)

    def session(self, *, write: bool = True) -> AsyncSession:
        return (self.write_sessions if write else self.read_sessions)()

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error.

        The transaction begins with the first statement: a request answered from the caches
        never takes a connection from the pool."""
        async with AsyncExitStack() as stack:
            if write and self._sqlite_writer is not None:
                await stack.enter_async_context(self._sqlite_writer)
            session = await stack.enter_async_context(self.session(write=write))
            try:
                yield session
                if session.in_transaction():
                    await session.commit()
            except BaseException:
                try:
                    await session.rollback()
                finally:
                    self.commits.rolled_back(session)
                raise
        # reached only when the transaction committed
        self.commits.committed(session)

    def pool_stats(self) -> PoolStats:
        pool = self.engine.sync_engine.pool
        if not isinstance(pool, MeteredPool):  # an in-memory SQLite database has no queue
            return PoolStats(0, 0, 0, 0, 0.0)
        return PoolStats(
            size=pool.size(),
            in_use=pool.checkedout(),
            overflow=max(pool.overflow(), 0),
            waits=pool.waits,
            waited_seconds=pool.waited_seconds,
        )

    async def dispose(self) -> None:
        await self.engine.dispose()


class _Core:
    """Core statements on the session's connection and transaction, past the ORM's execution
    machinery (compile state, identity map): for the hot statements that read plain rows."""

    __slots__ = ("session",)

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        connection = await self.session.connection()
        return await connection.execute(statement, params)


def core(session: AsyncSession) -> _Core:
    return _Core(session)


async def single_statement_autocommit(session: AsyncSession) -> AsyncConnection:
    """The one exception to "the request owns the transaction" (get_session): the session's
    connection with no transaction around its statements, each of which then commits by
    itself (without a BEGIN and a COMMIT round trip around it). Whatever the request read in
    a transaction until now is committed first (it only read).

    Only for a request whose one write is one statement that changes all or nothing, so there
    is nothing a transaction could roll back with it: a task create, edit or move on
    PostgreSQL (tasks/one_trip.py), when its route says nothing else is written (`alone`). Its
    events are published once the request ends, as every commit's are."""
    if session.in_transaction():
        connection = await session.connection()
        options = connection.sync_connection.get_execution_options()  # type: ignore[union-attr]
        if options.get("isolation_level") == "AUTOCOMMIT":
            return connection
        await session.commit()
    return await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


async def release(session: AsyncSession) -> None:
    """Ends the request's read transaction now, so its connection goes back to the pool while
    the route waits on something slow (a client sending a file); for `reads_only` routes."""
    if session.in_transaction():
        await session.commit()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: commit when the handler returns, roll back if it raises.

    Used with scope="function", so the commit happens before the response is sent: a client
    never sees a success for a change that failed to commit.
    """
    database: Database = request.app.state.laneway.database
    route = request.scope.get("route")
    write = route is not None and declares_writes(getattr(route, "endpoint", None))
    async with database.transaction(write=write) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


# async though it awaits nothing: FastAPI runs a plain function dependency in a worker thread,
# which costs more than a whole request answered from the caches (the same for every getter of
# a resource the lifespan built: `app.state.laneway` holds them)
async def get_database(connection: HTTPConnection) -> Database:
    """For a route that opens transactions of its own instead of the request's."""
    database: Database = connection.app.state.laneway.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]
