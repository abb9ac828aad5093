"""Two commits of the same roster at once (PostgreSQL, where requests really run at once):
both are held just before the import lock until both have reached it, so both have read the
sheet and passed every check of the upload; the lock makes the second find the first's rows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select
from sqlalchemy.util import await_only

from app.kit.clock import FrozenClock
from app.models import Member, RosterChange
from tests.factories import Factory
from tests.roster.helpers import NOW, Scene, build_scene, workbook

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@contextmanager
def both_at(app: FastAPI, statement: str) -> Iterator[None]:
    barrier = asyncio.Barrier(2)
    engine = app.state.runtime.engine.sync_engine
    held: list[str] = []

    def hold(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.lstrip().startswith(statement) and len(held) < 2:
            held.append(sql)
            await_only(asyncio.wait_for(barrier.wait(), timeout=10))

    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", hold)
    assert len(held) == 2, f"the race never reached {statement!r}"


async def test_the_same_sheet_committed_twice_at_once_is_written_once(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    scene: Scene = await build_scene(client, factory)
    # Phones only: no unique constraint would catch these, only the import's own check.
    rows = [
        {
            "姓名": f"并发{n}",
            "手机号": f"1310000{n:04d}",
            "党员状态": "群众",
            "工作单位": "甲一协会",
        }
        for n in range(20)
    ]
    data = workbook(rows)
    with both_at(app, "SELECT pg_advisory_xact_lock"):
        first, second = await asyncio.gather(
            scene.upload(data, dry_run=False), scene.upload(data, dry_run=False)
        )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 422], (first.text, second.text)
    won, lost = (first, second) if first.status_code == 200 else (second, first)
    assert won.json()["created"] == 20
    details = lost.json()["error"]["details"]
    assert details["invalid_rows"] == 20
    assert {e["code"] for e in details["errors"]} == {"roster.phone_taken"}
    async with factory.runtime.sessionmaker() as session:
        phones = select(Member.id).where(Member.phone.like("1310000%"))
        assert await session.scalar(select(func.count()).select_from(phones.subquery())) == 20
        ledger = select(func.count()).where(RosterChange.member_id.in_(phones))
        assert await session.scalar(ledger) == 20
