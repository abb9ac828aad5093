"""Q&A figures over a period (issue 12, item 6): per organization responsible and per
instructor, how many questions were asked and answered, how long the first answer took
(median and 90th percentile) and how many waited more than 48 hours.

One query reads every counted question of the period with what the figures need (where it
is routed, when it was asked, first answered and closed, who wrote its first visible answer,
its assignee); the counts and percentiles are worked out here over those rows, once, so
PostgreSQL and SQLite give the same answer (``percentile_cont`` exists on one of them only,
and each would round its interval arithmetic its own way).

The figures of a period are read at its **cutoff**: the end of the period or now, whichever
is earlier. What happened after it (a late answer, a closing) changes nothing, so a past
period's figures stay as they were once shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, ScalarSelect, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.attendance import service as attendance_service
from app.attendance.service import Period
from app.kit.sheet import local
from app.kit.xlsx import CellValue
from app.models import (
    Member,
    MessageKind,
    Organization,
    OrgClosure,
    QaMessage,
    Question,
    QuestionStatus,
    Visibility,
)
from app.qa.figure_errors import PeriodTooLong
from app.study.figures import minutes

LONGEST_PERIOD_DAYS = 366  # a year, a leap year's too, both ends included
OVERDUE_AFTER = timedelta(hours=48)
# Never asked, as far as the figures go: held by moderation, or refused by a reviewer.
NOT_ASKED = (QuestionStatus.PENDING_REVIEW, QuestionStatus.REJECTED)


def period(start: date | None, end: date | None, *, today: date) -> Period:
    """The study figures' period: days in Beijing time, both ends included, a year up to
    today by default, at most a year long."""
    chosen = attendance_service.period(start, end, today=today)
    if chosen.last - chosen.first >= timedelta(days=LONGEST_PERIOD_DAYS):
        raise PeriodTooLong(details={"longest_days": LONGEST_PERIOD_DAYS})
    return chosen


def cutoff(chosen: Period, now: datetime) -> datetime:
    """The instant the period's figures are read at: its end, or now if that is earlier."""
    return min(chosen.until, now)


def percentile(ordered: Sequence[float], fraction: float) -> int | None:
    """``fraction`` (0..1) of ``ordered`` (ascending) as PostgreSQL's ``percentile_cont``
    reads it: linear interpolation between the two nearest ranks, here rounded to the
    nearest second (halves up); None for no values."""
    if not ordered:
        return None
    rank = (len(ordered) - 1) * fraction
    low, high = math.floor(rank), math.ceil(rank)
    value = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return math.floor(value + 0.5)


@dataclass
class Line:
    """One row of the figures: a whole subtree, an organization, or an instructor."""

    id: int
    name: str
    asked: int = 0
    answered: int = 0
    open_over_48h: int = 0
    waits: list[float] = field(default_factory=list, repr=False)

    def count(self, question: Counted) -> None:
        self.asked += 1
        if question.wait_seconds is not None:
            self.answered += 1
            self.waits.append(question.wait_seconds)
        if question.overdue:
            self.open_over_48h += 1

    @property
    def median_seconds(self) -> int | None:
        return percentile(sorted(self.waits), 0.5)

    @property
    def p90_seconds(self) -> int | None:
        return percentile(sorted(self.waits), 0.9)


@dataclass(frozen=True)
class Counted:
    """One question asked in the period, as read at the cutoff."""

    routed_org_id: int
    routed_org_name: str
    wait_seconds: float | None  # asked → first visible answer, when that came before the cutoff
    overdue: bool
    # (member id, name) of the instructor whose figures it joins: its first answer's author
    # when answered by the cutoff, else its assignee; None for neither.
    instructor: tuple[int, str] | None


@dataclass(frozen=True)
class QaFigures:
    cutoff: datetime
    total: Line
    by_org: list[Line]
    by_instructor: list[Line]


def _first_answer_author() -> ScalarSelect[int | None]:
    """SQL, per question: the member who wrote the answer whose appearance set
    ``first_answered_at`` (the visible answer created then; the lowest id on a tie)."""
    return (
        select(QaMessage.author_member_id)
        .where(
            QaMessage.question_id == Question.id,
            QaMessage.kind == MessageKind.ANSWER,
            QaMessage.visibility == Visibility.VISIBLE,
            QaMessage.created_at == Question.first_answered_at,
        )
        .order_by(QaMessage.id)
        .limit(1)
        .correlate(Question)
        .scalar_subquery()
    )


def _asked(org_id: int, chosen: Period) -> Select[Any]:
    """SQL: one row per question asked in the period and routed into the subtree, with the
    name of the organization it is routed to, of its first answer's author and of its
    assignee."""
    asked = (
        select(
            Question.routed_org_id,
            Question.created_at,
            Question.first_answered_at,
            Question.closed_at,
            Question.assignee_member_id,
            _first_answer_author().label("author_member_id"),
        )
        # The organization was found in the caller's scope, and a scope is whole subtrees,
        # so its subtree needs no second check.
        .join(OrgClosure, OrgClosure.descendant_id == Question.routed_org_id)
        .where(
            OrgClosure.ancestor_id == org_id,
            Question.created_at >= chosen.since,
            Question.created_at < chosen.until,
            Question.status.not_in(NOT_ASKED),
        )
        .subquery("asked")
    )
    author = aliased(Member)
    assignee = aliased(Member)
    return (
        select(
            asked.c.routed_org_id,
            Organization.name.label("org_name"),
            asked.c.created_at,
            asked.c.first_answered_at,
            asked.c.closed_at,
            asked.c.author_member_id,
            author.name.label("author_name"),
            asked.c.assignee_member_id,
            assignee.name.label("assignee_name"),
        )
        .join(Organization, Organization.id == asked.c.routed_org_id)
        .outerjoin(author, author.id == asked.c.author_member_id)
        .outerjoin(assignee, assignee.id == asked.c.assignee_member_id)
    )


def _counted(row: Row[Any], at: datetime) -> Counted:
    answered = row.first_answered_at is not None and row.first_answered_at < at
    closed = row.closed_at is not None and row.closed_at < at
    instructor: tuple[int, str] | None = None
    if answered and row.author_member_id is not None:
        instructor = (row.author_member_id, row.author_name)
    elif not answered and row.assignee_member_id is not None:
        instructor = (row.assignee_member_id, row.assignee_name)
    return Counted(
        routed_org_id=row.routed_org_id,
        routed_org_name=row.org_name,
        wait_seconds=(
            (row.first_answered_at - row.created_at).total_seconds() if answered else None
        ),
        overdue=not answered and not closed and at - row.created_at > OVERDUE_AFTER,
        instructor=instructor,
    )


def tally(org: Organization, questions: Iterable[Counted], at: datetime) -> QaFigures:
    """The figures of ``questions``: the whole subtree's, each organization's (by id) and
    each instructor's (by member id)."""
    total = Line(org.id, org.name)
    orgs: dict[int, Line] = {}
    instructors: dict[int, Line] = {}
    for question in questions:
        total.count(question)
        orgs.setdefault(
            question.routed_org_id, Line(question.routed_org_id, question.routed_org_name)
        ).count(question)
        if question.instructor is not None:
            member_id, name = question.instructor
            instructors.setdefault(member_id, Line(member_id, name)).count(question)
    return QaFigures(
        cutoff=at,
        total=total,
        by_org=[orgs[key] for key in sorted(orgs)],
        by_instructor=[instructors[key] for key in sorted(instructors)],
    )


async def figures(
    session: AsyncSession, org: Organization, chosen: Period, now: datetime
) -> QaFigures:
    """The figures of the questions routed into ``org``'s subtree and asked in the period,
    read at the period's cutoff."""
    at = cutoff(chosen, now)
    rows = (await session.execute(_asked(org.id, chosen))).all()
    return tally(org, (_counted(row, at) for row in rows), at)


# --- the sheet ----------------------------------------------------------------------------


def filter_lines(org: Organization, chosen: Period, found: QaFigures) -> list[str]:
    return [
        f"组织：{org.name}",
        f"期间：{chosen.first.isoformat()} 至 {chosen.last.isoformat()}",
        f"统计截止：{local(found.cutoff)}",
    ]


HEADINGS = (
    "序号",
    "名称",
    "提问数",
    "已回答",
    "首次回答用时中位数（分钟）",
    "首次回答用时90百分位（分钟）",
    "超过48小时未回答",
)
WIDTHS = (6, 28, 10, 10, 26, 28, 18)
BY_ORG = "按承办组织"
BY_INSTRUCTOR = "按回答人（首个回答的作者，未回答的按指派人）"


def _cells(line: Line) -> list[CellValue]:
    median, p90 = line.median_seconds, line.p90_seconds
    return [
        line.asked,
        line.answered,
        None if median is None else minutes(median),
        None if p90 is None else minutes(p90),
        line.open_over_48h,
    ]


def sheet_rows(found: QaFigures) -> list[list[CellValue]]:
    """The organizations, the subtree's 合计 row, then the instructors, each part under its
    own label."""
    rows: list[list[CellValue]] = [[BY_ORG]]
    rows += [[n, line.name, *_cells(line)] for n, line in enumerate(found.by_org, start=1)]
    rows.append([None, f"合计（{found.total.name}）", *_cells(found.total)])
    rows += [[], [BY_INSTRUCTOR]]
    rows += [[n, line.name, *_cells(line)] for n, line in enumerate(found.by_instructor, start=1)]
    return rows
