"""The one-trip aiosqlite connection behind SQLAlchemy: results, write counts, errors; no trip
to the driver's thread for a statement outside a transaction that can start at once, one per
statement otherwise; and the writer gate."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.kit import sqlite as sqlite_kit


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    database = str(tmp_path / "one-trip.db")
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{database}",
        async_creator=sqlite_kit.connect(database, timeout=5, check_same_thread=False),
    )
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


async def test_reads_writes_and_their_counts(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('甲')"))
        assert inserted.rowcount == 1 and inserted.lastrowid == 1
        await conn.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "乙"}, {"name": "丙"}]
        )
        returned = await conn.execute(text("INSERT INTO t (name) VALUES ('丁') RETURNING id, name"))
        assert returned.all() == [(4, "丁")]
        updated = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id > 2"))
        assert updated.rowcount == 2
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert list(result.keys()) == ["id", "name"]
        assert result.all() == [(1, "甲"), (2, "乙"), (3, "丙!"), (4, "丁!")]
        assert (await conn.execute(text("SELECT name FROM t WHERE id = 99"))).first() is None


async def test_a_rolled_back_write_is_gone_and_errors_are_sqlalchemys(engine: AsyncEngine) -> None:
    with pytest.raises(exc.IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('甲')"))
            await conn.execute(text("INSERT INTO t (name) VALUES ('甲')"))
    with pytest.raises(exc.OperationalError):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT * FROM no_such_table"))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_a_stream_reads_every_row(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO t (name) VALUES (:n)"), [{"n": str(i)} for i in range(50)]
        )
    async with engine.connect() as conn:
        stream = await conn.stream(text("SELECT id FROM t ORDER BY id"))
        ids = [row.id async for row in stream]
    assert ids == list(range(1, 51))


def count_trips(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    trips: list[Any] = []
    original = sqlite_kit.OneTripConnection.run_on_thread

    def counting(self: sqlite_kit.OneTripConnection, function: Any) -> Any:
        trips.append(function)
        return original(self, function)

    monkeypatch.setattr(sqlite_kit.OneTripConnection, "run_on_thread", counting)
    return trips


async def test_outside_a_transaction_no_trip_inside_one_trip_per_statement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the app sets it up: the driver in autocommit, transactions begun by BEGIN IMMEDIATE.
    engine = gated_engine(tmp_path / "trips.db", timeout=5)
    async with engine.connect() as conn:
        await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    trips = count_trips(monkeypatch)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        returned = await conn.execute(text("INSERT INTO t (name) VALUES ('x') RETURNING id"))
        assert returned.scalar() == 1
        assert trips == []
        await conn.exec_driver_sql("BEGIN IMMEDIATE")  # still outside: on the loop
        await conn.execute(text("SELECT count(*) FROM t"))
        await conn.execute(text("INSERT INTO t (name) VALUES ('y')"))
        await conn.commit()
    assert len(trips) == 2  # the SELECT and the INSERT
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all() == [
            "x",
            "y",
        ]
    await engine.dispose()


async def test_a_write_that_would_wait_for_the_gate_waits_on_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = gated_engine(tmp_path / "parked.db", timeout=5)
    async with engine.connect() as conn:
        await conn.exec_driver_sql("CREATE TABLE n (v INTEGER)")
    trips = count_trips(monkeypatch)
    async with engine.connect() as holder, engine.connect() as writer:
        await holder.exec_driver_sql("BEGIN IMMEDIATE")
        await holder.execute(text("INSERT INTO n VALUES (1)"))
        # The holder's transaction waits at an await of this loop; were the writer to wait
        # on the loop, the holder could never commit and the writer would time out.
        write = asyncio.create_task(writer.execute(text("INSERT INTO n VALUES (2)")))
        await asyncio.sleep(0.05)
        assert not write.done()
        await holder.commit()
        await write
    assert len(trips) == 2  # the holder's INSERT, and the writer's wait
    async with engine.connect() as conn:
        assert sorted((await conn.execute(text("SELECT v FROM n"))).scalars()) == [1, 2]
    await engine.dispose()


async def test_a_write_finding_the_file_locked_by_another_process_waits_on_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "shared.db"
    engine = gated_engine(database, timeout=5)
    async with engine.connect() as conn:
        await conn.exec_driver_sql("CREATE TABLE n (v INTEGER)")
    # Another process's connection: it does not know this engine's gate.
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO n VALUES (1)")
    trips = count_trips(monkeypatch)
    # The other process commits 0.2 s from now: the loop must be free to get there.
    asyncio.get_running_loop().call_later(0.2, other.commit)
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO n VALUES (2)"))
        assert len(trips) == 1
        assert sorted((await conn.execute(text("SELECT v FROM n"))).scalars()) == [1, 2]
        # The loop's attempt ran with no busy wait; the connection waits as before again.
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 5000
    other.close()
    await engine.dispose()


def gated_engine(database: Path, timeout: float) -> AsyncEngine:
    return create_async_engine(
        f"sqlite+aiosqlite:///{database}",
        async_creator=sqlite_kit.connect(
            str(database), timeout=timeout, check_same_thread=False, isolation_level=None
        ),
    )


async def test_writers_queue_at_the_gate_and_all_commit(tmp_path: Path) -> None:
    engine = gated_engine(tmp_path / "gate.db", timeout=10)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE n (v INTEGER)"))

    async def write(value: int) -> None:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            await conn.execute(text("INSERT INTO n VALUES (:v)"), {"v": value})
            await asyncio.sleep(0.01)  # the transaction stays open across an await
            await conn.commit()

    await asyncio.gather(*(write(v) for v in range(20)))
    async with engine.connect() as conn:
        assert sorted((await conn.execute(text("SELECT v FROM n"))).scalars()) == list(range(20))
    await engine.dispose()


async def test_a_writer_waiting_past_the_timeout_is_told_the_database_is_locked(
    tmp_path: Path,
) -> None:
    engine = gated_engine(tmp_path / "held.db", timeout=0.2)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE n (v INTEGER)"))
    async with engine.connect() as holder:
        await holder.exec_driver_sql("BEGIN IMMEDIATE")
        with pytest.raises(exc.OperationalError, match="database is locked"):
            async with engine.connect() as waiter:
                await waiter.execute(text("INSERT INTO n VALUES (1)"))
        await holder.rollback()
    # The holder's rollback opened the gate again.
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO n VALUES (2)"))
    await engine.dispose()


async def test_a_commit_sent_as_a_statement_opens_the_gate_too(tmp_path: Path) -> None:
    engine = gated_engine(tmp_path / "raw.db", timeout=0.2)
    async with engine.connect() as first:
        await first.exec_driver_sql("BEGIN IMMEDIATE")
        await first.exec_driver_sql("CREATE TABLE n (v INTEGER)")
        await first.exec_driver_sql("COMMIT")
        async with engine.begin() as second:  # would wait 0.2 s and fail if still shut
            await second.execute(text("INSERT INTO n VALUES (1)"))
    await engine.dispose()


def checkpointers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sqlite-checkpoint"]


async def write_pages(engine: AsyncEngine, rows: int) -> None:
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        await conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS blob (b BLOB)")
        for _ in range(rows):  # a page and more each, every one committed alone
            await conn.execute(text("INSERT INTO blob VALUES (randomblob(5000))"))


async def test_commits_never_checkpoint_the_checkpointer_does(tmp_path: Path) -> None:
    database = tmp_path / "wal.db"
    never = create_async_engine(
        f"sqlite+aiosqlite:///{database}",
        async_creator=sqlite_kit.connect(
            str(database), checkpoint_seconds=3600, isolation_level=None
        ),
    )
    await write_pages(never, 800)  # some 1,600 pages: past SQLite's automatic checkpoint
    # Nothing reached the database file: no commit checkpointed, on the loop or elsewhere.
    assert database.stat().st_size < 100_000
    assert (tmp_path / "wal.db-wal").stat().st_size > 4_000_000
    await never.dispose()

    soon = create_async_engine(
        f"sqlite+aiosqlite:///{database}",
        async_creator=sqlite_kit.connect(
            str(database), checkpoint_seconds=0.05, isolation_level=None
        ),
    )
    await write_pages(soon, 10)
    for _ in range(40):
        if database.stat().st_size > 4_000_000:
            break
        await asyncio.sleep(0.05)
    assert database.stat().st_size > 4_000_000  # the log moved into the file
    await soon.dispose()


async def test_the_checkpointer_runs_while_a_connection_is_open(tmp_path: Path) -> None:
    others = set(checkpointers())  # earlier tests' may still be finishing
    engine = gated_engine(tmp_path / "threads.db", timeout=5)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        (mine,) = set(checkpointers()) - others
    await engine.dispose()
    await asyncio.to_thread(mine.join, 2)
    assert not mine.is_alive()
