"""aiosqlite with one trip to its thread per statement.

aiosqlite runs each sqlite3 call on the connection's own thread; SQLAlchemy's adapter makes
four of them for a SELECT (open a cursor, execute, fetch, close) and three for a write. Each
trip is a queue hand-off, a wake-up of the event loop and a GIL hand-over — dearer than the
statement itself, which takes microseconds. Here a cursor does all of it in one trip and
keeps the rows: ``execute`` runs the statement, fetches every row and closes the sqlite3
cursor on the thread; fetching then reads what was kept. A write that returns rows
(``INSERT … RETURNING``) thereby also lets go of the database lock at once.

For the SQLAlchemy adapter only (``create_async_engine(async_creator=connect(path))``):
it holds every row of a result in memory, as the adapter does for its non-streaming cursors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite

_Description = tuple[tuple[Any, ...], ...] | None


class _Outcome:
    __slots__ = ("description", "lastrowid", "rowcount", "rows")

    def __init__(self, cursor: sqlite3.Cursor, rows: list[Any]) -> None:
        self.description: _Description = cursor.description
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid
        self.rows = rows


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    """On the connection's thread: the whole statement, start to close."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        elif parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return _Outcome(cursor, rows)
    finally:
        cursor.close()


class OneTripCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy's adapter uses."""

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self.description: _Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def _submit(self, sql: str, parameters: Any, many: bool) -> OneTripCursor:
        outcome: _Outcome = await self._connection.run_on_thread(
            partial(_run, self._connection.sqlite, sql, parameters, many)
        )
        self.description = outcome.description
        self.rowcount = outcome.rowcount
        self.lastrowid = outcome.lastrowid
        self._rows = outcome.rows
        return self

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        return await self._submit(sql, parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        return await self._submit(sql, list(parameters), many=True)

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = size or self.arraysize
        taken, self._rows = self._rows[:count], self._rows[count:]
        return taken

    async def fetchall(self) -> Sequence[Any]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors take one trip a statement."""

    def cursor(self) -> Any:  # aiosqlite's is an awaitable context manager; so is this
        return OneTripCursor(self)

    @property
    def sqlite(self) -> sqlite3.Connection:
        return self._conn

    def run_on_thread(self, function: Callable[[], Any]) -> Awaitable[Any]:
        return self._execute(function)


def connect(database: str, **sqlite_options: Any) -> Callable[[], Awaitable[OneTripConnection]]:
    """The ``async_creator`` of an engine on the SQLite file ``database``."""

    async def create() -> OneTripConnection:
        connection = OneTripConnection(
            partial(sqlite3.connect, database, **sqlite_options), iter_chunk_size=64
        )
        connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connect()
        await connection  # starts the thread and opens the file on it
        return connection

    return create
