"""Check-in: exactly one attendance per (activity, member), whatever races.

The hot path takes two statements: one reads everything it needs (the caller's account and
member, the activity, whether the member is expected or nearby, and an existing attendance),
then one inserts with ON CONFLICT DO NOTHING: the unique constraint, not a lock, decides who
wins a race. Both are Core statements built once, so a check-in spends its time in the
database rather than in building and compiling SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any, cast

from pydantic_core import to_jsonable_python
from sqlalchemy import Integer, Row, Select, Table, and_, bindparam, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.activities.service import activity_not_found, in_org_subtree
from app.checkin import codes
from app.config import Settings
from app.errors import Conflict, Unprocessable
from app.kit.geo import haversine_m
from app.models import (
    Account,
    Activity,
    ActivityStatus,
    Attendance,
    AuditEvent,
    CheckInMethod,
    ExpectedAttendee,
    Member,
    OrgClosure,
)
from app.models.activities import WalkInPolicy

_ATTENDANCE_COLUMNS = (
    Attendance.id,
    Attendance.activity_id,
    Attendance.member_id,
    Attendance.method,
    Attendance.checked_in_at,
    Attendance.late,
    Attendance.walk_in,
    Attendance.needs_review,
    Attendance.review_reasons,
    Attendance.distance_m,
    Attendance.checked_out_at,
    Attendance.client_nonce,
)


# The same columns of the table itself, for the Core statements of the hot path.
_ATTENDANCE_TABLE_COLUMNS = tuple(Attendance.__table__.c[c.key] for c in _ATTENDANCE_COLUMNS)


@dataclass(frozen=True)
class CheckInOutcome:
    attendance: dict[str, Any]
    created: bool


def attendance_view(row: Row[Any] | Attendance) -> dict[str, Any]:
    checked_out = row.checked_out_at
    return {
        "id": row.id,
        "activity_id": row.activity_id,
        "member_id": row.member_id,
        "method": row.method,
        "checked_in_at": row.checked_in_at,
        "late": row.late,
        "walk_in": row.walk_in,
        "needs_review": row.needs_review,
        "review_reasons": list(row.review_reasons or []),
        "distance_m": row.distance_m,
        "checked_out_at": checked_out,
        "duration_minutes": int((checked_out - row.checked_in_at).total_seconds() // 60)
        if checked_out
        else None,
    }


def _window(activity: Any, settings: Settings) -> tuple[datetime, datetime]:
    return (
        activity.starts_at - timedelta(minutes=settings.checkin_opens_minutes_before),
        activity.ends_at + timedelta(minutes=settings.checkin_closes_minutes_after),
    )


async def _load(db: AsyncSession | AsyncConnection, activity_id: int, member_id: int) -> Any:
    expected = exists(
        select(ExpectedAttendee.member_id).where(
            ExpectedAttendee.activity_id == Activity.id, ExpectedAttendee.member_id == member_id
        )
    )
    nearby = exists(
        select(Member.id).where(Member.id == member_id, in_org_subtree(Activity.org_id))
    )
    query = (
        select(
            Activity.id.label("activity_id_"),
            Activity.status,
            Activity.starts_at,
            Activity.ends_at,
            Activity.venue_latitude,
            Activity.venue_longitude,
            Activity.geofence_radius_m,
            Activity.walk_in_policy,
            Activity.checkin_secret,
            expected.label("expected"),
            nearby.label("nearby"),
            *_ATTENDANCE_COLUMNS,
        )
        .outerjoin(
            Attendance,
            and_(Attendance.activity_id == Activity.id, Attendance.member_id == member_id),
        )
        .where(Activity.id == activity_id)
    )
    return (await db.execute(query)).one_or_none()


def _check_in_query() -> Select[Any]:
    """What ``_load`` reads, plus the caller's account and member, found from the account."""
    accounts = Account.__table__
    members = Member.__table__
    activities = Activity.__table__
    attendances = Attendance.__table__
    expected = ExpectedAttendee.__table__
    closure = OrgClosure.__table__
    activity_id = bindparam("activity_id", type_=Integer)
    is_expected = exists().where(
        expected.c.activity_id == activities.c.id, expected.c.member_id == members.c.id
    )
    # As in_org_subtree: the member's relation or workplace lies under the activity's org.
    nearby = exists().where(
        closure.c.ancestor_id == activities.c.org_id,
        closure.c.descendant_id.in_([members.c.relation_org_id, members.c.workplace_org_id]),
    )
    return (
        select(
            accounts.c.is_active,
            members.c.id.label("caller_member_id"),
            activities.c.id.label("activity_id_"),
            activities.c.status,
            activities.c.starts_at,
            activities.c.ends_at,
            activities.c.venue_latitude,
            activities.c.venue_longitude,
            activities.c.geofence_radius_m,
            activities.c.walk_in_policy,
            activities.c.checkin_secret,
            is_expected.label("expected"),
            nearby.label("nearby"),
            *_ATTENDANCE_TABLE_COLUMNS,
        )
        .select_from(
            accounts.outerjoin(members, members.c.account_id == accounts.c.id)
            .outerjoin(activities, activities.c.id == activity_id)
            .outerjoin(
                attendances,
                and_(
                    attendances.c.activity_id == activities.c.id,
                    attendances.c.member_id == members.c.id,
                ),
            )
        )
        .where(accounts.c.id == bindparam("account_id", type_=Integer))
    )


_CHECK_IN_QUERY = _check_in_query()


async def load_check_in(connection: AsyncConnection, *, account_id: int, activity_id: int) -> Any:
    """Everything a check-in needs in one statement; None when the account does not exist.
    ``is_active`` and ``caller_member_id`` are for the caller to refuse first (401, 403).

    ``connection`` commits each statement alone (db.DbStatements): no BEGIN and COMMIT
    around this read and the one insert that may follow. The insert is the check-in's only
    write and is atomic, and the unique constraint, not a transaction, decides a race (the
    loser reads the winner's row and answers with it)."""
    result = await connection.execute(
        _CHECK_IN_QUERY, {"account_id": account_id, "activity_id": activity_id}
    )
    return result.one_or_none()


def _existing(row: Row[Any], nonce: str) -> CheckInOutcome:
    view = attendance_view(row)
    if row.client_nonce == nonce:
        return CheckInOutcome(view, created=False)  # a retry: the first answer again
    raise Conflict(
        "checkin.already_checked_in",
        "您已签到",
        "Already checked in",
        details={"attendance": _jsonable(view)},
    )


def _jsonable(view: dict[str, Any]) -> dict[str, Any]:
    # The same JSON as the AttendanceRead answer (pydantic writes UTC as "Z", not "+00:00"),
    # so details.attendance equals the 201 body the member got first.
    jsonable: dict[str, Any] = to_jsonable_python(view)
    return jsonable


def _refuse_state(row: Row[Any], now: datetime, settings: Settings) -> None:
    if row.status is ActivityStatus.CANCELLED:
        raise Conflict("checkin.activity_cancelled", "活动已取消", "The activity was cancelled")
    if row.status is not ActivityStatus.PUBLISHED:
        raise Conflict(
            "checkin.activity_not_published", "活动尚未发布", "The activity is not published"
        )
    opens_at, closes_at = _window(row, settings)
    if not opens_at <= now <= closes_at:
        raise Conflict(
            "checkin.outside_window",
            "不在签到时间内",
            "Check-in is not open now",
            details={"opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()},
        )


@dataclass
class _Place:
    method: CheckInMethod
    distance_m: float | None = None
    review_reasons: tuple[str, ...] = ()


def _locate(
    row: Row[Any],
    kind: codes.CodeKind | None,
    lat: float | None,
    lon: float | None,
    accuracy: float | None,
    settings: Settings,
) -> _Place:
    has_fence = row.venue_latitude is not None and row.geofence_radius_m is not None
    fence_needed = kind is codes.CodeKind.POSTER or kind is None
    method = {
        codes.CodeKind.ROTATING: CheckInMethod.ROTATING_CODE,
        codes.CodeKind.POSTER: CheckInMethod.POSTER,
        None: CheckInMethod.GEOFENCE,
    }[kind]
    if fence_needed and not has_fence:
        if kind is None:
            raise Unprocessable("checkin.token_required", "请扫描签到码", "Scan the check-in code")
        raise Unprocessable(
            "checkin.location_required",
            "该活动未设置签到范围，请扫描现场签到码",
            "Scan the rotating code",
        )
    if lat is None or lon is None:
        if fence_needed:
            raise Unprocessable(
                "checkin.location_required", "请允许获取位置后签到", "Location is needed"
            )
        return _Place(method)
    if not has_fence:
        return _Place(method)  # nothing to compare with; the point is not kept either
    distance = haversine_m(row.venue_latitude, row.venue_longitude, lat, lon)
    if accuracy is None or accuracy > settings.checkin_max_accuracy_m:
        # Too vague to judge: let a person decide rather than refuse someone who is there.
        return _Place(method, distance, ("poor_accuracy",))
    if distance > row.geofence_radius_m:
        if fence_needed:
            raise Unprocessable(
                "checkin.outside_geofence",
                "不在签到范围内",
                "Outside the check-in area",
                details={"distance_m": round(distance), "radius_m": row.geofence_radius_m},
            )
        return _Place(method, distance, ("outside_geofence",))
    return _Place(method, distance)


@cache
def _insert_statement(dialect: str) -> Any:
    table = cast(Table, Attendance.__table__)
    if dialect == "sqlite":
        # No RETURNING on SQLite: an INSERT ... RETURNING holds the database lock until its
        # row has been fetched, one more trip to the driver's thread; a plain insert lets go
        # as it finishes, and _inserted_row() puts the row together from what was written.
        return sqlite.insert(table).on_conflict_do_nothing(
            index_elements=[table.c.activity_id, table.c.member_id]
        )
    return (
        postgresql.insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.activity_id, table.c.member_id])
        .returning(*_ATTENDANCE_TABLE_COLUMNS)
    )


# What the answer shows; those with a default must be written explicitly for _inserted_row.
_ANSWER_KEYS = tuple(c.key for c in _ATTENDANCE_TABLE_COLUMNS)
_DEFAULTED_KEYS = frozenset(c.key for c in _ATTENDANCE_TABLE_COLUMNS if c.default is not None)


def _inserted_row(values: dict[str, Any], row_id: int) -> SimpleNamespace:
    """The row a plain INSERT wrote: the answer's columns are ``values``, the id SQLite gave
    back, and NULL for the rest (a check-out, a distance: not there yet)."""
    missing = _DEFAULTED_KEYS - values.keys()
    if missing:  # a column default would be in the row but not in the answer
        raise ValueError(f"write {sorted(missing)} explicitly")
    return SimpleNamespace(**({key: None for key in _ANSWER_KEYS} | values | {"id": row_id}))


async def _insert_once(connection: AsyncConnection, values: dict[str, Any]) -> Any:
    """The inserted row, or None when an attendance for that member was there first."""
    dialect = connection.dialect.name
    result = await connection.execute(_insert_statement(dialect), values)
    if dialect != "sqlite":
        return result.one_or_none()
    if not result.rowcount:
        return None
    assert result.lastrowid
    return _inserted_row(values, result.lastrowid)


async def check_in(
    connection: AsyncConnection,
    settings: Settings,
    row: Any,
    *,
    activity_id: int,
    member_id: int,
    token: str | None,
    latitude: float | None,
    longitude: float | None,
    accuracy: float | None,
    nonce: str,
    now: datetime,
) -> CheckInOutcome:
    """``row`` is what ``load_check_in`` read for this caller and activity."""
    if (
        row.activity_id_ is None
        or row.status is ActivityStatus.DRAFT
        or not (row.expected or row.nearby or row.id is not None)
    ):
        raise activity_not_found()  # a draft is not shown to members yet
    if row.id is not None:
        return _existing(row, nonce)
    _refuse_state(row, now, settings)
    kind = None
    if token is not None:
        kind = codes.verify(
            token,
            activity_id,
            row.checkin_secret,
            codes.current_step(now, settings.checkin_step_seconds),
        ).kind
    place = _locate(row, kind, latitude, longitude, accuracy, settings)
    walk_in = not row.expected
    if walk_in and row.walk_in_policy is WalkInPolicy.REFUSE:
        raise Conflict(
            "checkin.not_expected", "您不在本次活动的应到名单中", "Not on the expected list"
        )
    reasons = [*place.review_reasons, *(["walk_in"] if walk_in else [])]
    inserted = await _insert_once(
        connection,
        {
            "activity_id": activity_id,
            "member_id": member_id,
            "method": place.method,
            "checked_in_at": now,
            "late": now > row.starts_at + timedelta(minutes=settings.checkin_late_grace_minutes),
            "walk_in": walk_in,
            "latitude": latitude if place.distance_m is not None else None,
            "longitude": longitude if place.distance_m is not None else None,
            "accuracy_m": accuracy if place.distance_m is not None else None,
            "distance_m": round(place.distance_m, 1) if place.distance_m is not None else None,
            "needs_review": bool(reasons),
            "review_reasons": reasons,
            "client_nonce": nonce,
        },
    )
    if inserted is not None:
        return CheckInOutcome(attendance_view(inserted), created=True)
    # Lost a race to a concurrent check-in of the same member: answer as if it came first.
    raced = await _load(connection, activity_id, member_id)
    assert raced is not None and raced.id is not None
    return _existing(raced, nonce)


async def check_out(
    session: AsyncSession, settings: Settings, *, activity_id: int, member_id: int, now: datetime
) -> dict[str, Any]:
    attendance = await session.scalar(
        select(Attendance).where(
            Attendance.activity_id == activity_id, Attendance.member_id == member_id
        )
    )
    if attendance is None:
        row = await _load(session, activity_id, member_id)
        if row is None or row.status is ActivityStatus.DRAFT or not (row.expected or row.nearby):
            raise activity_not_found()
        raise Conflict("checkout.not_checked_in", "尚未签到", "Not checked in")
    activity = await session.get_one(Activity, activity_id)
    _, closes_at = _window(activity, settings)
    if attendance.checked_out_at is None:
        if now > closes_at:
            raise Conflict("checkout.window_closed", "签退时间已过", "Check-out has closed")
        attendance.checked_out_at = now
        await session.flush()
    return attendance_view(attendance)


async def manual_check_in(
    session: AsyncSession,
    activity: Activity,
    *,
    member_id: int,
    reason: str,
    account_id: int,
    request_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    """补签 by the secretary, with a reason, audited."""
    if activity.status is ActivityStatus.CANCELLED:
        raise Conflict("checkin.activity_cancelled", "活动已取消", "The activity was cancelled")
    if activity.status is not ActivityStatus.PUBLISHED:
        raise Conflict(
            "checkin.activity_not_published", "活动尚未发布", "The activity is not published"
        )
    if now < activity.starts_at - timedelta(hours=1):
        raise Conflict(
            "checkin.manual_too_early", "活动开始前不能补签", "Too early for a manual check-in"
        )
    expected = await session.scalar(
        select(
            exists().where(
                ExpectedAttendee.activity_id == activity.id, ExpectedAttendee.member_id == member_id
            )
        )
    )
    inserted = await _insert_once(
        await session.connection(),
        {
            "activity_id": activity.id,
            "member_id": member_id,
            "method": CheckInMethod.MANUAL,
            "checked_in_at": now,
            "late": False,
            "walk_in": not expected,
            "needs_review": False,
            "review_reasons": [],
            "recorded_by_account_id": account_id,
            "manual_reason": reason,
        },
    )
    if inserted is None:
        existing = await session.scalar(
            select(Attendance).where(
                Attendance.activity_id == activity.id, Attendance.member_id == member_id
            )
        )
        raise Conflict(
            "checkin.already_checked_in",
            "该党员已签到",
            "Already checked in",
            details={"attendance": _jsonable(attendance_view(existing))} if existing else {},
        )
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
    return attendance_view(inserted)
