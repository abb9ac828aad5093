"""The one-trip aiosqlite connection behind SQLAlchemy: results, write counts, errors, and one
trip to the driver's thread per statement."""

from __future__ import annotations

import asyncio
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


async def test_one_trip_to_the_thread_per_statement(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips: list[Any] = []
    original = sqlite_kit.OneTripConnection.run_on_thread

    def counting(self: sqlite_kit.OneTripConnection, function: Any) -> Any:
        trips.append(function)
        return original(self, function)

    monkeypatch.setattr(sqlite_kit.OneTripConnection, "run_on_thread", counting)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        await conn.execute(text("INSERT INTO t (name) VALUES ('x') RETURNING id"))
    assert len(trips) == 2


def gated_engine(database: Path, timeout: float) -> AsyncEngine:
    return create_async_engine(
        f"sqlite+aiosqlite:///{database}",
        async_creator=sqlite_kit.connect(str(database), timeout=timeout, check_same_thread=False),
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
