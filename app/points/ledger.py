"""Writing the points ledger: the one way points are earned or taken back.

Every feature that earns points calls ``award`` in the transaction of the act that earned
them (a check-in, a heartbeat, a read, an accepted answer), naming the event by a source
string; calling it again for the same event writes nothing, so an event delivered twice
counts once. ``retract`` writes the reversing row; no row is ever updated.

The daily cap is read and written under a lock held per member until the transaction ends
(an advisory lock on PostgreSQL; SQLite's writers are serial already), so two events of
the same member at once cannot both pass a cap that only one fits under. On a connection
in autocommit (the check-in's, on PostgreSQL) that lock would end with its own statement:
``atomic`` gives the award the transaction it needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import cast as typed

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from app.kit.time import DISPLAY_ZONE
from app.models import Member, OrgClosure, PointEntry, PointKind, PointRule
from app.points.rules import DEFAULT_RULES, Rule

_LOCK_NAMESPACE = 7304  # pg_advisory_xact_lock(namespace, member_id): points of one member
_ENTRIES = typed(Table, PointEntry.__table__)


@dataclass(frozen=True)
class Awarded:
    entry_id: int
    points: int  # what the daily cap let through, 0 when it was reached
    requested: int


def nearest_rule(
    member_id: ColumnElement[int] | int,
    kind: ColumnElement[str] | PointKind,
    *columns: ColumnElement[Any] | InstrumentedAttribute[Any],
) -> Select[Any]:
    """``columns`` of the rule for ``kind`` of the nearest committee above the member's
    organization (their relation, else their workplace) that has one: no row where none
    has. The one statement of that rule, for ``rule_for``, the award's insert and the
    heartbeat's read of its unit."""
    member_org = (
        select(func.coalesce(Member.relation_org_id, Member.workplace_org_id))
        .where(Member.id == member_id)
        .scalar_subquery()
    )
    return (
        select(*columns)
        .select_from(PointRule)
        .join(OrgClosure, OrgClosure.ancestor_id == PointRule.org_id)
        .where(OrgClosure.descendant_id == member_org, PointRule.kind == kind)
        .order_by(OrgClosure.depth)
        .limit(1)
    )


async def rule_for(connection: AsyncConnection, member_id: int, kind: PointKind) -> Rule:
    """The rule that holds for the member (``nearest_rule``); the default where none does."""
    statement = nearest_rule(
        member_id,
        kind,
        PointRule.org_id,
        PointRule.points,
        PointRule.unit_seconds,
        PointRule.daily_cap,
    )
    row = (await connection.execute(statement)).first()
    if row is None:
        return DEFAULT_RULES[kind]
    return Rule(kind, row.points, row.unit_seconds, row.daily_cap, org_id=row.org_id)


def lock_of(member_id: ColumnElement[int]) -> ColumnElement[Any]:
    """SQL (PostgreSQL) taking the points lock of ``member_id`` until the transaction ends:
    for a statement that writes the event and may as well take the lock (the check-in's
    insert, RETURNING it), then ``award(..., locked=True)`` in the same transaction. The
    statement after it reads a snapshot taken after the lock, as the cap needs."""
    return func.pg_advisory_xact_lock(_LOCK_NAMESPACE, member_id)


_LOCK = select(lock_of(bindparam("p_member_id", type_=Integer)))


async def _lock_member(connection: AsyncConnection, member_id: int) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(_LOCK, {"p_member_id": member_id})


def _insert(connection: AsyncConnection) -> postgresql.Insert | sqlite.Insert:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(_ENTRIES)
    return sqlite.insert(_ENTRIES)


@asynccontextmanager
async def atomic(connection: AsyncConnection) -> AsyncIterator[AsyncConnection]:
    """A transaction for ``award`` on a connection that may be in autocommit (the check-in's
    ``DbConnection`` on PostgreSQL, app/db.py): there each statement commits alone, so the
    cap's transaction lock would end with the statement that took it, and two events at
    once could both pass the cap. The block runs in a transaction of the driver's own
    (asyncpg's BEGIN … COMMIT, rolled back on error), which the statements SQLAlchemy sends
    meanwhile join: in autocommit it starts none of its own. Switching the connection's
    isolation level for the block did the same at twice the cost (0.46 against 0.21 ms of
    CPU per block, measured), on the busiest write. A connection already in a real
    transaction (SQLite's ``DbConnection``, a session's) is used as it is."""
    sync = connection.sync_connection
    assert sync is not None
    if sync.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        yield connection
        return
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    async with driver.transaction():
        yield connection


def _bound(name: str, column: ColumnElement[Any]) -> BindParameter[Any]:
    return bindparam(name, type_=column.type)


_MEMBER = _bound("p_member_id", _ENTRIES.c.member_id)
# Cast: asyncpg refuses a parameter it deduces two types for (text in the SELECT list,
# varchar where compared with the column).
_KIND = cast(_bound("p_kind", _ENTRIES.c.kind), String(32))
_DAY = _bound("p_day", _ENTRIES.c.day)


def _granted(points: ColumnElement[int], cap: ColumnElement[int | None]) -> ColumnElement[int]:
    """What the day's cap lets through of ``points``: SQL, so that it reads the day's sum in
    the same statement that writes the row, with the snapshot taken after the lock."""
    used = (
        select(func.coalesce(func.sum(_ENTRIES.c.points), 0))
        .where(_ENTRIES.c.member_id == _MEMBER, _ENTRIES.c.kind == _KIND, _ENTRIES.c.day == _DAY)
        .scalar_subquery()
    )
    room = cap - used
    return case(
        (cap.is_(None), points),
        (room <= 0, literal(0)),
        (room < points, room),
        else_=points,
    )


def _award_statement(dialect: str, resolve: bool) -> Any:
    """INSERT … SELECT of one ledger row: the rule (the nearest committee's, else the
    default passed in; or, without ``resolve``, the rule passed in), the cap applied
    against the day's sum, ON CONFLICT DO NOTHING on the event's key, RETURNING what was
    written. One round trip where reading the rule, the sum and inserting took three."""
    given = select(
        _bound("p_points", _ENTRIES.c.points).label("points"),
        _bound("p_cap", _ENTRIES.c.points).label("cap"),
        _bound("p_rule_org_id", _ENTRIES.c.rule_org_id).label("org_id"),
    ).subquery("given")
    if resolve:
        nearest = nearest_rule(
            _MEMBER, _KIND, PointRule.points, PointRule.daily_cap, PointRule.org_id
        ).subquery("nearest")
        found = nearest.c.org_id.is_not(None)
        rule = (
            select(
                case((found, nearest.c.points), else_=given.c.points).label("points"),
                case((found, nearest.c.daily_cap), else_=given.c.cap).label("cap"),
                nearest.c.org_id.label("org_id"),
            )
            .select_from(given)
            .outerjoin(nearest, true())
            .subquery("rule")
        )
    else:
        rule = given
    rows = select(
        _MEMBER,
        _KIND,
        _bound("p_source", _ENTRIES.c.source),
        false(),
        rule.c.points,
        _granted(rule.c.points, rule.c.cap),
        _DAY,
        rule.c.org_id,
        _bound("p_now", _ENTRIES.c.created_at),
    ).where(true())  # SQLite: a SELECT before ON CONFLICT needs a WHERE to parse
    insert = postgresql.insert(_ENTRIES) if dialect == "postgresql" else sqlite.insert(_ENTRIES)
    columns = ["member_id", "kind", "source", "reversal", "requested", "points", "day"]
    return (
        insert.from_select([*columns, "rule_org_id", "created_at"], rows)
        .on_conflict_do_nothing(index_elements=["member_id", "kind", "source", "reversal"])
        .returning(_ENTRIES.c.id, _ENTRIES.c.points, _ENTRIES.c.requested)
    )


_AWARD_STATEMENTS = {
    (dialect, resolve): _award_statement(dialect, resolve)
    for dialect in ("postgresql", "sqlite")
    for resolve in (True, False)
}


async def award(
    connection: AsyncConnection,
    *,
    member_id: int,
    kind: PointKind,
    source: str,
    now: datetime,
    rule: Rule | None = None,
    locked: bool = False,
) -> Awarded | None:
    """Points for one event (``source``), on the day ``now`` falls on in Asia/Shanghai, as far
    as that day's cap of ``kind`` allows, by ``rule`` or else the rule that holds for the
    member. None when the event was counted before. Must run inside a transaction (the
    caller's, or ``atomic``'s on an autocommit connection): the cap's lock lasts until it
    ends. Two statements on PostgreSQL (the lock, the insert), one on SQLite; one with
    ``locked``: the caller took ``lock_of`` the member in this transaction already."""
    if not locked:
        await _lock_member(connection, member_id)
    chosen = rule or DEFAULT_RULES[kind]
    statement = _AWARD_STATEMENTS[(connection.dialect.name, rule is None)]
    row = (
        await connection.execute(
            statement,
            {
                "p_member_id": member_id,
                "p_kind": kind,
                "p_source": source,
                "p_day": now.astimezone(DISPLAY_ZONE).date(),
                "p_now": now,
                "p_points": chosen.points,
                "p_cap": chosen.daily_cap,
                "p_rule_org_id": chosen.org_id,
            },
        )
    ).first()
    if row is None:
        return None
    return Awarded(row.id, row.points, row.requested)


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
