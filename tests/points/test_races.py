"""Concurrent awards of one member at the cap (PostgreSQL, where they really run at once):
the lock in ``ledger.award`` lets one through at a time, so the day's total never passes
the cap, and an event raced from many connections counts once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import PointKind
from app.points import ledger
from app.points.rules import Rule
from tests.checkin.conftest import Scene
from tests.checkin.test_review import INSIDE
from tests.factories import Factory, build_world
from tests.points.conftest import award, entries

pytestmark = pytest.mark.postgres_only

NOON = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


async def test_concurrent_awards_at_the_cap_never_pass_it(app: FastAPI, factory: Factory) -> None:
    member = await factory.member(relation=(await build_world(factory)).branch_a1)
    rule = Rule(PointKind.STUDY_TIME, 1, 300, 6)

    awarded = await asyncio.gather(
        *(
            award(app, member.id, PointKind.STUDY_TIME, f"material:1:unit:{n}", NOON, rule=rule)
            for n in range(1, 21)
        )
    )

    assert all(a is not None for a in awarded)
    assert sorted(a.points for a in awarded if a is not None) == [0] * 14 + [1] * 6
    rows = await entries(app, member.id)
    assert len(rows) == 20
    assert sum(r.points for r in rows) == 6


async def test_one_event_raced_from_many_connections_counts_once(
    app: FastAPI, factory: Factory
) -> None:
    member = await factory.member(relation=(await build_world(factory)).branch_a1)

    awarded = await asyncio.gather(
        *(award(app, member.id, PointKind.NEWS_READ, "article:9", NOON) for _ in range(10))
    )

    assert sum(a is not None for a in awarded) == 1
    assert [(r.source, r.points) for r in await entries(app, member.id)] == [("article:9", 1)]


async def test_awards_on_autocommit_connections_hold_the_cap_inside_atomic(
    app: FastAPI, factory: Factory
) -> None:
    """The check-in's connection commits each statement alone; ``atomic`` gives the award
    the transaction its lock needs."""
    member = await factory.member(relation=(await build_world(factory)).branch_a1)
    rule = Rule(PointKind.ACTIVITY_ATTENDED, 2, None, 6)

    async def attend(n: int) -> None:
        async with app.state.runtime.engine.connect() as plain:
            connection = await plain.execution_options(isolation_level="AUTOCOMMIT")
            async with ledger.atomic(connection):
                await ledger.award(
                    connection,
                    member_id=member.id,
                    kind=PointKind.ACTIVITY_ATTENDED,
                    source=f"attendance:{n}",
                    now=NOON,
                    rule=rule,
                )
            # Back in autocommit for whatever the request does next.
            assert connection.sync_connection is not None
            options = connection.sync_connection.get_execution_options()
            assert options["isolation_level"] == "AUTOCOMMIT"

    await asyncio.gather(*(attend(n) for n in range(12)))

    rows = await entries(app, member.id)
    assert len(rows) == 12
    assert sum(r.points for r in rows) == 6


async def test_an_atomic_block_that_fails_leaves_nothing(app: FastAPI, factory: Factory) -> None:
    """What the check-in writes in the block (its attendance, the points) stands or falls
    together."""
    member = await factory.member(relation=(await build_world(factory)).branch_a1)

    async def fail_after_award(connection: AsyncConnection) -> None:
        async with ledger.atomic(connection):
            await ledger.award(
                connection,
                member_id=member.id,
                kind=PointKind.NEWS_READ,
                source="article:1",
                now=NOON,
            )
            raise RuntimeError("the check-in failed after its award")

    async with app.state.runtime.engine.connect() as plain:
        connection = await plain.execution_options(isolation_level="AUTOCOMMIT")
        with pytest.raises(RuntimeError):
            await fail_after_award(connection)
        await ledger.award(
            connection, member_id=member.id, kind=PointKind.NEWS_READ, source="x:1", now=NOON
        )  # the connection is usable again, in autocommit

    assert [r.source for r in await entries(app, member.id)] == ["x:1"]


async def test_concurrent_check_ins_of_one_member_hold_the_cap(scene: Scene) -> None:
    """The check-in's insert takes the member's points lock itself (RETURNING it), so its
    award, one statement later in the same transaction, reads every earlier award."""
    meetings = [await scene.meeting() for _ in range(8)]
    codes = [(await scene.code(m["id"]))["token"] for m in meetings]
    member = await scene.member()

    responses = await asyncio.gather(
        *(
            scene.check_in(member, m["id"], token=token, **INSIDE)
            for m, token in zip(meetings, codes, strict=True)
        )
    )

    assert [r.status_code for r in responses] == [201] * 8
    rows = await entries(scene.app, member.member.id)
    assert len(rows) == 8
    assert sum(r.points for r in rows) == 6  # the default cap: three meetings a day
