"""Writing the points ledger: the one way points are earned or taken back.

Every feature that earns points calls ``award`` in the transaction of the act that earned
them (a check-in, a heartbeat, a read, an accepted answer), naming the event by a source
string; calling it again for the same event writes nothing, so an event delivered twice
counts once. ``retract`` writes the reversing row; no row is ever updated.

The daily cap is read and written under a lock held per member until the transaction ends
(an advisory lock on PostgreSQL; SQLite's writers are serial already), so two events of
the same member at once cannot both pass a cap that only one fits under.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from app.kit.time import DISPLAY_ZONE
from app.models import Member, OrgClosure, PointEntry, PointKind, PointRule
from app.points.rules import DEFAULT_RULES, Rule

_LOCK_NAMESPACE = 7304  # pg_advisory_xact_lock(namespace, member_id): points of one member
_ENTRIES = cast(Table, PointEntry.__table__)


@dataclass(frozen=True)
class Awarded:
    entry_id: int
    points: int  # what the daily cap let through, 0 when it was reached
    requested: int


async def rule_for(connection: AsyncConnection, member_id: int, kind: PointKind) -> Rule:
    """The rule of the nearest committee above the member's organization (their relation,
    else their workplace) that has one for ``kind``; the default where none has."""
    member_org = (
        select(func.coalesce(Member.relation_org_id, Member.workplace_org_id))
        .where(Member.id == member_id)
        .scalar_subquery()
    )
    row = (
        await connection.execute(
            select(PointRule.org_id, PointRule.points, PointRule.unit_seconds, PointRule.daily_cap)
            .join(OrgClosure, OrgClosure.ancestor_id == PointRule.org_id)
            .where(OrgClosure.descendant_id == member_org, PointRule.kind == kind)
            .order_by(OrgClosure.depth)
            .limit(1)
        )
    ).first()
    if row is None:
        return DEFAULT_RULES[kind]
    return Rule(kind, row.points, row.unit_seconds, row.daily_cap, org_id=row.org_id)


async def _lock_member(connection: AsyncConnection, member_id: int) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(select(func.pg_advisory_xact_lock(_LOCK_NAMESPACE, member_id)))


def _insert(connection: AsyncConnection) -> postgresql.Insert | sqlite.Insert:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(_ENTRIES)
    return sqlite.insert(_ENTRIES)


async def award(
    connection: AsyncConnection,
    *,
    member_id: int,
    kind: PointKind,
    source: str,
    now: datetime,
    rule: Rule | None = None,
) -> Awarded | None:
    """Points for one event (``source``), on the day ``now`` falls on in Asia/Shanghai, as far
    as that day's cap of ``kind`` allows. None when the event was counted before. Must run
    inside the caller's transaction: the cap's lock lasts until it ends."""
    rule = rule or await rule_for(connection, member_id, kind)
    day = now.astimezone(DISPLAY_ZONE).date()
    await _lock_member(connection, member_id)
    granted = rule.points
    if rule.daily_cap is not None:
        used = await connection.scalar(
            select(func.coalesce(func.sum(PointEntry.points), 0)).where(
                PointEntry.member_id == member_id, PointEntry.kind == kind, PointEntry.day == day
            )
        )
        granted = max(0, min(rule.points, rule.daily_cap - int(used or 0)))
    inserted = await connection.execute(
        _insert(connection)
        .values(
            member_id=member_id,
            kind=kind,
            source=source,
            reversal=False,
            requested=rule.points,
            points=granted,
            day=day,
            rule_org_id=rule.org_id,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["member_id", "kind", "source", "reversal"])
        .returning(_ENTRIES.c.id)
    )
    entry_id = inserted.scalar()
    if entry_id is None:
        return None
    return Awarded(entry_id, granted, rule.points)


async def retract(
    connection: AsyncConnection,
    *,
    member_id: int,
    kind: PointKind,
    source: str,
    now: datetime,
) -> Awarded | None:
    """The reversing row of the event's points, on the day they were counted for (so that
    day's cap has room again). None when there was nothing to take back, or it was taken
    back before."""
    original = (
        await connection.execute(
            select(
                PointEntry.points, PointEntry.requested, PointEntry.day, PointEntry.rule_org_id
            ).where(
                PointEntry.member_id == member_id,
                PointEntry.kind == kind,
                PointEntry.source == source,
                PointEntry.reversal.is_(False),
            )
        )
    ).first()
    if original is None:
        return None
    await _lock_member(connection, member_id)
    inserted = await connection.execute(
        _insert(connection)
        .values(
            member_id=member_id,
            kind=kind,
            source=source,
            reversal=True,
            requested=-original.requested,
            points=-original.points,
            day=original.day,
            rule_org_id=original.rule_org_id,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["member_id", "kind", "source", "reversal"])
        .returning(_ENTRIES.c.id)
    )
    entry_id = inserted.scalar()
    if entry_id is None:
        return None
    return Awarded(entry_id, -original.points, -original.requested)
