"""The ledger (issue 11.5): an event counts once however often it is delivered, a
retraction is a second row and never an update, the daily cap holds per day in
Asia/Shanghai, and a committee's rule holds for its subtree only."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import FastAPI

from app.models import PointKind, PointRule
from app.points.rules import Rule
from tests.factories import Factory, build_world
from tests.points.conftest import award, entries, retract

# 2026-12-02 10:00 in Beijing.
NOON = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
# 23:50 on the 2nd and 00:10 on the 3rd in Beijing: 15:50 and 16:10 UTC, the same UTC day.
BEFORE_MIDNIGHT = datetime(2026, 12, 2, 15, 50, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 12, 2, 16, 10, tzinfo=UTC)


async def test_an_event_delivered_twice_counts_once(app: FastAPI, factory: Factory) -> None:
    member = await factory.member(relation=(await build_world(factory)).branch_a1)

    first = await award(app, member.id, PointKind.NEWS_READ, "article:7", NOON)
    second = await award(app, member.id, PointKind.NEWS_READ, "article:7", NOON)

    assert first is not None
    assert first.points == 1
    assert second is None
    rows = await entries(app, member.id)
    assert [(r.source, r.points, r.reversal) for r in rows] == [("article:7", 1, False)]


async def test_a_retraction_writes_a_reversing_row_and_changes_none(
    app: FastAPI, factory: Factory
) -> None:
    member = await factory.member(relation=(await build_world(factory)).branch_a1)
    await award(app, member.id, PointKind.ACTIVITY_ATTENDED, "attendance:3", NOON)
    before = [(r.id, r.points, r.requested, r.reversal, r.day) for r in await entries(app)]

    taken = await retract(app, member.id, PointKind.ACTIVITY_ATTENDED, "attendance:3", NOON)
    again = await retract(app, member.id, PointKind.ACTIVITY_ATTENDED, "attendance:3", NOON)

    after = [(r.id, r.points, r.requested, r.reversal, r.day) for r in await entries(app)]
    assert taken is not None
    assert taken.points == -2
    assert again is None
    assert after[0] == before[0]  # the original row is untouched
    assert after[1][1:] == (-2, -2, True, date(2026, 12, 2))
    assert len(after) == 2
    assert sum(row[1] for row in after) == 0


async def test_retracting_an_event_never_counted_writes_nothing(
    app: FastAPI, factory: Factory
) -> None:
    member = await factory.member(relation=(await build_world(factory)).branch_a1)
    assert await retract(app, member.id, PointKind.NEWS_READ, "article:1", NOON) is None
    assert await entries(app) == []


async def test_the_cap_counts_per_day_in_beijing_time(app: FastAPI, factory: Factory) -> None:
    member = await factory.member(relation=(await build_world(factory)).branch_a1)
    rule = Rule(PointKind.NEWS_READ, 2, None, 3)

    late = [
        await award(app, member.id, PointKind.NEWS_READ, f"article:{n}", BEFORE_MIDNIGHT, rule=rule)
        for n in (1, 2)
    ]
    early = await award(app, member.id, PointKind.NEWS_READ, "article:3", AFTER_MIDNIGHT, rule=rule)

    assert [a.points if a else None for a in late] == [2, 1]  # the cap of the 2nd
    assert early is not None
    assert early.points == 2
    rows = await entries(app, member.id)
    assert [(r.day, r.requested, r.points) for r in rows] == [
        (date(2026, 12, 2), 2, 2),
        (date(2026, 12, 2), 2, 1),
        (date(2026, 12, 3), 2, 2),
    ]


async def test_a_retraction_makes_room_under_that_days_cap(app: FastAPI, factory: Factory) -> None:
    member = await factory.member(relation=(await build_world(factory)).branch_a1)
    rule = Rule(PointKind.NEWS_READ, 3, None, 3)
    await award(app, member.id, PointKind.NEWS_READ, "article:1", NOON, rule=rule)
    await retract(app, member.id, PointKind.NEWS_READ, "article:1", NOON)

    again = await award(app, member.id, PointKind.NEWS_READ, "article:2", NOON, rule=rule)

    assert again is not None
    assert again.points == 3


async def test_a_committees_rule_holds_in_its_subtree_only(app: FastAPI, factory: Factory) -> None:
    world = await build_world(factory)
    inside = await factory.member(relation=world.branch_a1)
    elsewhere = await factory.member(relation=world.joint_b)
    async with app.state.runtime.sessionmaker() as session, session.begin():
        session.add(
            PointRule(
                org_id=world.street_a.id,
                kind=PointKind.NEWS_READ,
                points=5,
                unit_seconds=None,
                daily_cap=None,
                updated_at=NOON,
            )
        )

    ours = await award(app, inside.id, PointKind.NEWS_READ, "article:1", NOON)
    theirs = await award(app, elsewhere.id, PointKind.NEWS_READ, "article:1", NOON)

    assert ours is not None
    assert (ours.points, ours.requested) == (5, 5)
    assert theirs is not None
    assert (theirs.points, theirs.requested) == (1, 1)
    rows = {r.member_id: r.rule_org_id for r in await entries(app)}
    assert rows == {inside.id: world.street_a.id, elsewhere.id: None}
