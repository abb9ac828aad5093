"""Engine, the two session factories and their request dependencies.

``DbSession`` is the writer: one transaction per request, committed on success and rolled
back on error. ``ReadSession`` is for read-only requests and dependencies (the caller's
principal included): on SQLite its BEGIN is deferred, so it never takes the write lock that
a writer's ``BEGIN IMMEDIATE`` takes; on PostgreSQL its statements run without BEGIN and
COMMIT round trips (under READ COMMITTED each statement sees its own snapshot anyway).
Writes through a read session are refused before they reach the database.
"""

from __future__ import annotations

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
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from app.api_docs import raises
from app.config import Settings
from app.errors import AppError, Conflict, DatabaseUnavailable, InvalidValue

# How long a SQLite writer waits for the lock before "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0

# Set on the read engine: the SQLite begin listener then sends a deferred BEGIN.
_SQLITE_DEFERRED = "sqlite_deferred_begin"


def _prepare_sqlite(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(settings: Settings) -> AsyncEngine:
    # No pool_pre_ping: on asyncpg it is three round trips on every checkout. PostgreSQL
    # connections are recycled before any idle timeout instead; one the server dropped
    # fails its request with 503 database.unavailable and the pool reconnects.
    kwargs: dict[str, Any] = {"echo": settings.database_echo}
    if settings.is_sqlite:
        _prepare_sqlite(settings.database_url)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    else:
        kwargs["pool_size"] = settings.database_pool_size
        kwargs["max_overflow"] = 0
        kwargs["pool_recycle"] = 1800
    engine = create_async_engine(settings.database_url, **kwargs)
    if settings.is_sqlite:
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    """SQLAlchemy's documented recipe for aiosqlite: the driver stops beginning
    transactions itself, and we send BEGIN IMMEDIATE for writers (they queue on the busy
    timeout instead of failing to upgrade a read lock) and a deferred BEGIN for readers."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        deferred = conn.get_execution_options().get(_SQLITE_DEFERRED, False)
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, with the options of a reader."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{_SQLITE_DEFERRED: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


class ReadOnlySessionError(RuntimeError):
    """A write reached a read session: a programming error, never the caller's."""


class _ReadOnlySyncSession(Session):
    pass


@event.listens_for(_ReadOnlySyncSession, "before_flush")
def _refuse_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySessionError("a read session does not write; take DbSession")


@event.listens_for(_ReadOnlySyncSession, "do_orm_execute")
def _refuse_writes(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlySessionError("a read session does not write; take DbSession")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_sessionmaker(read: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``read_engine(engine)``."""
    return async_sessionmaker(
        read,
        expire_on_commit=False,
        autoflush=False,
        sync_session_class=_ReadOnlySyncSession,
    )


# A race that slips past a service's checks ends in a constraint (409); a value the database
# refuses that validation let through, in a 422 (errors.install_error_handlers).
@raises(DatabaseUnavailable, Conflict, InvalidValue)
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


@raises(DatabaseUnavailable)
async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.runtime.read_sessionmaker
    async with sessionmaker() as session:
        yield session  # closing it ends the read transaction


@raises(DatabaseUnavailable, Conflict, InvalidValue)
async def get_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    engine: AsyncEngine = request.app.state.runtime.engine
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")
    else:
        async with engine.begin() as connection:  # committed on success, as DbSession is
            yield connection


# scope="function": the commit happens before the response leaves, so a failed commit is
# the caller's error answer, never a 200 for data that was not written.
DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
# The one path without a session, for the check-in: one read, then one atomic insert whose
# race a unique constraint decides. On PostgreSQL each statement commits alone, without the
# BEGIN and COMMIT round trips and the session's bookkeeping (measured in bench/README.md);
# on SQLite it is one BEGIN IMMEDIATE transaction like DbSession's.
DbConnection = Annotated[AsyncConnection, Depends(get_connection, scope="function")]
# Released before the response leaves, like the writer: a streamed body holds no snapshot.
ReadSession = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
