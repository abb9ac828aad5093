"""Head counts of a subtree's social organizations (issue 13 item 3): the staff, the party
members working there, the formal ones, the relation here and the transfer-in rate, per
organization and in total; the totals quarter by quarter with the quarter's additions and
removals from the roster ledger; and the ledger's rows.

One statement per figure: the party members on the roster at the end of ``as_of`` grouped
per workplace in a subquery over ``org_closure``, outer-joined to the subtree's social
organizations, so one with nobody working there shows zeros. The trend runs that totals
statement once per quarter and one grouped statement over the ledger for all of them.

``as_of`` is read from the members' dates, not replayed from the ledger: the ledger counts a
member where their relation lies (else their workplace), while these figures count them
where they work, so it cannot say who worked where. A member counts at the end of ``as_of``
if they were entered in the system by then (``created_at``) and had neither left
(``left_on``) nor had a departure recorded (``departed_at``) by then. Status, workplace,
relation and the tree keep no history: they are today's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Subquery, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.attendance.sheet import STATUS_NAMES
from app.kit import sheet
from app.kit.pagination import CursorKey
from app.kit.types import DbId
from app.kit.validation import IsoDate
from app.kit.xlsx import CellValue
from app.models import (
    ROSTER_ADDITIONS,
    Member,
    Organization,
    OrgClosure,
    OrgKind,
    PartyStatus,
    RosterChange,
    RosterChangeKind,
)
from app.models.members import DEPARTURE_LABELS
from app.oversight.coverage import end_of_day
from app.oversight.definitions import (
    PARTY_STATUSES,
    formal_member,
    party_member,
    relation_here,
    transfer_in_rate,
)
from app.oversight.literal import written
from app.oversight.periods import Period, parse

KIND_LABELS: dict[RosterChangeKind, str] = {
    RosterChangeKind.JOINED: "新增",
    RosterChangeKind.TRANSFERRED_IN: "组织关系转入",
    **{RosterChangeKind(reason.value): label for reason, label in DEPARTURE_LABELS.items()},
}
ADDITIONS = [kind for kind in RosterChangeKind if kind in ROSTER_ADDITIONS]
REMOVALS = [kind for kind in RosterChangeKind if kind not in ROSTER_ADDITIONS]
DIRECTION_LABELS = {"addition": "增加", "removal": "减少"}


def direction(kind: RosterChangeKind) -> str:
    return "addition" if kind in ROSTER_ADDITIONS else "removal"


# --- per organization and in total --------------------------------------------------------


def _working(root_id: int, as_of: date) -> Subquery:
    """Per social organization of the subtree with party members working there on the roster
    at the end of ``as_of``: org_id, party_members_working, formal_members_working,
    relation_here."""
    subtree = aliased(OrgClosure)
    workplace = aliased(Organization)
    parent = aliased(Organization)
    return (
        select(
            Member.workplace_org_id.label("org_id"),
            func.count().label("party_members_working"),
            func.count().filter(formal_member(as_of)).label("formal_members_working"),
            func.count().filter(relation_here(parent)).label("relation_here"),
        )
        .join(subtree, subtree.descendant_id == Member.workplace_org_id)
        .join(workplace, workplace.id == Member.workplace_org_id)
        .join(parent, parent.id == workplace.parent_id)
        .where(
            subtree.ancestor_id == root_id,
            workplace.kind == OrgKind.SOCIAL_ORG,
            party_member(as_of),
        )
        .group_by(Member.workplace_org_id)
        .subquery("working")
    )


def counted(root_id: int, as_of: date) -> Subquery:
    """One row per social organization of the subtree entered by the end of ``as_of``:
    org_id, name, credit_code, staff_count, party_members_working, formal_members_working,
    relation_here."""
    subtree = aliased(OrgClosure)
    working = _working(root_id, as_of)
    return (
        select(
            Organization.id.label("org_id"),
            Organization.name,
            Organization.credit_code,
            Organization.staff_count,
            *(
                func.coalesce(working.c[name], 0).label(name)
                for name in ("party_members_working", "formal_members_working", "relation_here")
            ),
        )
        .join(subtree, subtree.descendant_id == Organization.id)
        .outerjoin(working, working.c.org_id == Organization.id)
        .where(
            subtree.ancestor_id == root_id,
            Organization.kind == OrgKind.SOCIAL_ORG,
            Organization.created_at < end_of_day(as_of),
        )
        .subquery("counted")
    )


@dataclass(frozen=True)
class OrgCount:
    org_id: int
    name: str
    credit_code: str | None
    staff_count: int | None
    party_members_working: int
    formal_members_working: int
    relation_here: int

    @property
    def transfer_in_rate(self) -> float | None:
        return transfer_in_rate(self.relation_here, self.party_members_working)


@dataclass(frozen=True)
class Totals:
    organizations: int
    staff_count: int  # of those with a staff count recorded
    staff_unrecorded: int  # organizations with none recorded
    party_members_working: int
    formal_members_working: int
    relation_here: int

    @property
    def transfer_in_rate(self) -> float | None:
        return transfer_in_rate(self.relation_here, self.party_members_working)


def _org_count(row: Row[Any]) -> OrgCount:
    return OrgCount(
        org_id=row.org_id,
        name=row.name,
        credit_code=row.credit_code,
        staff_count=row.staff_count,
        party_members_working=int(row.party_members_working),
        formal_members_working=int(row.formal_members_working),
        relation_here=int(row.relation_here),
    )


async def page(
    session: AsyncSession, root_id: int, as_of: date, *, after: int | None, limit: int
) -> list[OrgCount]:
    rows = counted(root_id, as_of)
    query = select(rows).order_by(rows.c.org_id).limit(limit)
    if after is not None:
        query = query.where(rows.c.org_id > after)
    return [_org_count(row) for row in (await session.execute(written(query))).all()]


async def every(session: AsyncSession, root_id: int, as_of: date) -> list[OrgCount]:
    rows = counted(root_id, as_of)
    found = (await session.execute(written(select(rows).order_by(rows.c.org_id)))).all()
    return [_org_count(row) for row in found]


async def totals(session: AsyncSession, root_id: int, as_of: date) -> Totals:
    rows = counted(root_id, as_of)
    found = (
        await session.execute(
            written(
                select(
                    func.count(),
                    func.coalesce(func.sum(rows.c.staff_count), 0),
                    func.count().filter(rows.c.staff_count.is_(None)),
                    func.coalesce(func.sum(rows.c.party_members_working), 0),
                    func.coalesce(func.sum(rows.c.formal_members_working), 0),
                    func.coalesce(func.sum(rows.c.relation_here), 0),
                )
            )
        )
    ).one()
    return Totals(*(int(value or 0) for value in found))


# --- quarter by quarter -------------------------------------------------------------------


def quarters(first: Period, last: Period) -> list[Period]:
    """The quarters from ``first`` to ``last``, both included (quarters, ``first`` ≤
    ``last``)."""
    found: list[Period] = []
    year, quarter = first.first.year, (first.first.month - 1) // 3 + 1
    while True:
        period = parse(f"{year:04d}-Q{quarter}")
        assert period is not None
        found.append(period)
        if period.first >= last.first:
            return found
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)


@dataclass(frozen=True)
class QuarterFigure:
    period: Period
    as_of: date  # the quarter's last day, or today while it is under way
    totals: Totals
    changes: dict[RosterChangeKind, int]  # party members' ledger rows per kind, every kind

    @property
    def added(self) -> int:
        return sum(self.changes[kind] for kind in ADDITIONS)

    @property
    def removed(self) -> int:
        return sum(self.changes[kind] for kind in REMOVALS)


def _in_subtree(root_id: int) -> ColumnElement[bool]:
    subtree = aliased(OrgClosure)
    return RosterChange.org_id.in_(
        select(subtree.descendant_id).where(subtree.ancestor_id == root_id)
    )


async def _changes_per_quarter(
    session: AsyncSession, root_id: int, periods: Sequence[Period]
) -> dict[tuple[int, RosterChangeKind], int]:
    """The party members' ledger rows of the subtree per (quarter index, kind), by the day
    each took effect, in one statement."""
    index = case(
        *(
            (RosterChange.occurred_on <= period.last, number)
            for number, period in enumerate(periods)
        ),
        else_=len(periods),
    ).label("quarter")
    found = (
        await session.execute(
            written(
                select(index, RosterChange.kind, func.count())
                .where(
                    _in_subtree(root_id),
                    RosterChange.party_status.in_(PARTY_STATUSES),
                    RosterChange.occurred_on >= periods[0].first,
                    RosterChange.occurred_on <= periods[-1].last,
                )
                .group_by(index, RosterChange.kind)
            )
        )
    ).all()
    return {(int(number), RosterChangeKind(kind)): int(n) for number, kind, n in found}


async def trend(
    session: AsyncSession, root_id: int, periods: Sequence[Period], *, today: date
) -> list[QuarterFigure]:
    changes = await _changes_per_quarter(session, root_id, periods)
    figures: list[QuarterFigure] = []
    for number, period in enumerate(periods):
        as_of = min(period.last, today)
        figures.append(
            QuarterFigure(
                period=period,
                as_of=as_of,
                totals=await totals(session, root_id, as_of),
                changes={kind: changes.get((number, kind), 0) for kind in RosterChangeKind},
            )
        )
    return figures


# --- the ledger ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerFilter:
    first: date | None = None
    last: date | None = None
    kind: RosterChangeKind | None = None


class LedgerKey(CursorKey):
    """Where a page of the ledger ends: (occurred_on, id), newest first."""

    occurred_on: IsoDate
    id: DbId


@dataclass(frozen=True)
class LedgerLine:
    change_id: int
    member_id: int
    member_name: str
    party_status: PartyStatus
    kind: RosterChangeKind
    org_id: int
    org_name: str
    occurred_on: date
    reason: str | None
    source: str
    recorded_at: datetime

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def direction(self) -> str:
        return direction(self.kind)

    @property
    def direction_label(self) -> str:
        return DIRECTION_LABELS[self.direction]


def _ledger(root_id: int, chosen: LedgerFilter) -> Select[*tuple[Any, ...]]:
    query = (
        select(
            RosterChange.id.label("change_id"),
            RosterChange.member_id,
            Member.name.label("member_name"),
            RosterChange.party_status,
            RosterChange.kind,
            RosterChange.org_id,
            Organization.name.label("org_name"),
            RosterChange.occurred_on,
            RosterChange.note.label("reason"),
            RosterChange.source,
            RosterChange.recorded_at,
        )
        .join(Member, Member.id == RosterChange.member_id)
        .join(Organization, Organization.id == RosterChange.org_id)
        .where(_in_subtree(root_id), RosterChange.party_status.in_(PARTY_STATUSES))
        .order_by(RosterChange.occurred_on.desc(), RosterChange.id.desc())
    )
    if chosen.first is not None:
        query = query.where(RosterChange.occurred_on >= chosen.first)
    if chosen.last is not None:
        query = query.where(RosterChange.occurred_on <= chosen.last)
    if chosen.kind is not None:
        query = query.where(RosterChange.kind == chosen.kind)
    return query


def _line(row: Row[Any]) -> LedgerLine:
    return LedgerLine(
        change_id=row.change_id,
        member_id=row.member_id,
        member_name=row.member_name,
        party_status=PartyStatus(row.party_status),
        kind=RosterChangeKind(row.kind),
        org_id=row.org_id,
        org_name=row.org_name,
        occurred_on=row.occurred_on,
        reason=row.reason,
        source=row.source,
        recorded_at=row.recorded_at,
    )


async def ledger_page(
    session: AsyncSession,
    root_id: int,
    chosen: LedgerFilter,
    *,
    after: LedgerKey | None,
    limit: int,
) -> list[LedgerLine]:
    query = _ledger(root_id, chosen).limit(limit)
    if after is not None:
        query = query.where(
            or_(
                RosterChange.occurred_on < after.occurred_on,
                and_(RosterChange.occurred_on == after.occurred_on, RosterChange.id < after.id),
            )
        )
    return [_line(row) for row in (await session.execute(written(query))).all()]


async def every_line(session: AsyncSession, root_id: int, chosen: LedgerFilter) -> list[LedgerLine]:
    return [_line(row) for row in (await session.execute(written(_ledger(root_id, chosen)))).all()]


def ledger_key(line: LedgerLine) -> LedgerKey:
    return LedgerKey(occurred_on=line.occurred_on, id=line.change_id)


# --- the sheets ---------------------------------------------------------------------------


def rate_text(rate: float | None) -> str | None:
    return None if rate is None else f"{rate:.1%}"


HEADINGS = (
    "序号",
    "社会组织",
    "统一社会信用代码",
    "从业人员数",
    "在此工作的党员",
    "其中正式党员",
    "组织关系在此的党员",
    "组织关系转入率",
)
WIDTHS = (6, 30, 22, 12, 16, 14, 18, 16)


def sheet_rows(orgs: Sequence[OrgCount], whole: Totals) -> list[list[CellValue]]:
    lines: list[list[CellValue]] = [
        [
            number,
            org.name,
            org.credit_code,
            org.staff_count,
            org.party_members_working,
            org.formal_members_working,
            org.relation_here,
            rate_text(org.transfer_in_rate),
        ]
        for number, org in enumerate(orgs, start=1)
    ]
    lines.append(
        [
            "合计",
            f"{whole.organizations} 个社会组织",
            None,
            whole.staff_count,
            whole.party_members_working,
            whole.formal_members_working,
            whole.relation_here,
            rate_text(whole.transfer_in_rate),
        ]
    )
    return lines


def filter_lines(org: Organization, as_of: date, today: date) -> list[str]:
    lines = [f"组织：{org.name}", f"统计日：{as_of.isoformat()}"]
    if as_of != today:
        lines.append(
            "说明：党员的政治面貌、工作单位和组织关系按今天的记录，不含统计日之后录入的党员"
        )
    return lines


FOOTER = (
    "在此工作的党员：工作单位为该社会组织、统计日在册的正式党员和预备党员。",
    "组织关系在此：其中组织关系在该社会组织的上级党支部或联合党支部的党员。",
    "组织关系转入率 = 组织关系在此的党员 ÷ 在此工作的党员；无党员时不计算。",
    "从业人员数合计只含已填写从业人员数的社会组织。",
)


TREND_HEADINGS = (
    "季度",
    "统计日",
    "社会组织",
    "在此工作的党员",
    "其中正式党员",
    "组织关系在此的党员",
    "组织关系转入率",
    *(KIND_LABELS[kind] for kind in RosterChangeKind),
    "增加合计",
    "减少合计",
)
TREND_WIDTHS = (16, 12, 10, 16, 14, 18, 16, *(12 for _ in RosterChangeKind), 10, 10)


def trend_rows(figures: Sequence[QuarterFigure]) -> list[list[CellValue]]:
    return [
        [
            figure.period.label,
            figure.as_of,
            figure.totals.organizations,
            figure.totals.party_members_working,
            figure.totals.formal_members_working,
            figure.totals.relation_here,
            rate_text(figure.totals.transfer_in_rate),
            *(figure.changes[kind] for kind in RosterChangeKind),
            figure.added,
            figure.removed,
        ]
        for figure in figures
    ]


def trend_filter_lines(org: Organization, periods: Sequence[Period]) -> list[str]:
    return [
        f"组织：{org.name}",
        f"统计区间：{periods[0].label} 至 {periods[-1].label}"
        f"（{periods[0].first.isoformat()} 至 {periods[-1].last.isoformat()}）",
    ]


TREND_FOOTER = (
    "各季度人数为季度末（本季度为今天）在册的情况；增减为党员增减台账中生效日期在该季度的记录。",
    "台账按组织关系所在（无则按工作单位）记录，与按工作单位统计的人数口径不同。",
)


LEDGER_HEADINGS = (
    "序号",
    "生效日期",
    "党员",
    "政治面貌",
    "增减",
    "变动类型",
    "组织",
    "原因",
    "记录时间",
)
LEDGER_WIDTHS = (6, 12, 14, 12, 8, 16, 30, 40, 18)


def ledger_rows(lines: Sequence[LedgerLine]) -> list[list[CellValue]]:
    return [
        [
            number,
            line.occurred_on,
            line.member_name,
            STATUS_NAMES[line.party_status],
            line.direction_label,
            line.kind_label,
            line.org_name,
            line.reason,
            sheet.local(line.recorded_at),
        ]
        for number, line in enumerate(lines, start=1)
    ]


def ledger_filter_lines(org: Organization, chosen: LedgerFilter) -> list[str]:
    lines = [f"组织：{org.name}"]
    if chosen.first is not None or chosen.last is not None:
        first = chosen.first.isoformat() if chosen.first else "最早"
        last = chosen.last.isoformat() if chosen.last else "今天"
        lines.append(f"生效日期：{first} 至 {last}")
    if chosen.kind is not None:
        lines.append(f"变动类型：{KIND_LABELS[chosen.kind]}")
    return lines


def ledger_footer(lines: Sequence[LedgerLine]) -> list[str]:
    added = sum(1 for line in lines if line.direction == "addition")
    return [f"共 {len(lines)} 条：增加 {added} 条，减少 {len(lines) - added} 条"]
