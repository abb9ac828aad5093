"""aiosqlite with one trip to its thread per statement.

aiosqlite runs each sqlite3 call on the connection's own thread; SQLAlchemy's adapter makes
four of them for a SELECT (open a cursor, execute, fetch, close) and three for a write. Each
trip is a queue hand-off, a wake-up of the event loop and a GIL hand-over — dearer than the
statement itself, which takes microseconds. Here a cursor does all of it in one trip and
keeps the rows: ``execute`` runs the statement, fetches every row and closes the sqlite3
cursor on the thread; fetching then reads what was kept. A write that returns rows
(``INSERT … RETURNING``) thereby also lets go of the database lock at once.

The connections of one engine also share a writer gate (``WriterGate``): writers queue on
a lock in this process instead of sleeping in SQLite's busy handler.

A statement outside a transaction that can start at once does not go to the thread at all:
it runs on the event loop (``OneTripConnection.run_here``). Such statements are BEGIN, and
the one-read-one-write work that commits statement by statement (the check-in), which
finish in microseconds, far less than the hand-off to the thread. A write runs here only if
the gate is open and SQLite's lock is free (busy timeout 0 for it): where it would have to
wait, it goes to the thread and waits there, so the loop never waits on a lock that a
transaction, parked at an ``await`` of that loop, holds. Statements inside a transaction
(reports, exports, everything a session does after BEGIN) keep to the thread, where a long
one leaves the loop free. For the same reason no connection checkpoints the write-ahead log
at a commit: a ``Checkpointer`` thread does, once a second.

For the SQLAlchemy adapter only (``create_async_engine(async_creator=connect(path))``):
it holds every row of a result in memory, as the adapter does for its non-streaming cursors.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
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


class WriterGate:
    """One writer at a time among this process's connections to one file, queued in order.

    SQLite lets one connection write at a time; a connection that finds the file locked
    sleeps in its busy handler (1, 2, 5 … 100 ms) and tries again, so under load writers
    spend most of their time asleep while the lock is free. Here a connection's thread
    waits on this lock instead and wakes the moment the writer before it is done. It is
    held from BEGIN to COMMIT or ROLLBACK, or for one statement outside a transaction, and
    never for longer than ``timeout`` seconds of waiting (then "database is locked", as the
    busy handler would say). Another process still meets SQLite's own lock."""

    def __init__(self, timeout: float) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout

    def enter(self) -> None:
        if not self._lock.acquire(timeout=self._timeout):
            raise sqlite3.OperationalError("database is locked")

    def try_enter(self) -> bool:
        return self._lock.acquire(blocking=False)

    def leave(self) -> None:
        self._lock.release()


class Checkpointer:
    """Moves the write-ahead log into the database file from a thread and a connection of
    its own, every ``interval`` seconds while any connection to the file is open; the
    connections themselves never do (``wal_autocheckpoint=0``). SQLite's automatic
    checkpoint runs in whichever connection commits past 1,000 pages of log, and for a
    write on the event loop (run_here) that would hold up every request for the page
    writes and the fsync. PASSIVE: it waits for no reader and no writer."""

    def __init__(self, database: str, interval: float) -> None:
        self._database = database
        self._interval = interval
        self._users = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def attach(self) -> None:
        with self._lock:
            self._users += 1
            if self._users == 1:
                self._stopping = threading.Event()
                threading.Thread(
                    target=self._run, args=(self._stopping,), name="sqlite-checkpoint", daemon=True
                ).start()

    def detach(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                self._stopping.set()  # the thread checkpoints once more and ends

    def _run(self, stopping: threading.Event) -> None:
        connection = sqlite3.connect(self._database, isolation_level=None, timeout=0)
        try:
            while True:
                stopped = stopping.wait(self._interval)
                # Busy (another process checkpoints)? Then the next round.
                with contextlib.suppress(sqlite3.OperationalError):
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if stopped:
                    return
        finally:
            connection.close()


def _writes(sql: str) -> bool:
    return not sql.lstrip()[:6].upper().startswith(("SELECT", "PRAGMA"))


def _execute(sqlite: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    cursor = sqlite.cursor()
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


def _run(connection: OneTripConnection, sql: str, parameters: Any, many: bool) -> _Outcome:
    """On the connection's thread: the whole statement, start to close."""
    sqlite = connection.sqlite
    alone = not sqlite.in_transaction and _writes(sql)
    if alone:
        connection.enter_gate()
    try:
        return _execute(sqlite, sql, parameters, many)
    finally:
        # A statement outside a transaction lets go at once; BEGIN keeps the gate until the
        # transaction ends (commit, rollback, close, or a COMMIT sent as a statement).
        if not sqlite.in_transaction:
            connection.leave_gate()


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
        outcome = None if many else self._connection.run_here(sql, parameters)
        if outcome is None:
            outcome = await self._connection.run_on_thread(
                partial(_run, self._connection, sql, parameters, many)
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
    """An aiosqlite connection whose cursors take one trip a statement, and whose writers
    queue at the gate it shares with the other connections to its file."""

    def __init__(
        self,
        connector: Callable[[], sqlite3.Connection],
        gate: WriterGate,
        busy_timeout: float,
        checkpointer: Checkpointer,
    ) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._gate = gate
        self._checkpointer: Checkpointer | None = checkpointer  # None once let go
        # Touched on the connection's thread and, by run_here, on the event loop's, never at
        # once: SQLAlchemy awaits each call of a connection before it makes the next.
        self._in_gate = False
        self._busy_pragma = f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}"

    def cursor(self) -> Any:  # aiosqlite's is an awaitable context manager; so is this
        return OneTripCursor(self)

    @property
    def sqlite(self) -> sqlite3.Connection:
        return self._conn

    def run_on_thread(self, function: Callable[[], Any]) -> Awaitable[Any]:
        return self._execute(function)

    def run_here(self, sql: str, parameters: Any) -> _Outcome | None:
        """On the event loop: a statement outside a transaction, if it can start at once;
        None if it would have to wait (then it is for the thread)."""
        sqlite = self._conn
        if sqlite.in_transaction:
            return None
        if not _writes(sql):
            # A read in WAL mode takes no lock that a writer holds.
            return _execute(sqlite, sql, parameters, many=False)
        if self._in_gate or not self._gate.try_enter():
            return None
        self._in_gate = True
        sqlite.execute("PRAGMA busy_timeout = 0")
        try:
            return _execute(sqlite, sql, parameters, many=False)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return None  # another process writes; nothing was done
            raise
        finally:
            sqlite.execute(self._busy_pragma)
            if not sqlite.in_transaction:
                self.leave_gate()

    def enter_gate(self) -> None:
        if not self._in_gate:
            self._gate.enter()
            self._in_gate = True

    def leave_gate(self) -> None:
        if self._in_gate:
            self._in_gate = False
            self._gate.leave()

    def _ended(self, end: Callable[[], None]) -> None:
        try:
            end()
        finally:
            if not self.sqlite.in_transaction:
                self.leave_gate()

    # Outside a transaction sqlite3 ignores both, and the gate is open already (see _run):
    # no trip to the thread for nothing, as after the statements of a check-in, which
    # commit alone, and when the pool resets a connection that has committed.
    async def commit(self) -> None:
        if self._conn.in_transaction:
            await self._execute(self._ended, self._conn.commit)

    async def rollback(self) -> None:
        if self._conn.in_transaction:
            await self._execute(self._ended, self._conn.rollback)

    def _let_go_of_checkpointer(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.detach()
            self._checkpointer = None

    async def close(self) -> None:
        if self._running and self._connection is not None:
            await self._execute(self.leave_gate)
        await super().close()
        self._let_go_of_checkpointer()

    def stop(self) -> asyncio.Future[Any] | None:
        # SQLAlchemy's terminate: the gate must not stay shut behind a dropped connection.
        # Queued ahead of the stop, so it runs on the connection's thread before it ends.
        if self._running:
            self._tx.put_nowait((None, self.leave_gate))
        self._let_go_of_checkpointer()
        return super().stop()


def _open(database: str, timeout: float, sqlite_options: dict[str, Any]) -> sqlite3.Connection:
    # Opened on the connection's thread and used on the event loop's too (run_here).
    options = {**sqlite_options, "check_same_thread": False}
    connection = sqlite3.connect(database, timeout=timeout, **options)
    connection.execute("PRAGMA wal_autocheckpoint = 0")  # the Checkpointer's work
    return connection


def connect(
    database: str, *, timeout: float = 30.0, checkpoint_seconds: float = 1.0, **sqlite_options: Any
) -> Callable[[], Awaitable[OneTripConnection]]:
    """The ``async_creator`` of an engine on the SQLite file ``database``; its connections
    share one writer gate and one checkpointer."""
    gate = WriterGate(timeout)
    checkpointer = Checkpointer(database, checkpoint_seconds)

    async def create() -> OneTripConnection:
        checkpointer.attach()
        connection = OneTripConnection(
            partial(_open, database, timeout, sqlite_options), gate, timeout, checkpointer
        )
        connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connect()
        try:
            await connection  # starts the thread and opens the file on it
        except BaseException:
            connection._let_go_of_checkpointer()
            raise
        return connection

    return create
