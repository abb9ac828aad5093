"""三会一课 compliance of the branches of a subtree over a quarter or a year: what each held
against what its committee's norms expect, which are compliant and which are hollow, and
each branch's activities behind its figure.

One statement per figure: the branches of the subtree (branches and joint branches entered
in the system before the period ended), the held activities counted per branch and type in a
grouped subquery, the expected ones from the norms (a correlated lookup of the nearest
committee's value per type), outer-joined so that a branch that held nothing shows zeros."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Subquery,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from app.attendance.service import attendance_rate
from app.attendance.sheet import TYPE_NAMES
from app.auth.scope import Scope
from app.kit.pagination import CursorKey
from app.kit.time import DISPLAY_ZONE
from app.kit.types import DbId
from app.kit.validation import Moment
from app.kit.xlsx import CellValue
from app.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    Attendance,
    ExpectedAttendee,
    MeetingNorm,
    Minutes,
    NormType,
    Organization,
    OrgClosure,
    OrgKind,
    PartyGroup,
)
from app.models.activities import ReviewStatus
from app.models.orgs import BRANCH_KINDS
from app.oversight.errors import BranchNotFound
from app.oversight.literal import written
from app.oversight.norms import DEFAULT_PER_QUARTER, NORM_LABELS
from app.oversight.periods import Period


class Status(enum.StrEnum):
    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    HOLLOW = "hollow"


class NotHeld(enum.StrEnum):
    """Why an activity of the period does not count as held."""

    CANCELLED = "cancelled"
    NOT_ENDED = "not_ended"  # its end has not passed yet
    ENDED_OUTSIDE_PERIOD = "ended_outside_period"  # it counts in the period of its end
    NOTHING_RECORDED = "nothing_recorded"  # no attendance present or late, no minutes


NOT_HELD_LABELS: dict[NotHeld, str] = {
    NotHeld.CANCELLED: "已取消",
    NotHeld.NOT_ENDED: "尚未结束",
    NotHeld.ENDED_OUTSIDE_PERIOD: "结束时间不在本期",
    NotHeld.NOTHING_RECORDED: "无人签到且无会议记录",
}


# --- the definition of held ---------------------------------------------------------------


IdColumn = ColumnElement[int] | InstrumentedAttribute[int]
AnySelect = Select[*tuple[Any, ...]]


def _present(activity_id: IdColumn) -> ColumnElement[bool]:
    """SQL: someone's attendance is present or late (not rejected in review)."""
    attendance = aliased(Attendance)
    return exists().where(
        attendance.activity_id == activity_id,
        or_(
            attendance.review_status.is_(None),
            attendance.review_status != ReviewStatus.REJECTED,
        ),
    )


def _minutes_written(activity_id: IdColumn) -> ColumnElement[bool]:
    minutes = aliased(Minutes)
    return exists().where(minutes.activity_id == activity_id)


def _recorded() -> ColumnElement[bool]:
    return or_(_present(Activity.id), _minutes_written(Activity.id))


def _ended_by(moment: datetime) -> ColumnElement[bool]:
    return Activity.ends_at <= moment


def held(period: Period, now: datetime, *, or_before: bool = False) -> ColumnElement[bool]:
    """SQL: the activity counts as held in the period: not cancelled, its end lies in the
    period and has passed, with at least one attendance present or late, or with minutes
    written. ``or_before``: its end may also lie before the period."""
    return and_(
        Activity.status != ActivityStatus.CANCELLED,
        true() if or_before else Activity.ends_at >= period.since,
        Activity.ends_at < period.until,
        # Implied by the end (an activity ends after it starts), stated for the index.
        Activity.starts_at < period.until,
        _ended_by(now),
        _recorded(),
    )


# --- the branches' figures ----------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Only the first ``limit`` branches by id after ``after``: a page with no status filter,
    whose branches do not depend on their figures."""

    after: int | None
    limit: int


def _branches(root_id: int, period: Period, window: Window | None = None) -> AnySelect:
    subtree = aliased(OrgClosure)
    query = (
        select(Organization.id, Organization.name, Organization.kind)
        .join(subtree, subtree.descendant_id == Organization.id)
        .where(
            subtree.ancestor_id == root_id,
            Organization.kind.in_(BRANCH_KINDS),
            Organization.created_at < period.until,
        )
    )
    if window is None:
        return query
    if window.after is not None:
        query = query.where(Organization.id > window.after)
    return query.order_by(Organization.id).limit(window.limit)


def _held_per_branch(branch_ids: AnySelect, period: Period, now: datetime) -> Subquery:
    return (
        select(
            Activity.org_id.label("branch_id"),
            func.count().label("held_total"),
            *(
                func.count().filter(Activity.type == kind).label(f"held_{kind.value}")
                for kind in ActivityType
            ),
        )
        .where(Activity.org_id.in_(branch_ids), held(period, now))
        .group_by(Activity.org_id)
        .subquery("held")
    )


def _last_held(branch_id: ColumnElement[int], period: Period, now: datetime) -> Any:
    """SQL: the end of the branch's latest held activity up to the period's end, in it or
    before (how long a hollow branch has been idle): read backwards on the branch's ends
    (ix_activities_org_id_ends_at) to the first one held."""
    return (
        select(Activity.ends_at)
        .where(Activity.org_id == branch_id, held(period, now, or_before=True))
        .order_by(Activity.ends_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def _attendance(branch_id: ColumnElement[int], period: Period, now: datetime) -> tuple[Any, Any]:
    """SQL: over the branch's held activities of the period, the expected attendees, and of
    them those present or late (出席率 = 实到 / 应到). Correlated, so a page reads only its
    own branches' rows."""
    expected = (
        select(func.count())
        .select_from(ExpectedAttendee)
        .join(Activity, Activity.id == ExpectedAttendee.activity_id)
        .where(Activity.org_id == branch_id, held(period, now))
        .scalar_subquery()
    )
    present = (
        select(func.count())
        .select_from(ExpectedAttendee)
        .join(Activity, Activity.id == ExpectedAttendee.activity_id)
        .join(
            Attendance,
            and_(
                Attendance.activity_id == ExpectedAttendee.activity_id,
                Attendance.member_id == ExpectedAttendee.member_id,
                or_(
                    Attendance.review_status.is_(None),
                    Attendance.review_status != ReviewStatus.REJECTED,
                ),
            ),
        )
        .where(Activity.org_id == branch_id, held(period, now))
        .scalar_subquery()
    )
    return expected, present


def _has_party_groups(branch_id: ColumnElement[int]) -> ColumnElement[bool]:
    group = aliased(PartyGroup)
    return exists().where(group.org_id == branch_id)


def _norms(branch_ids: AnySelect) -> Subquery:
    """Per branch with a norm set above it: the value per quarter of the nearest committee
    above it that set one, per norm type (``norm_<type>``, null where none did). One pass
    over the few norms and their subtrees, not a lookup per branch and type."""
    closure = aliased(OrgClosure)
    ranked = (
        select(
            closure.descendant_id.label("branch_id"),
            MeetingNorm.activity_type,
            MeetingNorm.per_quarter,
            func.row_number()
            .over(
                partition_by=(closure.descendant_id, MeetingNorm.activity_type),
                order_by=closure.depth,
            )
            .label("nearest"),
        )
        .join(closure, closure.ancestor_id == MeetingNorm.committee_id)
        .where(closure.descendant_id.in_(branch_ids))
        .subquery("ranked")
    )
    return (
        select(
            ranked.c.branch_id,
            *(
                func.max(ranked.c.per_quarter)
                .filter(ranked.c.activity_type == kind)
                .label(f"norm_{kind.value}")
                for kind in NormType
            ),
        )
        .where(ranked.c.nearest == 1)
        .group_by(ranked.c.branch_id)
        .subquery("norms")
    )


def _expected(norms: Subquery, branch_id: ColumnElement[int], kind: NormType, quarters: int) -> Any:
    """SQL: how many meetings of ``kind`` the branch is expected to hold in a period of
    ``quarters`` quarters: the nearest committee's norm, else the default; party group
    meetings only of a branch that has party groups."""
    value = func.coalesce(norms.c[f"norm_{kind.value}"], DEFAULT_PER_QUARTER[kind]) * quarters
    if kind is NormType.PARTY_GROUP:
        return case((_has_party_groups(branch_id), value), else_=0)
    return value


def rows(root_id: int, period: Period, now: datetime, window: Window | None = None) -> Subquery:
    """One row per branch: branch_id, name, kind, held_total, held_<type> for every activity
    type, expected_<type> for every norm type, last, att_expected, att_present, compliant
    and hollow (0/1). ``window``: only those branches (each branch's figures are its own),
    so a page computes 21 branches, not the subtree's thousands."""
    branches = _branches(root_id, period, window).subquery("branches")
    ids = select(branches.c.id)
    held_counts = _held_per_branch(ids, period, now)
    norms = _norms(ids)
    att_expected, att_present = _attendance(branches.c.id, period, now)
    inner = (
        select(
            branches.c.id.label("branch_id"),
            branches.c.name,
            branches.c.kind,
            func.coalesce(held_counts.c.held_total, 0).label("held_total"),
            *(
                func.coalesce(held_counts.c[f"held_{kind.value}"], 0).label(f"held_{kind.value}")
                for kind in ActivityType
            ),
            *(
                _expected(norms, branches.c.id, kind, period.quarters).label(
                    f"expected_{kind.value}"
                )
                for kind in NormType
            ),
            _last_held(branches.c.id, period, now).label("last"),
            att_expected.label("att_expected"),
            att_present.label("att_present"),
        )
        .outerjoin(held_counts, held_counts.c.branch_id == branches.c.id)
        .outerjoin(norms, norms.c.branch_id == branches.c.id)
        .subquery("figures")
    )
    met = and_(
        *(inner.c[f"held_{kind.value}"] >= inner.c[f"expected_{kind.value}"] for kind in NormType)
    )
    return select(
        inner,
        case((met, 1), else_=0).label("compliant"),
        case((inner.c.held_total == 0, 1), else_=0).label("hollow"),
    ).subquery("compliance")


@dataclass(frozen=True)
class Counts:
    branches: int
    compliant: int
    non_compliant: int
    hollow: int


async def counts(session: AsyncSession, figures: Subquery) -> Counts:
    found = (
        await session.execute(
            written(
                select(
                    func.count(),
                    func.coalesce(func.sum(figures.c.compliant), 0),
                    func.coalesce(func.sum(figures.c.hollow), 0),
                )
            )
        )
    ).one()
    total, compliant, hollow = (int(value) for value in found)
    return Counts(total, compliant, total - compliant, hollow)


def _listed(figures: Subquery, status: Status | None) -> AnySelect:
    query = select(figures).order_by(figures.c.branch_id)
    if status is Status.COMPLIANT:
        query = query.where(figures.c.compliant == 1)
    elif status is Status.NON_COMPLIANT:
        query = query.where(figures.c.compliant == 0)
    elif status is Status.HOLLOW:
        query = query.where(figures.c.hollow == 1)
    return query


@dataclass(frozen=True)
class BranchFigure:
    org_id: int
    name: str
    kind: OrgKind
    held: dict[str, int]
    expected: dict[str, int]
    compliant: bool
    hollow: bool
    last_held_on: date | None
    attendance_rate: float | None


def _figure(row: Row[Any]) -> BranchFigure:
    last: datetime | None = row.last
    return BranchFigure(
        org_id=row.branch_id,
        name=row.name,
        kind=OrgKind(row.kind),
        held={kind.value: int(getattr(row, f"held_{kind.value}")) for kind in ActivityType},
        expected={kind.value: int(getattr(row, f"expected_{kind.value}")) for kind in NormType},
        compliant=bool(row.compliant),
        hollow=bool(row.hollow),
        last_held_on=None if last is None else last.astimezone(DISPLAY_ZONE).date(),
        attendance_rate=attendance_rate(int(row.att_present), int(row.att_expected)),
    )


async def branch_page(
    session: AsyncSession,
    figures: Subquery,
    status: Status | None,
    *,
    after: int | None,
    limit: int,
) -> list[BranchFigure]:
    query = _listed(figures, status).limit(limit)
    if after is not None:
        query = query.where(figures.c.branch_id > after)
    return [_figure(row) for row in (await session.execute(written(query))).all()]


async def every_branch(
    session: AsyncSession, figures: Subquery, status: Status | None
) -> list[BranchFigure]:
    return [
        _figure(row) for row in (await session.execute(written(_listed(figures, status)))).all()
    ]


# --- one branch's activities --------------------------------------------------------------


async def branch_in_scope(session: AsyncSession, scope: Scope, branch_id: int) -> Organization:
    found = await session.scalar(
        written(
            select(Organization).where(
                Organization.id == branch_id,
                Organization.kind.in_(BRANCH_KINDS),
                scope.covers(Organization.id),
            )
        )
    )
    if found is None:
        raise BranchNotFound()
    return found


class ActivityKey(CursorKey):
    """Where a page of a branch's activities ends: (ends_at, id), ascending."""

    ends_at: Moment
    id: DbId


def _activities(branch_id: int, period: Period, now: datetime) -> AnySelect:
    """The branch's activities of the period (those that start or end in it), each with its
    present-or-late attendances, whether it has minutes, and why it does not count as held
    (null: it does)."""
    attendance = aliased(Attendance)
    present = (
        select(func.count())
        .where(
            attendance.activity_id == Activity.id,
            or_(
                attendance.review_status.is_(None),
                attendance.review_status != ReviewStatus.REJECTED,
            ),
        )
        .correlate(Activity)
        .scalar_subquery()
    )
    not_held = case(
        (Activity.status == ActivityStatus.CANCELLED, literal(NotHeld.CANCELLED.value)),
        (Activity.ends_at > now, literal(NotHeld.NOT_ENDED.value)),
        (
            or_(Activity.ends_at < period.since, Activity.ends_at >= period.until),
            literal(NotHeld.ENDED_OUTSIDE_PERIOD.value),
        ),
        (~_recorded(), literal(NotHeld.NOTHING_RECORDED.value)),
        else_=None,
    )
    return select(
        Activity.id,
        Activity.title,
        Activity.type,
        Activity.status,
        Activity.starts_at,
        Activity.ends_at,
        present.label("attendances"),
        _minutes_written(Activity.id).label("has_minutes"),
        not_held.label("not_held_because"),
    ).where(
        Activity.org_id == branch_id,
        Activity.starts_at < period.until,
        Activity.ends_at >= period.since,
    )


@dataclass(frozen=True)
class ActivityLine:
    activity_id: int
    title: str
    type: ActivityType
    type_label: str
    status: str
    starts_at: datetime
    ends_at: datetime
    attendances: int
    has_minutes: bool
    held: bool
    not_held_because: NotHeld | None


def _line(row: Row[Any], now: datetime) -> ActivityLine:
    status = ActivityStatus(row.status)
    shown = "ended" if status is ActivityStatus.PUBLISHED and row.ends_at <= now else status.value
    reason = None if row.not_held_because is None else NotHeld(row.not_held_because)
    return ActivityLine(
        activity_id=row.id,
        title=row.title,
        type=ActivityType(row.type),
        type_label=TYPE_NAMES[ActivityType(row.type)],
        status=shown,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        attendances=int(row.attendances),
        has_minutes=bool(row.has_minutes),
        held=reason is None,
        not_held_because=reason,
    )


async def activity_page(
    session: AsyncSession,
    branch_id: int,
    period: Period,
    now: datetime,
    *,
    after: ActivityKey | None,
    limit: int,
) -> list[ActivityLine]:
    query = _activities(branch_id, period, now).order_by(Activity.ends_at, Activity.id)
    if after is not None:
        query = query.where(
            or_(
                Activity.ends_at > after.ends_at,
                and_(Activity.ends_at == after.ends_at, Activity.id > after.id),
            )
        )
    return [_line(row, now) for row in (await session.execute(written(query.limit(limit)))).all()]


def activity_key(line: ActivityLine) -> ActivityKey:
    return ActivityKey(ends_at=line.ends_at, id=line.activity_id)


# --- the sheet ----------------------------------------------------------------------------

KIND_LABELS = {OrgKind.BRANCH: "党支部", OrgKind.JOINT_BRANCH: "联合党支部"}
HEADINGS = (
    "序号",
    "党支部",
    "类型",
    *(f"{NORM_LABELS[kind]}（已召开/应召开）" for kind in NormType),
    "其他活动",
    "是否达标",
    "是否空转",
    "最近一次开展",
    "出席率",
)
WIDTHS = (6, 32, 12, *(14 for _ in NormType), 10, 10, 10, 14, 10)
_OTHER_TYPES = [kind for kind in ActivityType if kind.value not in set(NormType)]


def sheet_rows(figures: Sequence[BranchFigure]) -> list[list[CellValue]]:
    return [
        [
            number,
            figure.name,
            KIND_LABELS[figure.kind],
            *(f"{figure.held[kind.value]}/{figure.expected[kind.value]}" for kind in NormType),
            sum(figure.held[kind.value] for kind in _OTHER_TYPES),
            "是" if figure.compliant else "否",
            "是" if figure.hollow else "否",
            figure.last_held_on,
            None if figure.attendance_rate is None else f"{figure.attendance_rate:.1%}",
        ]
        for number, figure in enumerate(figures, start=1)
    ]


def filter_lines(org: Organization, period: Period, status: Status | None) -> list[str]:
    lines = [
        f"组织：{org.name}",
        f"统计周期：{period.label}（{period.first.isoformat()} 至 {period.last.isoformat()}）",
    ]
    if status is not None:
        lines.append(f"范围：{STATUS_LABELS[status]}")
    return lines


STATUS_LABELS = {
    Status.COMPLIANT: "达标的支部",
    Status.NON_COMPLIANT: "未达标的支部",
    Status.HOLLOW: "空转的支部（本期未开展任何活动）",
}


def footer(found: Counts) -> list[str]:
    return [
        f"支部 {found.branches} 个：达标 {found.compliant} 个，未达标 {found.non_compliant} 个，"
        f"其中空转 {found.hollow} 个",
        "已召开：未取消、结束时间在本期且已过、至少一人签到（含迟到）或已写会议记录的活动。",
    ]
