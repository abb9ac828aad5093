"""Study figures over a period: per member, per child organization, and points per kind.

Every figure is one query: the counted members (current ones whose relation, else
workplace, lies in the organization's subtree) as a CTE, each measure aggregated per member
in a subquery limited to them, outer-joined so that a member who did nothing shows zeros.
Self-study time is ``study_daily`` (days in Asia/Shanghai); in-person time is the rule of
``app.study.in_person`` over the attendances of 集中学习 sessions starting in the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import CTE, ColumnElement, Row, Select, Subquery, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.attendance import service as attendance_service
from app.attendance.service import Period
from app.attendance.sheet import STATUS_NAMES
from app.kit.pagination import CursorKey
from app.kit.types import DbId
from app.kit.xlsx import CellValue
from app.models import (
    Activity,
    Attendance,
    Member,
    Organization,
    OrgClosure,
    PartyStatus,
    PointEntry,
    PointKind,
    StudyDaily,
    StudyProgress,
)
from app.points.rules import KIND_LABELS
from app.study.figure_errors import PeriodTooLong
from app.study.in_person import counts_as_session, credited_seconds_sql

LONGEST_PERIOD_DAYS = 366  # a year, a leap year's too, both ends included


def period(start: date | None, end: date | None, *, today: date) -> Period:
    """The attendance figures' period (a year up to today by default), at most a year long:
    one query per figure reads every member's rows of it."""
    chosen = attendance_service.period(start, end, today=today)
    if chosen.last - chosen.first >= timedelta(days=LONGEST_PERIOD_DAYS):
        raise PeriodTooLong(details={"longest_days": LONGEST_PERIOD_DAYS})
    return chosen


class MemberKey(CursorKey):
    """Where a page of members ends: (total seconds, id), total descending."""

    # Bounded as the database's integers are: a forged cursor past them is a 422.
    total: Annotated[int, Field(ge=0, le=2**63 - 1)]
    id: DbId


@dataclass(frozen=True)
class Totals:
    members: int
    studying_members: int
    self_study_seconds: int
    in_person_seconds: int
    total_seconds: int
    materials_completed: int
    points: int


def _member_org() -> ColumnElement[int | None]:
    return func.coalesce(Member.relation_org_id, Member.workplace_org_id)


def _counted_members(org_id: int, party_status: PartyStatus | None) -> CTE:
    # The organization was found in the caller's scope, and a scope is whole subtrees, so
    # its subtree needs no second check.
    query = (
        select(
            Member.id.label("member_id"),
            Member.name.label("name"),
            Member.party_status.label("party_status"),
            _member_org().label("org_id"),
        )
        .join(OrgClosure, OrgClosure.descendant_id == _member_org())
        .where(OrgClosure.ancestor_id == org_id, Member.current())
    )
    if party_status is not None:
        query = query.where(Member.party_status == party_status)
    return query.cte("counted")


def member_rows(org_id: int, chosen: Period, party_status: PartyStatus | None = None) -> Subquery:
    """One row per counted member: member_id, name, party_status, org_id, org_name and the
    period's self_study_seconds, in_person_seconds, total_seconds, materials_completed,
    points (zeros where nothing happened)."""
    counted = _counted_members(org_id, party_status)
    ids = select(counted.c.member_id)
    self_study = (
        select(StudyDaily.member_id, func.sum(StudyDaily.seconds).label("seconds"))
        .where(
            StudyDaily.day >= chosen.first,
            StudyDaily.day <= chosen.last,
            StudyDaily.member_id.in_(ids),
        )
        .group_by(StudyDaily.member_id)
        .subquery()
    )
    in_person = (
        select(Attendance.member_id, func.sum(credited_seconds_sql()).label("seconds"))
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(
            counts_as_session(),
            Activity.starts_at >= chosen.since,
            Activity.starts_at < chosen.until,
            Attendance.member_id.in_(ids),
        )
        .group_by(Attendance.member_id)
        .subquery()
    )
    completed = (
        select(StudyProgress.member_id, func.count().label("materials"))
        .where(
            StudyProgress.completed_at >= chosen.since,
            StudyProgress.completed_at < chosen.until,
            StudyProgress.member_id.in_(ids),
        )
        .group_by(StudyProgress.member_id)
        .subquery()
    )
    points = (
        select(PointEntry.member_id, func.sum(PointEntry.points).label("points"))
        .where(
            PointEntry.day >= chosen.first,
            PointEntry.day <= chosen.last,
            PointEntry.member_id.in_(ids),
        )
        .group_by(PointEntry.member_id)
        .subquery()
    )
    self_seconds = func.coalesce(self_study.c.seconds, 0)
    in_person_seconds = func.coalesce(in_person.c.seconds, 0)
    return (
        select(
            counted.c.member_id,
            counted.c.name,
            counted.c.party_status,
            counted.c.org_id,
            Organization.name.label("org_name"),
            self_seconds.label("self_study_seconds"),
            in_person_seconds.label("in_person_seconds"),
            (self_seconds + in_person_seconds).label("total_seconds"),
            func.coalesce(completed.c.materials, 0).label("materials_completed"),
            func.coalesce(points.c.points, 0).label("points"),
        )
        .join(Organization, Organization.id == counted.c.org_id)
        .outerjoin(self_study, self_study.c.member_id == counted.c.member_id)
        .outerjoin(in_person, in_person.c.member_id == counted.c.member_id)
        .outerjoin(completed, completed.c.member_id == counted.c.member_id)
        .outerjoin(points, points.c.member_id == counted.c.member_id)
        .subquery("rows")
    )


def members_in_order(rows: Subquery) -> Select[Any]:
    return select(rows).order_by(rows.c.total_seconds.desc(), rows.c.member_id)


async def member_page(
    session: AsyncSession, rows: Subquery, *, after: MemberKey | None, limit: int
) -> Sequence[Row[Any]]:
    query = members_in_order(rows).limit(limit)
    if after is not None:
        query = query.where(
            or_(
                rows.c.total_seconds < after.total,
                and_(rows.c.total_seconds == after.total, rows.c.member_id > after.id),
            )
        )
    found: Sequence[Row[Any]] = (await session.execute(query)).all()
    return found


async def every_member(session: AsyncSession, rows: Subquery) -> Sequence[Row[Any]]:
    found: Sequence[Row[Any]] = (await session.execute(members_in_order(rows))).all()
    return found


def member_key(row: Row[Any]) -> MemberKey:
    return MemberKey(total=int(row.total_seconds), id=int(row.member_id))


def _sums(rows: Subquery) -> list[ColumnElement[int]]:
    """The columns of ``Totals``, in its order."""
    return [
        func.count(rows.c.member_id).label("members"),
        func.count(rows.c.member_id).filter(rows.c.total_seconds > 0).label("studying_members"),
        *(
            func.coalesce(func.sum(rows.c[name]), 0).label(name)
            for name in (
                "self_study_seconds",
                "in_person_seconds",
                "total_seconds",
                "materials_completed",
                "points",
            )
        ),
    ]


def _totals(values: Sequence[Any]) -> Totals:
    return Totals(*(int(value or 0) for value in values))


async def totals(session: AsyncSession, rows: Subquery) -> Totals:
    """The period's figures over every counted member."""
    return _totals((await session.execute(select(*_sums(rows)))).one())


@dataclass(frozen=True)
class OrgLine:
    org_id: int
    name: str
    totals: Totals

    @property
    def average_seconds(self) -> int | None:
        """Per counted member, whether they studied or not; None where nobody is counted."""
        if not self.totals.members:
            return None
        return round(self.totals.total_seconds / self.totals.members)


async def per_child(session: AsyncSession, org: Organization, rows: Subquery) -> list[OrgLine]:
    """Each direct child's subtree, by id; a child with no counted member shows zeros."""
    child = aliased(Organization)
    closure = aliased(OrgClosure)
    sums = (
        select(closure.ancestor_id.label("child_id"), *_sums(rows))
        .join(closure, closure.descendant_id == rows.c.org_id)
        .join(child, child.id == closure.ancestor_id)
        .where(child.parent_id == org.id)
        .group_by(closure.ancestor_id)
        .subquery()
    )
    figures = [column for name, column in sums.c.items() if name != "child_id"]
    found = await session.execute(
        select(Organization.id, Organization.name, *figures)
        .outerjoin(sums, sums.c.child_id == Organization.id)
        .where(Organization.parent_id == org.id)
        .order_by(Organization.id)
    )
    return [OrgLine(row[0], row[1], _totals(row[2:])) for row in found.all()]


async def points_by_kind(session: AsyncSession, org_id: int, chosen: Period) -> Sequence[Row[Any]]:
    """Per counted member: name, party_status, org_name, one column per PointKind (its
    value) and ``total``, the most points first."""
    counted = _counted_members(org_id, None)
    kinds = [
        func.coalesce(func.sum(PointEntry.points).filter(PointEntry.kind == kind), 0).label(
            kind.value
        )
        for kind in PointKind
    ]
    per_member = (
        select(PointEntry.member_id, *kinds, func.sum(PointEntry.points).label("total"))
        .where(
            PointEntry.day >= chosen.first,
            PointEntry.day <= chosen.last,
            PointEntry.member_id.in_(select(counted.c.member_id)),
        )
        .group_by(PointEntry.member_id)
        .subquery()
    )
    total = func.coalesce(per_member.c.total, 0)
    query = (
        select(
            counted.c.member_id,
            counted.c.name,
            counted.c.party_status,
            Organization.name.label("org_name"),
            *(func.coalesce(per_member.c[kind.value], 0).label(kind.value) for kind in PointKind),
            total.label("total"),
        )
        .join(Organization, Organization.id == counted.c.org_id)
        .outerjoin(per_member, per_member.c.member_id == counted.c.member_id)
        .order_by(total.desc(), counted.c.member_id)
    )
    return (await session.execute(query)).all()


# --- the sheets ---------------------------------------------------------------------------


def minutes(seconds: int) -> float:
    """Seconds as a sheet shows them: minutes to one decimal, so short stretches still show."""
    return round(seconds / 60, 1)


def filter_lines(org: Organization, chosen: Period, party_status: PartyStatus | None) -> list[str]:
    lines = [f"组织：{org.name}", f"期间：{chosen.first.isoformat()} 至 {chosen.last.isoformat()}"]
    if party_status is not None:
        lines.append(f"政治面貌：{STATUS_NAMES[party_status]}")
    return lines


MEMBER_HEADINGS = (
    "序号",
    "姓名",
    "组织",
    "政治面貌",
    "自学时长（分钟）",
    "集中学习时长（分钟）",
    "合计（分钟）",
    "学完资料",
    "积分",
)
MEMBER_WIDTHS = (6, 12, 24, 14, 16, 20, 14, 10, 8)


def member_sheet_rows(rows: Sequence[Row[Any]], total: Totals) -> list[list[CellValue]]:
    lines: list[list[CellValue]] = [
        [
            number,
            row.name,
            row.org_name,
            STATUS_NAMES[PartyStatus(row.party_status)],
            minutes(row.self_study_seconds),
            minutes(row.in_person_seconds),
            minutes(row.total_seconds),
            row.materials_completed,
            row.points,
        ]
        for number, row in enumerate(rows, start=1)
    ]
    lines.append(
        [
            None,
            "合计",
            None,
            None,
            minutes(total.self_study_seconds),
            minutes(total.in_person_seconds),
            minutes(total.total_seconds),
            total.materials_completed,
            total.points,
        ]
    )
    return lines


ORG_HEADINGS = (
    "序号",
    "组织",
    "人数",
    "参学人数",
    "学习时长（分钟）",
    "人均时长（分钟）",
    "学完资料",
    "积分",
)
ORG_WIDTHS = (6, 28, 8, 10, 16, 16, 10, 8)


def _org_cells(line: OrgLine) -> list[CellValue]:
    average = line.average_seconds
    return [
        line.totals.members,
        line.totals.studying_members,
        minutes(line.totals.total_seconds),
        None if average is None else minutes(average),
        line.totals.materials_completed,
        line.totals.points,
    ]


def org_sheet_rows(children: Sequence[OrgLine], whole: OrgLine) -> list[list[CellValue]]:
    lines: list[list[CellValue]] = [
        [number, line.name, *_org_cells(line)] for number, line in enumerate(children, start=1)
    ]
    lines.append([None, f"合计（{whole.name}）", *_org_cells(whole)])
    return lines


POINT_HEADINGS = ("序号", "姓名", "组织", "政治面貌", *KIND_LABELS.values(), "合计")
POINT_WIDTHS = (6, 12, 24, 14, *(14 for _ in KIND_LABELS), 8)


def point_sheet_rows(rows: Sequence[Row[Any]]) -> list[list[CellValue]]:
    lines: list[list[CellValue]] = [
        [
            number,
            row.name,
            row.org_name,
            STATUS_NAMES[PartyStatus(row.party_status)],
            *(int(getattr(row, kind.value)) for kind in KIND_LABELS),
            int(row.total),
        ]
        for number, row in enumerate(rows, start=1)
    ]
    lines.append(
        [
            None,
            "合计",
            None,
            None,
            *(sum(int(getattr(row, kind.value)) for row in rows) for kind in KIND_LABELS),
            sum(int(row.total) for row in rows),
        ]
    )
    return lines
