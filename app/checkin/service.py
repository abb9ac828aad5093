"""Check-in: exactly one attendance per (activity, member), whatever races.

A check-in reads once (the activity, whether the member is expected or nearby, and their
attendance if any) and inserts with ON CONFLICT DO NOTHING … RETURNING: the unique
constraint, not a lock, decides who wins a race, and the loser answers with the winner's
row. The service owns every refusal; the router only maps the answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Integer, Table, bindparam, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from app.activities.errors import ActivityNotFound
from app.activities.service import in_org_subtree
from app.checkin import codes
from app.checkin.errors import (
    ActivityCancelled,
    ActivityNotPublished,
    AlreadyCheckedIn,
    CheckOutClosed,
    LocationRequired,
    ManualTooEarly,
    MethodNotAllowed,
    NotCheckedIn,
    NotExpected,
    OutsideGeofence,
    OutsideWindow,
    TokenInvalid,
    TokenRequired,
)
from app.checkin.schemas import AttendanceRead, CheckInRequest, Guest
from app.config import Settings
from app.kit.geo import haversine_m
from app.kit.time import shown
from app.models import (
    Activity,
    ActivityStatus,
    Attendance,
    AuditEvent,
    CheckInMethod,
    ExpectedAttendee,
    Member,
    PartyStatus,
    PointKind,
)
from app.models.activities import OutsideFencePolicy, ReviewStatus, WalkInPolicy
from app.points import ledger
from app.study import sessions as study_sessions


@dataclass(frozen=True)
class CheckInTerms:
    """What of an activity a check-in is judged on."""

    id: int
    status: ActivityStatus
    starts_at: datetime
    ends_at: datetime
    venue_latitude: float | None
    venue_longitude: float | None
    geofence_radius_m: int | None
    walk_in_policy: WalkInPolicy
    checkin_methods: list[str]
    location_required: bool
    outside_fence: OutsideFencePolicy
    checkin_secret: bytes


@dataclass(frozen=True)
class Situation:
    """What a check-in or check-out of one member at one activity decides on."""

    activity: CheckInTerms
    attendance: Attendance | None
    expected: bool
    nearby: bool
    current: bool  # the member has not left

    @property
    def visible(self) -> bool:
        """Members see a published or cancelled activity they are expected at or live near;
        a draft is not shown to them yet."""
        return self.activity.status is not ActivityStatus.DRAFT and (
            self.expected or self.nearby or self.attendance is not None
        )

    @property
    def reachable_with_code(self) -> bool:
        """Someone from elsewhere (another branch, a 流动党员 registered outside) may check in
        with a valid code: the code shown or posted at the venue proves they are there."""
        return self.activity.status is not ActivityStatus.DRAFT and self.current


def _is_expected(member_id: ColumnElement[int]) -> ColumnElement[bool]:
    return exists().where(
        ExpectedAttendee.activity_id == Activity.id, ExpectedAttendee.member_id == member_id
    )


_TERMS = tuple(getattr(Activity, f.name) for f in fields(CheckInTerms))
_ATTENDANCES = cast(Table, Attendance.__table__)
_ATTENDANCE = tuple(_ATTENDANCES.c)
_MEMBER_ID = bindparam("member_id", type_=Integer)
# Core, built once, its values bound at each run: a check-in at a meeting is the busiest
# write, and building a statement or loading ORM objects costs more than running it.
_SITUATION = (
    select(
        *_TERMS,
        _is_expected(_MEMBER_ID).label("expected"),
        exists(
            select(Member.id).where(
                Member.id == _MEMBER_ID, Member.current(), in_org_subtree(Activity.org_id)
            )
        ).label("nearby"),
        exists(select(Member.id).where(Member.id == _MEMBER_ID, Member.current())).label("current"),
        *_ATTENDANCE,
    )
    .outerjoin(
        Attendance, (Attendance.activity_id == Activity.id) & (Attendance.member_id == _MEMBER_ID)
    )
    .where(Activity.id == bindparam("activity_id", type_=Integer))
)
_TERMS_AT = len(_TERMS)
_ATTENDANCE_AT = _TERMS_AT + 3


def _attendance_of(values: Sequence[Any]) -> Attendance:
    return Attendance(**{c.key: v for c, v in zip(_ATTENDANCE, values, strict=True)})


async def situation(
    connection: AsyncConnection, activity_id: int, member_id: int
) -> Situation | None:
    """One statement; None when there is no such activity."""
    found = await connection.execute(
        _SITUATION, {"activity_id": activity_id, "member_id": member_id}
    )
    row = found.one_or_none()
    if row is None:
        return None
    terms = CheckInTerms(*row[:_TERMS_AT])
    attendance = row[_ATTENDANCE_AT:]
    return Situation(
        terms,
        _attendance_of(attendance) if attendance[0] is not None else None,
        expected=bool(row.expected),
        nearby=bool(row.nearby),
        current=bool(row.current),
    )


def _window(activity: CheckInTerms, settings: Settings) -> tuple[datetime, datetime]:
    return (
        activity.starts_at - timedelta(minutes=settings.checkin_opens_minutes_before),
        activity.ends_at + timedelta(minutes=settings.checkin_closes_minutes_after),
    )


def _already(attendance: Attendance) -> AlreadyCheckedIn:
    # The same JSON as the 201 body the member got first.
    view = AttendanceRead.model_validate(attendance).model_dump(mode="json")
    return AlreadyCheckedIn(details={"attendance": view})


def _answer_existing(attendance: Attendance, nonce: str) -> Attendance:
    if attendance.client_nonce == nonce:
        return attendance  # a retry: the first answer again
    raise _already(attendance)


def _refuse_state(activity: CheckInTerms, now: datetime, settings: Settings) -> None:
    """Of an activity the member sees: published or cancelled."""
    if activity.status is ActivityStatus.CANCELLED:
        raise ActivityCancelled()
    opens_at, closes_at = _window(activity, settings)
    if not opens_at <= now <= closes_at:
        raise OutsideWindow(details={"opens_at": shown(opens_at), "closes_at": shown(closes_at)})


@dataclass(frozen=True)
class _Place:
    method: CheckInMethod
    distance_m: float | None = None
    review_reasons: tuple[str, ...] = ()


_METHODS = {
    codes.CodeKind.ROTATING: CheckInMethod.ROTATING_CODE,
    codes.CodeKind.POSTER: CheckInMethod.POSTER,
    None: CheckInMethod.GEOFENCE,
}


def _allow(activity: CheckInTerms, method: CheckInMethod) -> None:
    if method.value not in activity.checkin_methods:
        raise MethodNotAllowed(
            details={"method": method.value, "allowed": list(activity.checkin_methods)}
        )


def _locate(
    activity: CheckInTerms, kind: codes.CodeKind | None, request: CheckInRequest, settings: Settings
) -> _Place:
    """Where the member was, judged by the activity's rules. A poster never changes and a
    location check-in has no code: for those the point is the only proof, so they need it
    and are refused outside the fence. A rotating code proves presence by itself; the rules
    say whether it needs the point too and what happens outside the fence."""
    point_is_proof = kind is not codes.CodeKind.ROTATING
    method = _METHODS[kind]
    lat, lon, radius = activity.venue_latitude, activity.venue_longitude, activity.geofence_radius_m
    if lat is None or lon is None or radius is None:
        if kind is None:
            raise TokenRequired()
        if point_is_proof:
            raise LocationRequired()
        return _Place(method)  # nothing to compare with; the point is not kept either
    if request.latitude is None or request.longitude is None:
        if point_is_proof or activity.location_required:
            raise LocationRequired()
        return _Place(method)
    distance = haversine_m(lat, lon, request.latitude, request.longitude)
    if request.accuracy is None or request.accuracy > settings.checkin_max_accuracy_m:
        # Too vague to judge: let a person decide rather than refuse someone who is there.
        return _Place(method, distance, ("poor_accuracy",))
    if distance > radius:
        if point_is_proof or activity.outside_fence is OutsideFencePolicy.REFUSE:
            raise OutsideGeofence(details={"distance_m": round(distance), "radius_m": radius})
        return _Place(method, distance, ("outside_geofence",))
    return _Place(method, distance)


def _code_kind(
    activity: CheckInTerms, token: str | None, now: datetime, settings: Settings
) -> codes.CodeKind | None:
    if token is None:
        return None
    step = codes.current_step(now, settings.checkin_step_seconds)
    return codes.verify(token, activity.id, activity.checkin_secret, step).kind


def _walk_in_code(
    found: Situation, token: str | None, now: datetime, settings: Settings
) -> codes.CodeKind:
    """The code of someone the activity does not concern; without a valid one the activity
    is not theirs to see (404, as for anyone probing ids)."""
    if token is None or not found.reachable_with_code:
        raise ActivityNotFound()
    try:
        kind = _code_kind(found.activity, token, now, settings)
    except TokenInvalid as exc:
        raise ActivityNotFound() from exc
    assert kind is not None
    if found.activity.walk_in_policy is WalkInPolicy.REFUSE:
        raise NotExpected()
    return kind


@cache
def _insert_statement(dialect: str) -> ReturningInsert[Any]:
    """Built once per dialect (see _SITUATION)."""
    table = _ATTENDANCES
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    # On PostgreSQL the inserted row also takes the member's points lock (see _insert_once):
    # one statement fewer on the busiest write.
    locked = (ledger.lock_of(table.c.member_id),) if dialect == "postgresql" else ()
    return insert.on_conflict_do_nothing(
        index_elements=[table.c.activity_id, table.c.member_id]
    ).returning(*_ATTENDANCE, *locked)


async def _insert_once(connection: AsyncConnection, **values: Any) -> Attendance | None:
    """The inserted row, or None when an attendance of that member was there first. A new
    attendance earns its points (参加组织生活) in the same transaction: on the check-in's
    autocommit connection ``ledger.atomic`` makes the two writes one short transaction,
    which the cap's lock needs, and the insert takes that lock itself; a repeat or the loser
    of a race earns nothing."""
    statement = _insert_statement(connection.dialect.name)
    async with ledger.atomic(connection):
        row = (await connection.execute(statement, values)).one_or_none()
        if row is None:
            return None
        attendance = _attendance_of(row[: len(_ATTENDANCE)])
        await ledger.award(
            connection,
            member_id=attendance.member_id,
            kind=PointKind.ACTIVITY_ATTENDED,
            source=attendance_source(attendance.id),
            now=attendance.checked_in_at,
            locked=True,
        )
    return attendance


def attendance_source(attendance_id: int) -> str:
    """The ledger's name of the event an attendance is (review.py retracts it)."""
    return f"attendance:{attendance_id}"


async def check_in(
    connection: AsyncConnection,
    settings: Settings,
    *,
    activity_id: int,
    member_id: int,
    request: CheckInRequest,
    now: datetime,
) -> tuple[Attendance, bool]:
    """The member's attendance, and whether this call created it. Two statements on
    ``connection`` (db.DbConnection): the read, and the insert whose race the unique
    constraint decides."""
    found = await situation(connection, activity_id, member_id)
    if found is None:
        raise ActivityNotFound()
    if found.attendance is not None:
        return _answer_existing(found.attendance, request.client_nonce), False
    activity = found.activity
    if found.visible:
        _refuse_state(activity, now, settings)
        kind = _code_kind(activity, request.token, now, settings)
    else:
        kind = _walk_in_code(found, request.token, now, settings)
        _refuse_state(activity, now, settings)
    _allow(activity, _METHODS[kind])
    place = _locate(activity, kind, request, settings)
    walk_in = not found.expected
    if walk_in and activity.walk_in_policy is WalkInPolicy.REFUSE:
        raise NotExpected()
    reasons = [*place.review_reasons, *(["walk_in"] if walk_in else [])]
    kept = place.distance_m is not None  # the point is kept only where it was judged
    inserted = await _insert_once(
        connection,
        activity_id=activity_id,
        member_id=member_id,
        method=place.method,
        checked_in_at=now,
        late=now > activity.starts_at + timedelta(minutes=settings.checkin_late_grace_minutes),
        walk_in=walk_in,
        latitude=request.latitude if kept else None,
        longitude=request.longitude if kept else None,
        accuracy_m=request.accuracy if kept else None,
        distance_m=round(place.distance_m, 1) if place.distance_m is not None else None,
        needs_review=bool(reasons),
        review_reasons=reasons,
        review_status=ReviewStatus.PENDING if reasons else None,
        client_nonce=request.client_nonce,
    )
    if inserted is not None:
        return inserted, True
    # Lost a race to a concurrent check-in of the same member: answer as if it came first.
    raced = await situation(connection, activity_id, member_id)
    assert raced is not None
    assert raced.attendance is not None
    return _answer_existing(raced.attendance, request.client_nonce), False


async def check_out(
    session: AsyncSession, settings: Settings, *, activity_id: int, member_id: int, now: datetime
) -> Attendance:
    connection = await session.connection()
    found = await situation(connection, activity_id, member_id)
    if found is None or not found.visible:
        raise ActivityNotFound()
    attendance = found.attendance
    if attendance is None:
        raise NotCheckedIn()
    if attendance.checked_out_at is not None:
        return attendance  # checking out twice keeps the first time
    _, closes_at = _window(found.activity, settings)
    if now > closes_at:
        raise CheckOutClosed()
    table = _ATTENDANCES
    checked_out = await connection.execute(
        update(table)
        .where(table.c.id == attendance.id, table.c.checked_out_at.is_(None))
        .values(checked_out_at=now)
        .returning(*_ATTENDANCE)
    )
    row = checked_out.one_or_none()
    if row is None:
        return attendance
    checked = _attendance_of(row)
    await study_sessions.credit_check_out(connection, checked, now=now)
    return checked


async def add_guest(session: AsyncSession, guest: Guest, *, now: datetime) -> Member:
    """A record for someone without an account (入党积极分子, 群众) the secretary records at an
    activity. It belongs to no organization: no roster, expected list or head count takes a
    guest in; the attendance keeps them."""
    member = Member(
        name=guest.name,
        party_status=PartyStatus(guest.party_status),
        created_at=now,
        updated_at=now,
    )
    session.add(member)
    await session.flush()
    return member


def _refuse_manual(activity: Activity, now: datetime) -> None:
    if activity.status is ActivityStatus.CANCELLED:
        raise ActivityCancelled()
    if activity.status is not ActivityStatus.PUBLISHED:
        raise ActivityNotPublished()
    if now < activity.starts_at - timedelta(hours=1):
        raise ManualTooEarly()


async def manual_check_in(
    session: AsyncSession,
    activity: Activity,
    *,
    member_id: int | None,
    guest: Guest | None,
    reason: str,
    account_id: int,
    request_id: str | None,
    now: datetime,
) -> Attendance:
    """补签 by the secretary, with a reason, audited: of a member (expected or not), or of a
    guest without an account, who gets a record of their own."""
    _refuse_manual(activity, now)
    if member_id is None:
        assert guest is not None  # ManualCheckIn gives one of the two
        member_id = (await add_guest(session, guest, now=now)).id
    expected = bool(
        await session.scalar(
            select(_is_expected(bindparam("member_id", member_id)).label("expected")).where(
                Activity.id == activity.id
            )
        )
    )
    inserted = await _insert_once(
        await session.connection(),
        activity_id=activity.id,
        member_id=member_id,
        method=CheckInMethod.MANUAL,
        checked_in_at=now,
        late=False,
        walk_in=not expected,
        needs_review=False,
        review_reasons=[],
        recorded_by_account_id=account_id,
        manual_reason=reason,
    )
    if inserted is None:
        found = await situation(await session.connection(), activity.id, member_id)
        if found is not None and found.attendance is not None:
            raise _already(found.attendance)
        raise AlreadyCheckedIn()
    session.add(
        AuditEvent(
            actor_account_id=account_id,
            action="attendance.manual_check_in",
            object_type="attendance",
            object_id=inserted.id,
            org_id=activity.org_id,
            request_id=request_id,
            details={
                "activity_id": activity.id,
                "member_id": member_id,
                "guest": guest is not None,
                "reason": reason,
            },
            created_at=now,
        )
    )
    await session.flush()
    return inserted
