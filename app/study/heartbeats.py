"""Self-study time, credited by the server's clock alone (issue 11, item 4).

A heartbeat says only "the material is open" (and, untrusted, where the video is). Under the
member's ``study_presence`` row lock the server takes the time, and credits the time since
the member's previous beat when that beat was on the same material and no more than 90 s
ago, at most 60 s a beat. Beats of one member are thus credited one after another, each for
time no other beat was credited for: however many race, the sum never exceeds the wall
clock. Every write to a member's progress (heartbeats here, in-person sessions at check-out)
happens under that lock, so the read-then-write of the progress below never loses an update.

The hot path of a study evening (a beat per member every 30 s): Core statements, built once,
on the writer session's connection; a beat that credits nothing costs the material read, the
lock, the progress read and two writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from app.activities.service import in_org_subtree
from app.kit.time import DISPLAY_ZONE
from app.models import (
    MaterialStatus,
    Member,
    PointKind,
    PointRule,
    StudyDaily,
    StudyMaterial,
    StudyPresence,
    StudyProgress,
)
from app.points.ledger import award, nearest_rule, rule_for
from app.points.rules import STUDY_UNIT_SECONDS
from app.study.errors import MaterialArchived, MaterialNotFound, PositionOutOfRange

MAX_CREDIT_PER_BEAT = 60  # seconds
MAX_GAP = timedelta(seconds=90)  # a longer silence ends the stretch
CAP_FACTOR = 1.5  # never more credited than 1.5 × the material's length
# The previous beat of a member who has none: any gap from it is too long to credit.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)

_PRESENCE = cast(Table, StudyPresence.__table__)
_PROGRESS = cast(Table, StudyProgress.__table__)
_DAILY = cast(Table, StudyDaily.__table__)
_MEMBER = bindparam("b_member", type_=Integer)
_MATERIAL = bindparam("b_material", type_=Integer)

# The material, whether it is open to the member, and whether they ever studied it (an
# archived material stays readable, and refuses beats with its own code, for them only).
_TERMS = select(
    StudyMaterial.status,
    StudyMaterial.length_seconds,
    StudyMaterial.required_seconds,
    exists(
        select(Member.id).where(
            Member.id == _MEMBER, Member.current(), in_org_subtree(StudyMaterial.org_id)
        )
    ).label("open"),
    exists(
        select(StudyProgress.member_id).where(
            StudyProgress.member_id == _MEMBER, StudyProgress.material_id == StudyMaterial.id
        )
    ).label("studied"),
    # The unit of the member's study-time rule, as rule_for() finds it: most beats reach no
    # new unit, and then need no rule (the rule itself is read when one is reached).
    nearest_rule(_MEMBER, PointKind.STUDY_TIME, PointRule.unit_seconds)
    .scalar_subquery()
    .label("unit_seconds"),
).where(StudyMaterial.id == _MATERIAL)
_LOCK = (
    select(StudyPresence.material_id, StudyPresence.last_beat_at)
    .where(StudyPresence.member_id == _MEMBER)
    .with_for_update()
)
_PROGRESS_NOW = select(
    StudyProgress.credited_seconds, StudyProgress.completed_at, StudyProgress.position_seconds
).where(StudyProgress.member_id == _MEMBER, StudyProgress.material_id == _MATERIAL)
_MOVE = (
    update(_PRESENCE)
    .where(_PRESENCE.c.member_id == _MEMBER)
    .values(material_id=_MATERIAL, last_beat_at=bindparam("b_at"))
)
_PROGRESS_INSERT = _PROGRESS.insert().values(
    member_id=_MEMBER,
    material_id=_MATERIAL,
    credited_seconds=bindparam("b_credited"),
    position_seconds=bindparam("b_position"),
    first_studied_at=bindparam("b_now"),
    last_credited_at=bindparam("b_credited_at"),
    completed_at=bindparam("b_completed_at"),
)
_PROGRESS_UPDATE = (
    update(_PROGRESS)
    .where(_PROGRESS.c.member_id == _MEMBER, _PROGRESS.c.material_id == _MATERIAL)
    .values(
        credited_seconds=bindparam("b_credited"),
        position_seconds=bindparam("b_position"),
        last_credited_at=bindparam("b_credited_at"),
        completed_at=bindparam("b_completed_at"),
    )
)


def _insert(dialect: str, table: Table) -> Any:
    return pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)


@cache
def _presence_insert(dialect: str) -> Any:
    """The member's first beat makes their row; a racing first beat's row is as good."""
    return (
        _insert(dialect, _PRESENCE)
        .values(member_id=_MEMBER, material_id=_MATERIAL, last_beat_at=NEVER)
        .on_conflict_do_nothing(index_elements=[_PRESENCE.c.member_id])
    )


@cache
def _daily_add(dialect: str) -> Any:
    statement = _insert(dialect, _DAILY).values(
        member_id=_MEMBER, day=bindparam("b_day"), material_id=_MATERIAL, seconds=bindparam("b_add")
    )
    return statement.on_conflict_do_update(
        index_elements=[_DAILY.c.member_id, _DAILY.c.day, _DAILY.c.material_id],
        set_={"seconds": _DAILY.c.seconds + statement.excluded.seconds},
    )


@dataclass(frozen=True)
class Terms:
    """What of a material a credit is judged on."""

    id: int
    length_seconds: int
    required_seconds: int
    # The member's study-time unit when the caller read it (None: read the rule each time).
    unit_seconds: int | None = None

    @property
    def ceiling(self) -> int:
        return math.floor(self.length_seconds * CAP_FACTOR)


@dataclass(frozen=True)
class Credited:
    """The member's total on the material after a credit."""

    material_id: int
    credited_seconds: int
    required_seconds: int
    completed: bool


async def lock_presence(
    connection: AsyncConnection, member_id: int, material_id: int
) -> tuple[int, datetime]:
    """The member's presence row, locked until the transaction ends: the material and time
    of their previous beat (``NEVER`` for a first). On SQLite, BEGIN IMMEDIATE has already
    made this writer the only one."""
    params = {"b_member": member_id, "b_material": material_id}
    row = (await connection.execute(_LOCK, params)).first()
    if row is None:
        await connection.execute(_presence_insert(connection.dialect.name), params)
        row = (await connection.execute(_LOCK, params)).one()
    return row.material_id, _aware(row.last_beat_at)


def _aware(moment: datetime) -> datetime:
    # SQLite gives back naive UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def beat_credit(
    previous_material: int, last_beat_at: datetime, material_id: int, now: datetime
) -> int:
    """Seconds one beat may credit: the time since the previous beat on the same material,
    none after a longer silence than MAX_GAP or a clock that went back, at most 60."""
    if previous_material != material_id:
        return 0
    gap = now - last_beat_at
    if gap < timedelta(0) or gap > MAX_GAP:
        return 0
    return min(int(gap.total_seconds()), MAX_CREDIT_PER_BEAT)


async def credit(
    connection: AsyncConnection,
    *,
    member_id: int,
    terms: Terms,
    seconds: int,
    now: datetime,
    position: int | None = None,
    daily: bool,
) -> Credited:
    """Adds up to ``seconds`` to the member's progress on the material, within the 1.5 ×
    length ceiling and nothing once completed; completes it at its required time; records
    the self-study ``daily`` seconds; awards a point row per started unit newly reached and
    one for completing. Only under ``lock_presence`` of the member."""
    params: dict[str, Any] = {"b_member": member_id, "b_material": terms.id}
    found = (await connection.execute(_PROGRESS_NOW, params)).first()
    before = found.credited_seconds if found is not None else 0
    completed_at = _aware(found.completed_at) if found and found.completed_at else None
    added = 0 if completed_at is not None else max(0, min(seconds, terms.ceiling - before))
    total = before + added
    newly_completed = completed_at is None and total >= terms.required_seconds
    if newly_completed:
        completed_at = now
    kept_position = found.position_seconds if found is not None else None
    params.update(
        b_credited=total,
        b_position=position if position is not None else kept_position,
        b_completed_at=completed_at,
        b_credited_at=now,
    )
    if found is None:
        if not added:
            params["b_credited_at"] = None
        await connection.execute(_PROGRESS_INSERT, {**params, "b_now": now})
    elif added:
        await connection.execute(_PROGRESS_UPDATE, params)
    elif position is not None:
        await connection.execute(_POSITION_ONLY, params)
    if added and daily:
        day = now.astimezone(DISPLAY_ZONE).date()
        await connection.execute(
            _daily_add(connection.dialect.name), {**params, "b_day": day, "b_add": added}
        )
    if added:
        await _award_units(connection, member_id, terms, before, total, now)
    if newly_completed:
        await award(
            connection,
            member_id=member_id,
            kind=PointKind.MATERIAL_COMPLETED,
            source=f"material:{terms.id}:completed",
            now=now,
        )
    return Credited(terms.id, total, terms.required_seconds, completed_at is not None)


_POSITION_ONLY = (
    update(_PROGRESS)
    .where(_PROGRESS.c.member_id == _MEMBER, _PROGRESS.c.material_id == _MATERIAL)
    .values(position_seconds=bindparam("b_position"))
)


async def _award_units(
    connection: AsyncConnection,
    member_id: int,
    terms: Terms,
    before: int,
    after: int,
    now: datetime,
) -> None:
    unit = terms.unit_seconds
    if unit is not None and math.ceil(before / unit) == math.ceil(after / unit):
        return
    rule = await rule_for(connection, member_id, PointKind.STUDY_TIME)
    unit = rule.unit_seconds or STUDY_UNIT_SECONDS
    for n in range(math.ceil(before / unit) + 1, math.ceil(after / unit) + 1):
        await award(
            connection,
            member_id=member_id,
            kind=PointKind.STUDY_TIME,
            source=f"material:{terms.id}:unit:{n}",
            now=now,
            rule=rule,
        )


async def beat(
    connection: AsyncConnection,
    *,
    member_id: int,
    material_id: int,
    position: int | None,
    clock_now: Any,
) -> Credited:
    """One heartbeat, in the caller's transaction. ``clock_now`` is the service clock's
    ``now``: called only once the member's lock is held, so beats are credited in lock
    order and no two are credited for the same stretch of time."""
    params = {"b_member": member_id, "b_material": material_id}
    found = (await connection.execute(_TERMS, params)).first()
    if found is None or not found.open or found.status == MaterialStatus.DRAFT:
        raise MaterialNotFound()
    if found.status == MaterialStatus.ARCHIVED:
        if found.studied:
            raise MaterialArchived()
        raise MaterialNotFound()
    if position is not None and position > found.length_seconds:
        raise PositionOutOfRange(details={"length_seconds": found.length_seconds})
    unit = found.unit_seconds or STUDY_UNIT_SECONDS
    terms = Terms(material_id, found.length_seconds, found.required_seconds, unit)
    previous, last_beat_at = await lock_presence(connection, member_id, material_id)
    now: datetime = clock_now()
    await connection.execute(_MOVE, {**params, "b_at": max(last_beat_at, now)})
    seconds = beat_credit(previous, last_beat_at, material_id, now)
    return await credit(
        connection,
        member_id=member_id,
        terms=terms,
        seconds=seconds,
        now=now,
        position=position,
        daily=True,
    )
