"""Engine, session factory and the per-request session: commit on success, roll back on error."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.config import Settings
from app.errors import AppError
from app.kit import sqlite as sqlite_kit

# How long a SQLite writer waits for the lock before "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def _prepare_sqlite(url: str) -> bool:
    """Creates the file's folder; False for an in-memory database."""
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        return True
    return False


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    # No pool_pre_ping. On asyncpg it is three round trips (BEGIN, a ping, ROLLBACK) on every
    # checkout, as many as a check-in's own work; on SQLite a file does not go stale.
    # PostgreSQL connections are recycled before any idle timeout instead; one the server
    # dropped fails its request with 503 database.unavailable, and SQLAlchemy then
    # invalidates the pool and reconnects.
    #
    # Every pooled connection is kept (max_overflow=0, the pool as large as pool and overflow
    # were): an overflow connection is closed whenever the pool is full on its return, which
    # under load means a new connection (a new PostgreSQL backend, a new SQLite thread and its
    # PRAGMAs) after another.
    kwargs: dict[str, Any] = {"echo": settings.database_echo}
    if settings.is_sqlite:
        if _prepare_sqlite(url):
            kwargs["pool_size"] = 15  # SQLAlchemy's default: 5, and 10 more of overflow
            kwargs["max_overflow"] = 0
            # One trip to aiosqlite's thread a statement instead of three or four, writers
            # queued in the process (kit/sqlite). The options SQLAlchemy would give sqlite3
            # for a file; with a creator, the URL's and connect_args are not applied.
            database = os.path.abspath(str(make_url(url).database))
            kwargs["async_creator"] = sqlite_kit.connect(
                database, timeout=SQLITE_BUSY_TIMEOUT_SECONDS, check_same_thread=False
            )
        else:  # in memory: one static connection, aiosqlite's own
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    else:
        kwargs["pool_size"] = 2 * settings.database_pool_size
        kwargs["max_overflow"] = 0
        kwargs["pool_recycle"] = 1800
    engine = create_async_engine(url, **kwargs)
    if settings.is_sqlite:
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # aiosqlite's driver begins transactions itself; take that over so BEGIN IMMEDIATE
        # can be issued and writers queue on busy_timeout instead of failing with "locked".
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not conn.get_execution_options().get(_SQLITE_NO_BEGIN):
            conn.exec_driver_sql("BEGIN IMMEDIATE")


# Set by statements_commit_alone(): the driver is in its autocommit mode already
# (isolation_level None above), so leaving out BEGIN IMMEDIATE is all it takes.
_SQLITE_NO_BEGIN = "sqlite_no_begin"


async def statements_commit_alone(session: AsyncSession) -> AsyncConnection:
    """Before a session's first statement: let each of its statements be a transaction of
    its own, without BEGIN and COMMIT round trips. Only for work that is one read and then
    one atomic write whose races a constraint decides, or only reads (the feed); there is
    nothing to roll back. On SQLite a write then holds the database lock for that statement
    alone. Without a session, the same is ``DbStatements`` (the check-in)."""
    options = _commit_alone_options(session.get_bind().dialect.name)
    return await session.connection(execution_options=options)


def _commit_alone_options(dialect: str) -> dict[str, Any]:
    if dialect == "sqlite":
        return {_SQLITE_NO_BEGIN: True}
    return {"isolation_level": "AUTOCOMMIT"}


async def get_commit_alone_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """A connection, without a session, whose statements each commit alone (as
    ``statements_commit_alone``), for a hot path that is one read and at most one atomic
    write: the session's own bookkeeping (its transaction, commit and close) is a tenth of
    a check-in's CPU."""
    engine: AsyncEngine = request.app.state.runtime.engine
    async with engine.connect() as connection:
        yield await connection.execution_options(**_commit_alone_options(engine.dialect.name))


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.runtime.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except AppError as exc:
            # A refused refresh-token reuse must still record the revoked family.
            if exc.persist_changes:
                await session.commit()
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": the commit happens before the response leaves, so a failed commit is
# the caller's error answer, never a 200 for data that was not written.
DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
# Nothing to commit: each statement committed as it ran. The connection goes back to the
# pool before the response leaves.
DbStatements = Annotated[AsyncConnection, Depends(get_commit_alone_connection, scope="function")]
