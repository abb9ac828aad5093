"""Check-in: exactly one attendance per (activity, member), whatever races.

A check-in reads once (the activity, whether the member is expected or nearby, and their
attendance if any) and inserts with ON CONFLICT DO NOTHING … RETURNING: the unique
constraint, not a lock, decides who wins a race, and the loser answers with the winner's
row. The service owns every refusal; the router only maps the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

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
    NotCheckedIn,
    NotExpected,
    OutsideGeofence,
    OutsideWindow,
    TokenRequired,
)
from app.checkin.schemas import AttendanceRead, CheckInRequest
from app.config import Settings
from app.kit.geo import haversine_m
from app.kit.sql import insert_on_conflict
from app.models import (
    Activity,
    ActivityStatus,
    Attendance,
    AuditEvent,
    CheckInMethod,
    ExpectedAttendee,
    Member,
)
from app.models.activities import WalkInPolicy


@dataclass(frozen=True)
class Situation:
    """What a check-in or check-out of one member at one activity decides on."""

    activity: Activity
    attendance: Attendance | None
    expected: bool
    nearby: bool

    @property
    def visible(self) -> bool:
        """Members see a published or cancelled activity they are expected at or live near;
        a draft is not shown to them yet."""
        return self.activity.status is not ActivityStatus.DRAFT and (
            self.expected or self.nearby or self.attendance is not None
        )


def _is_expected(activity_id: InstrumentedAttribute[int], member_id: int) -> ColumnElement[bool]:
    return exists().where(
        ExpectedAttendee.activity_id == activity_id, ExpectedAttendee.member_id == member_id
    )


async def situation(session: AsyncSession, activity_id: int, member_id: int) -> Situation | None:
    """One statement; None when there is no such activity."""
    member_nearby = exists(
        select(Member.id).where(Member.id == member_id, in_org_subtree(Activity.org_id))
    )
    query = (
        select(
            Activity,
            Attendance,
            _is_expected(Activity.id, member_id).label("expected"),
            member_nearby.label("nearby"),
        )
        .outerjoin(
            Attendance,
            (Attendance.activity_id == Activity.id) & (Attendance.member_id == member_id),
        )
        .where(Activity.id == activity_id)
    )
    row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    activity, attendance, expected, near = row
    return Situation(activity, attendance, bool(expected), bool(near))


def _window(activity: Activity, settings: Settings) -> tuple[datetime, datetime]:
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


def _refuse_state(activity: Activity, now: datetime, settings: Settings) -> None:
    """Of an activity the member sees: published or cancelled."""
    if activity.status is ActivityStatus.CANCELLED:
        raise ActivityCancelled()
    opens_at, closes_at = _window(activity, settings)
    if not opens_at <= now <= closes_at:
        raise OutsideWindow(
            details={"opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()}
        )


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


def _locate(
    activity: Activity, kind: codes.CodeKind | None, request: CheckInRequest, settings: Settings
) -> _Place:
    fence_needed = kind is codes.CodeKind.POSTER or kind is None
    method = _METHODS[kind]
    lat, lon, radius = activity.venue_latitude, activity.venue_longitude, activity.geofence_radius_m
    if lat is None or lon is None or radius is None:
        if kind is None:
            raise TokenRequired()
        if fence_needed:
            raise LocationRequired()
        return _Place(method)  # nothing to compare with; the point is not kept either
    if request.latitude is None or request.longitude is None:
        if fence_needed:
            raise LocationRequired()
        return _Place(method)
    distance = haversine_m(lat, lon, request.latitude, request.longitude)
    if request.accuracy is None or request.accuracy > settings.checkin_max_accuracy_m:
        # Too vague to judge: let a person decide rather than refuse someone who is there.
        return _Place(method, distance, ("poor_accuracy",))
    if distance > radius:
        if fence_needed:
            raise OutsideGeofence(details={"distance_m": round(distance), "radius_m": radius})
        return _Place(method, distance, ("outside_geofence",))
    return _Place(method, distance)


async def _insert_once(session: AsyncSession, attendance: Attendance) -> Attendance | None:
    """The inserted row, or None when an attendance of that member was there first."""
    columns = {
        column.key: getattr(attendance, column.key)
        for column in Attendance.__table__.columns
        if column.key != "id"
    }
    statement = (
        insert_on_conflict(session, Attendance)
        .values(columns)
        .on_conflict_do_nothing(index_elements=["activity_id", "member_id"])
        .returning(Attendance)
    )
    return (await session.scalars(statement)).one_or_none()


async def check_in(
    session: AsyncSession,
    settings: Settings,
    *,
    activity_id: int,
    member_id: int,
    request: CheckInRequest,
    now: datetime,
) -> tuple[Attendance, bool]:
    """The member's attendance, and whether this call created it."""
    found = await situation(session, activity_id, member_id)
    if found is None or not found.visible:
        raise ActivityNotFound()
    if found.attendance is not None:
        return _answer_existing(found.attendance, request.client_nonce), False
    activity = found.activity
    _refuse_state(activity, now, settings)
    kind = None
    if request.token is not None:
        step = codes.current_step(now, settings.checkin_step_seconds)
        kind = codes.verify(request.token, activity_id, activity.checkin_secret, step).kind
    place = _locate(activity, kind, request, settings)
    walk_in = not found.expected
    if walk_in and activity.walk_in_policy is WalkInPolicy.REFUSE:
        raise NotExpected()
    reasons = [*place.review_reasons, *(["walk_in"] if walk_in else [])]
    kept = place.distance_m is not None  # the point is kept only where it was judged
    inserted = await _insert_once(
        session,
        Attendance(
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
            client_nonce=request.client_nonce,
        ),
    )
    if inserted is not None:
        return inserted, True
    # Lost a race to a concurrent check-in of the same member: answer as if it came first.
    raced = await situation(session, activity_id, member_id)
    assert raced is not None and raced.attendance is not None
    return _answer_existing(raced.attendance, request.client_nonce), False


async def check_out(
    session: AsyncSession, settings: Settings, *, activity_id: int, member_id: int, now: datetime
) -> Attendance:
    found = await situation(session, activity_id, member_id)
    if found is None or not found.visible:
        raise ActivityNotFound()
    attendance = found.attendance
    if attendance is None:
        raise NotCheckedIn()
    _, closes_at = _window(found.activity, settings)
    if attendance.checked_out_at is None:
        if now > closes_at:
            raise CheckOutClosed()
        attendance.checked_out_at = now
        await session.flush()
    return attendance


async def manual_check_in(
    session: AsyncSession,
    activity: Activity,
    *,
    member_id: int,
    reason: str,
    account_id: int,
    request_id: str | None,
    now: datetime,
) -> Attendance:
    """补签 by the secretary, with a reason, audited."""
    if activity.status is ActivityStatus.CANCELLED:
        raise ActivityCancelled()
    if activity.status is not ActivityStatus.PUBLISHED:
        raise ActivityNotPublished()
    if now < activity.starts_at - timedelta(hours=1):
        raise ManualTooEarly()
    expected = bool(
        await session.scalar(
            select(_is_expected(Activity.id, member_id).label("expected")).where(
                Activity.id == activity.id
            )
        )
    )
    inserted = await _insert_once(
        session,
        Attendance(
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
        ),
    )
    if inserted is None:
        found = await situation(session, activity.id, member_id)
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
            details={"activity_id": activity.id, "member_id": member_id, "reason": reason},
        )
    )
    await session.flush()
    return inserted
