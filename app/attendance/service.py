"""Attendance figures. Per activity: expected, present (of whom late), excused (approved
leave, not present), absent (expected, neither present nor excused), walk-ins. An
attendance rejected in review counts as absent everywhere (``counted``)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Subquery, and_, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.activities import service as activities_service
from app.attendance.errors import InvalidPeriod
from app.auth.scope import Scope
from app.config import Settings
from app.kit.time import DISPLAY_ZONE
from app.members.errors import MemberNotFound
from app.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    Attendance,
    ExpectedAttendee,
    LeaveRequest,
    LeaveStatus,
    Member,
    Organization,
    OrgClosure,
    PartyStatus,
)
from app.models.activities import ReviewStatus

LONGEST_PERIOD = timedelta(days=3660)


@dataclass(frozen=True)
class Period:
    """Days in the display time zone, both ends included, and the instants they span."""

    first: date
    last: date
    since: datetime
    until: datetime


def period(start: date | None, end: date | None, *, today: date) -> Period:
    """From ``start`` to ``end``; by default the year up to today."""
    last = end or today
    first = start or last - timedelta(days=365)
    if first > last or last - first > LONGEST_PERIOD:
        raise InvalidPeriod()
    zone = DISPLAY_ZONE
    return Period(
        first=first,
        last=last,
        since=datetime.combine(first, time.min, zone).astimezone(UTC),
        until=datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(UTC),
    )


# --- who came: one activity's roster ---------------------------------------------------


class PersonState(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    EXCUSED = "excused"  # approved leave, not present
    ABSENT = "absent"  # expected, neither present nor excused, once check-in has closed
    PENDING = "pending"  # expected, not here yet, while check-in may still happen


def counted(attendance: Attendance | None) -> bool:
    """An attendance that makes its member present: any but one rejected in review (or an
    undone 补签), which counts as absent in every figure."""
    return attendance is not None and not attendance.rejected


def person_state(
    attendance: Attendance | None, leave_status: LeaveStatus | None, closed: bool
) -> PersonState:
    if attendance is not None and counted(attendance):
        return PersonState.LATE if attendance.late else PersonState.PRESENT
    if leave_status is LeaveStatus.APPROVED:
        return PersonState.EXCUSED
    if attendance is not None:
        return PersonState.ABSENT  # rejected: no second check-in can follow, so it is final
    return PersonState.ABSENT if closed else PersonState.PENDING


def _pending_review(attendance: Attendance | None) -> bool:
    return attendance is not None and attendance.review_status is ReviewStatus.PENDING


def checkin_closed(activity: Activity, settings: Settings, now: datetime) -> bool:
    """Nobody is absent before the window shuts, and nobody at all of a draft or a cancelled
    activity: until then the not-yet-arrived are pending."""
    closes_at = activity.ends_at + timedelta(minutes=settings.checkin_closes_minutes_after)
    return activity.status is ActivityStatus.PUBLISHED and closes_at <= now


@dataclass(frozen=True)
class RosterLine:
    member_id: int
    name: str
    party_status: PartyStatus
    expected: bool
    state: PersonState
    attendance: Attendance | None
    leave_status: LeaveStatus | None


async def _roster_lines(
    session: AsyncSession, activity: Activity, *, closed: bool
) -> list[RosterLine]:
    """Everyone expected and everyone who checked in: those present in check-in order, then
    the others by member id."""
    people = union(
        select(ExpectedAttendee.member_id).where(ExpectedAttendee.activity_id == activity.id),
        select(Attendance.member_id).where(Attendance.activity_id == activity.id),
    ).subquery()
    query = (
        select(Member, ExpectedAttendee.member_id.is_not(None), Attendance, LeaveRequest.status)
        .select_from(people)
        .join(Member, Member.id == people.c.member_id)
        .outerjoin(
            ExpectedAttendee,
            and_(
                ExpectedAttendee.activity_id == activity.id,
                ExpectedAttendee.member_id == Member.id,
            ),
        )
        .outerjoin(
            Attendance,
            and_(Attendance.activity_id == activity.id, Attendance.member_id == Member.id),
        )
        .outerjoin(
            LeaveRequest,
            and_(LeaveRequest.activity_id == activity.id, LeaveRequest.member_id == Member.id),
        )
    )
    lines = [
        RosterLine(
            member_id=member.id,
            name=member.name,
            party_status=member.party_status,
            expected=bool(expected),
            state=person_state(attendance, leave_status, closed),
            attendance=attendance,
            leave_status=leave_status,
        )
        for member, expected, attendance, leave_status in (await session.execute(query)).all()
    ]
    return sorted(
        lines,
        key=lambda line: (
            line.attendance is None,
            line.attendance.checked_in_at.timestamp() if line.attendance else 0.0,
            line.member_id,
        ),
    )


@dataclass(frozen=True)
class RosterSummary:
    expected: int
    present: int
    late: int
    excused: int
    absent: int
    pending: int
    walk_ins: int
    needs_review: int
    rate: float | None


def attendance_rate(attended: int, expected: int) -> float | None:
    """出席率 = 实到 / 应到: the expected who came over the expected; leave is not attendance."""
    return round(attended / expected, 4) if expected else None


@dataclass(frozen=True)
class ActivityRoster:
    activity: Activity
    status: str  # as readers see it: "ended" once a published activity is over
    closed: bool
    people: list[RosterLine]

    @property
    def summary(self) -> RosterSummary:
        return summarize(self.people)


async def activity_roster(
    session: AsyncSession, scope: Scope, activity_id: int, *, settings: Settings, now: datetime
) -> ActivityRoster:
    """Who was expected at an activity in ``scope`` and who came."""
    activity = await activities_service.get_in_scope(session, scope, activity_id)
    closed = checkin_closed(activity, settings, now)
    return ActivityRoster(
        activity=activity,
        status=activities_service.effective_status(activity, now),
        closed=closed,
        people=await _roster_lines(session, activity, closed=closed),
    )


async def activity_figures(
    session: AsyncSession, activity: Activity, *, settings: Settings, now: datetime
) -> RosterSummary:
    """The figures of one activity, as its attendance view shows them (the minutes too)."""
    closed = checkin_closed(activity, settings, now)
    return summarize(await _roster_lines(session, activity, closed=closed))


async def org_name(session: AsyncSession, org_id: int) -> str:
    org = await session.get(Organization, org_id)
    return org.name if org else ""


def summarize(lines: Sequence[RosterLine]) -> RosterSummary:
    def count(state: PersonState) -> int:
        return sum(1 for line in lines if line.state is state)

    present = [line for line in lines if counted(line.attendance)]
    expected = sum(1 for line in lines if line.expected)
    return RosterSummary(
        expected=expected,
        present=len(present),
        late=count(PersonState.LATE),
        excused=count(PersonState.EXCUSED),
        absent=count(PersonState.ABSENT),
        pending=count(PersonState.PENDING),
        walk_ins=sum(1 for line in present if not line.expected),
        needs_review=sum(1 for line in lines if _pending_review(line.attendance)),
        rate=attendance_rate(sum(1 for line in present if line.expected), expected),
    )


# --- one member's history ----------------------------------------------------------------


@dataclass(frozen=True)
class HistoryLine:
    activity: Activity
    org_name: str
    expected: bool
    state: PersonState
    attendance: Attendance | None
    leave_status: LeaveStatus | None
    closed: bool  # check-in has closed: the line is final and counts in the rate


@dataclass(frozen=True)
class MemberHistory:
    member: Member
    period: Period
    activities: list[HistoryLine]

    @property
    def summary(self) -> RosterSummary:
        return summarize_history(self.activities)


async def own_member(session: AsyncSession, member_id: int) -> Member:
    """The caller's member record (gone only if it was removed since they signed in)."""
    member = await session.get(Member, member_id)
    if member is None:
        raise MemberNotFound()
    return member


async def member_history(
    session: AsyncSession,
    member: Member,
    period: Period,
    *,
    activity_scope: Scope | None,
    settings: Settings,
    now: datetime,
) -> MemberHistory:
    """The published activities starting in the period that the member was expected at or
    checked in to, newest first. ``activity_scope`` limits them to what the reader may see."""
    member_id = member.id
    since, until = period.since, period.until
    expected = aliased(ExpectedAttendee)
    query = (
        select(Activity, Organization.name, expected.member_id.is_not(None), Attendance)
        .join(Organization, Organization.id == Activity.org_id)
        .outerjoin(
            expected,
            and_(expected.activity_id == Activity.id, expected.member_id == member_id),
        )
        .outerjoin(
            Attendance,
            and_(Attendance.activity_id == Activity.id, Attendance.member_id == member_id),
        )
        .where(
            Activity.status == ActivityStatus.PUBLISHED,
            Activity.starts_at >= since,
            Activity.starts_at < until,
            or_(expected.member_id.is_not(None), Attendance.id.is_not(None)),
        )
        .order_by(Activity.starts_at.desc(), Activity.id.desc())
    )
    if activity_scope is not None:
        query = query.where(activity_scope.covers(Activity.org_id))
    rows = (await session.execute(query)).all()
    leaves = dict(
        (
            await session.execute(
                select(LeaveRequest.activity_id, LeaveRequest.status).where(
                    LeaveRequest.member_id == member_id,
                    LeaveRequest.activity_id.in_([row[0].id for row in rows]),
                )
            )
        ).all()
    )
    lines = []
    for activity, name, was_expected, attendance in rows:
        closed = checkin_closed(activity, settings, now)
        lines.append(
            HistoryLine(
                activity=activity,
                org_name=name,
                expected=bool(was_expected),
                state=person_state(attendance, leaves.get(activity.id), closed),
                attendance=attendance,
                leave_status=leaves.get(activity.id),
                closed=closed,
            )
        )
    return MemberHistory(member=member, period=period, activities=lines)


def summarize_history(lines: Sequence[HistoryLine]) -> RosterSummary:
    def count(state: PersonState) -> int:
        return sum(1 for line in lines if line.state is state)

    expected = [line for line in lines if line.expected]
    # The rate, like the organization's, counts only activities whose check-in has closed:
    # one still open would count a member not there yet as absent.
    final = [line for line in expected if line.closed]
    return RosterSummary(
        expected=len(expected),
        present=sum(1 for line in lines if counted(line.attendance)),
        late=count(PersonState.LATE),
        excused=count(PersonState.EXCUSED),
        absent=count(PersonState.ABSENT),
        pending=count(PersonState.PENDING),
        walk_ins=sum(1 for line in lines if counted(line.attendance) and not line.expected),
        needs_review=sum(1 for line in lines if _pending_review(line.attendance)),
        rate=attendance_rate(sum(1 for line in final if counted(line.attendance)), len(final)),
    )


# --- an organization's figures over a period ----------------------------------------------


@dataclass(frozen=True)
class Tally:
    activities: int
    expected: int
    present: int  # of the expected
    late: int
    excused: int

    @property
    def absent(self) -> int:
        return self.expected - self.present - self.excused

    @property
    def rate(self) -> float | None:
        return attendance_rate(self.present, self.expected)


@dataclass(frozen=True)
class TypeTally(Tally):
    type: ActivityType


@dataclass(frozen=True)
class ChildTally(Tally):
    org: Organization


# activities, expected, present, late, excused: SUMs are NULL where nothing was held.
Counts = tuple[int, int, int, int, int]


def _counts(row: Sequence[int | None]) -> Counts:
    activities, expected, present, late, excused = (int(value or 0) for value in row)
    return activities, expected, present, late, excused


@dataclass(frozen=True)
class OrgFigures:
    org: Organization
    period: Period
    total: Tally
    own: Tally
    by_type: list[TypeTally]
    by_child: list[ChildTally]


def _not_rejected() -> ColumnElement[bool]:
    """SQL: as counted(), an attendance that makes its member present."""
    return or_(
        Attendance.review_status.is_(None), Attendance.review_status != ReviewStatus.REJECTED
    )


def _per_activity(
    org_id: int, since: datetime, until: datetime, closed_before: datetime
) -> Subquery:
    """One row per finished activity in the subtree: its expected, those of them present (and
    late), and those excused. Everything is counted in the database, in one pass."""
    return (
        select(
            Activity.id.label("activity_id"),
            Activity.org_id.label("org_id"),
            Activity.type.label("type"),
            func.count(ExpectedAttendee.member_id).label("expected"),
            func.count(Attendance.id).label("present"),
            func.count(Attendance.id).filter(Attendance.late.is_(True)).label("late"),
            func.count(LeaveRequest.id).filter(Attendance.id.is_(None)).label("excused"),
        )
        .join(OrgClosure, OrgClosure.descendant_id == Activity.org_id)
        .outerjoin(ExpectedAttendee, ExpectedAttendee.activity_id == Activity.id)
        .outerjoin(
            Attendance,
            and_(
                Attendance.activity_id == Activity.id,
                Attendance.member_id == ExpectedAttendee.member_id,
                _not_rejected(),
            ),
        )
        .outerjoin(
            LeaveRequest,
            and_(
                LeaveRequest.activity_id == Activity.id,
                LeaveRequest.member_id == ExpectedAttendee.member_id,
                LeaveRequest.status == LeaveStatus.APPROVED,
            ),
        )
        .where(
            OrgClosure.ancestor_id == org_id,
            Activity.status == ActivityStatus.PUBLISHED,
            Activity.starts_at >= since,
            Activity.starts_at < until,
            Activity.ends_at <= closed_before,
        )
        .group_by(Activity.id, Activity.org_id, Activity.type)
        .subquery()
    )


def _sums(per: Subquery) -> list[ColumnElement[int] | ColumnElement[int | None]]:
    return [
        func.count(per.c.activity_id),
        func.sum(per.c.expected),
        func.sum(per.c.present),
        func.sum(per.c.late),
        func.sum(per.c.excused),
    ]


async def org_figures(
    session: AsyncSession,
    org: Organization,
    period: Period,
    *,
    settings: Settings,
    now: datetime,
) -> OrgFigures:
    """Activities starting in [since, until) whose check-in has closed, so that absence is
    final: totals, the organization's own, per type and per direct child. Children that held
    nothing are listed with zeros; that is the figure a committee looks for."""
    closed_before = now - timedelta(minutes=settings.checkin_closes_minutes_after)
    per = _per_activity(org.id, period.since, period.until, closed_before)
    total = (await session.execute(select(*_sums(per)))).one()
    own = (await session.execute(select(*_sums(per)).where(per.c.org_id == org.id))).one()
    by_type = (await session.execute(select(per.c.type, *_sums(per)).group_by(per.c.type))).all()

    child_closure = aliased(OrgClosure)
    per_child = (
        select(child_closure.ancestor_id.label("child_id"), *_sums(per))
        .join(child_closure, child_closure.descendant_id == per.c.org_id)
        .join(Organization, Organization.id == child_closure.ancestor_id)
        .where(Organization.parent_id == org.id)
        .group_by(child_closure.ancestor_id)
        .subquery()
    )
    sums = [column for name, column in per_child.c.items() if name != "child_id"]
    children = (
        await session.execute(
            select(Organization, *sums)
            .outerjoin(per_child, per_child.c.child_id == Organization.id)
            .where(Organization.parent_id == org.id)
            .order_by(Organization.id)
        )
    ).all()
    return OrgFigures(
        org=org,
        period=period,
        total=Tally(*_counts(total)),
        own=Tally(*_counts(own)),
        by_type=sorted(
            (TypeTally(*_counts(row[1:]), type=ActivityType(row[0])) for row in by_type),
            key=lambda tally: tally.type,
        ),
        by_child=[ChildTally(*_counts(row[1:]), org=row[0]) for row in children],
    )
