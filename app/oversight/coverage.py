"""Coverage of the social organizations of a subtree, the affiliation picture, and the
organizations behind each number. One subquery (``covered``) gives every social organization
of the subtree its coverage and its contradictions; each figure aggregates or pages it.

``as_of`` (a Beijing day) counts the organizations entered in the system by the end of that
day, and an instructor's role only if it was granted by then. The tree and the roles keep no
history: parents are today's, and an organization removed or moved since, or a role revoked
since, is not brought back. Today's figure is exact; a past one is today's tree without what
was added after that day."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Subquery, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.kit.time import DISPLAY_ZONE
from app.kit.xlsx import CellValue
from app.models import (
    AffiliationMode,
    ComprehensiveCommittee,
    Organization,
    OrgClosure,
    OrgKind,
    Rating,
)
from app.oversight.definitions import COVERAGE_LABELS, Coverage, coverage
from app.oversight.literal import written

AFFILIATION_LABELS: dict[AffiliationMode, str] = {
    AffiliationMode.TERRITORIAL: "属地",
    AffiliationMode.BUSINESS_SUPERVISOR: "业务主管",
    AffiliationMode.ATTACHED: "挂靠",
    AffiliationMode.FALLBACK: "托底",
}
UNRECORDED = "unrecorded"  # no affiliation mode recorded
UNRECORDED_LABEL = "未填写"


class Affiliation(enum.StrEnum):
    """An affiliation mode as the figures group by it, with organizations that have none."""

    TERRITORIAL = AffiliationMode.TERRITORIAL.value
    BUSINESS_SUPERVISOR = AffiliationMode.BUSINESS_SUPERVISOR.value
    ATTACHED = AffiliationMode.ATTACHED.value
    FALLBACK = AffiliationMode.FALLBACK.value
    UNRECORDED = UNRECORDED


def affiliation_label(value: str | None) -> str:
    if value is None or value == UNRECORDED:
        return UNRECORDED_LABEL
    return AFFILIATION_LABELS[AffiliationMode(value)]


class Contradiction(enum.StrEnum):
    # 托底 recorded, but no committee designated 综合党委 has it in its subtree.
    FALLBACK_OUTSIDE_COMPREHENSIVE = "fallback_outside_comprehensive"
    # Nobody covers it (uncovered) and it is not recorded as 托底 either: a gap.
    UNCOVERED_WITHOUT_FALLBACK = "uncovered_without_fallback"


CONTRADICTION_LABELS: dict[Contradiction, str] = {
    Contradiction.FALLBACK_OUTSIDE_COMPREHENSIVE: "托底管理但不在综合党委之下",
    Contradiction.UNCOVERED_WITHOUT_FALLBACK: "未覆盖且未托底",
}


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` in Beijing, in UTC."""
    return datetime.combine(day + timedelta(days=1), time.min, DISPLAY_ZONE).astimezone(UTC)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def covered(root_id: int, as_of: date) -> Subquery:
    """One row per social organization of ``root_id``'s subtree entered by the end of
    ``as_of``: org_id, name, credit_code, parent_id, parent_name, parent_kind,
    affiliation_mode, rating, coverage, and the contradictions as 0/1 columns
    ``fallback_outside_comprehensive`` and ``uncovered_without_fallback``."""
    until = end_of_day(as_of)
    parent = aliased(Organization)
    subtree = aliased(OrgClosure)
    above = aliased(OrgClosure)
    inside_comprehensive = exists().where(
        above.descendant_id == Organization.id,
        above.ancestor_id == ComprehensiveCommittee.org_id,
    )
    kind = coverage(Organization, parent, held_before=until).label("coverage")
    inner = (
        select(
            Organization.id.label("org_id"),
            Organization.name,
            Organization.credit_code,
            parent.id.label("parent_id"),
            parent.name.label("parent_name"),
            parent.kind.label("parent_kind"),
            Organization.affiliation_mode,
            Organization.rating,
            kind,
            _flag(
                and_(
                    Organization.affiliation_mode == AffiliationMode.FALLBACK,
                    ~inside_comprehensive,
                )
            ).label(Contradiction.FALLBACK_OUTSIDE_COMPREHENSIVE.value),
        )
        .join(subtree, subtree.descendant_id == Organization.id)
        .join(parent, parent.id == Organization.parent_id)
        .where(
            subtree.ancestor_id == root_id,
            Organization.kind == OrgKind.SOCIAL_ORG,
            Organization.created_at < until,
        )
        .subquery("social")
    )
    return select(
        inner,
        _flag(
            and_(
                inner.c.coverage == Coverage.UNCOVERED.value,
                or_(
                    inner.c.affiliation_mode.is_(None),
                    inner.c.affiliation_mode != AffiliationMode.FALLBACK,
                ),
            )
        ).label(Contradiction.UNCOVERED_WITHOUT_FALLBACK.value),
    ).subquery("covered")


@dataclass(frozen=True)
class Counts:
    total: int
    own_branch: int
    joint: int
    instructor_only: int
    uncovered: int


def _count_columns(rows: Subquery) -> list[ColumnElement[int]]:
    return [
        func.count().label("total"),
        *(
            func.count().filter(rows.c.coverage == kind.value).label(kind.value)
            for kind in Coverage
        ),
    ]


def _counts(row: Sequence[Any]) -> Counts:
    return Counts(*(int(value or 0) for value in row))


async def counts(session: AsyncSession, root_id: int, as_of: date) -> Counts:
    rows = covered(root_id, as_of)
    return _counts((await session.execute(written(select(*_count_columns(rows))))).one())


@dataclass(frozen=True)
class ModeCounts:
    affiliation_mode: Affiliation
    label: str
    counts: Counts


@dataclass(frozen=True)
class Picture:
    modes: list[ModeCounts]
    contradictions: dict[Contradiction, int]
    comprehensive_committees: Sequence[Row[int, str]]  # (org_id, name) inside the subtree
    under_comprehensive_committee: bool  # the root lies in a designated committee's subtree


async def picture(session: AsyncSession, root_id: int, as_of: date) -> Picture:
    """Per affiliation mode (every one listed, zeros too, then those recorded with none)
    the counts by coverage, and how many organizations contradict their affiliation."""
    rows = covered(root_id, as_of)
    mode = rows.c.affiliation_mode
    by_mode = {
        Affiliation(UNRECORDED if row[0] is None else row[0]): _counts(row[1:])
        for row in (
            await session.execute(written(select(mode, *_count_columns(rows)).group_by(mode)))
        ).all()
    }
    contradictions = (
        await session.execute(
            written(
                select(*(func.coalesce(func.sum(rows.c[kind.value]), 0) for kind in Contradiction))
            )
        )
    ).one()
    subtree = aliased(OrgClosure)
    designated = (
        await session.execute(
            written(
                select(Organization.id.label("org_id"), Organization.name)
                .join(ComprehensiveCommittee, ComprehensiveCommittee.org_id == Organization.id)
                .join(subtree, subtree.descendant_id == Organization.id)
                .where(subtree.ancestor_id == root_id)
                .order_by(Organization.depth, Organization.id)
            )
        )
    ).all()
    above = aliased(OrgClosure)
    under = await session.scalar(
        written(
            select(
                exists().where(
                    above.descendant_id == root_id,
                    above.ancestor_id == ComprehensiveCommittee.org_id,
                )
            )
        )
    )
    zero = Counts(0, 0, 0, 0, 0)
    return Picture(
        modes=[
            ModeCounts(kind, affiliation_label(kind.value), by_mode.get(kind, zero))
            for kind in Affiliation
        ],
        contradictions={
            kind: int(value) for kind, value in zip(Contradiction, contradictions, strict=True)
        },
        comprehensive_committees=designated,
        under_comprehensive_committee=bool(under),
    )


@dataclass(frozen=True)
class OrgFilter:
    category: Coverage | None = None
    affiliation: Affiliation | None = None
    contradiction: Contradiction | None = None


def _listed(rows: Subquery, chosen: OrgFilter) -> Select[Any]:
    query = select(rows).order_by(rows.c.org_id)
    if chosen.category is not None:
        query = query.where(rows.c.coverage == chosen.category.value)
    if chosen.affiliation is Affiliation.UNRECORDED:
        query = query.where(rows.c.affiliation_mode.is_(None))
    elif chosen.affiliation is not None:
        query = query.where(rows.c.affiliation_mode == chosen.affiliation.value)
    if chosen.contradiction is not None:
        query = query.where(rows.c[chosen.contradiction.value] == 1)
    return query


async def org_page(
    session: AsyncSession,
    root_id: int,
    as_of: date,
    chosen: OrgFilter,
    *,
    after: int | None,
    limit: int,
) -> Sequence[Row[Any]]:
    rows = covered(root_id, as_of)
    query = _listed(rows, chosen).limit(limit)
    if after is not None:
        query = query.where(rows.c.org_id > after)
    found: Sequence[Row[Any]] = (await session.execute(written(query))).all()
    return found


async def every_org(
    session: AsyncSession, root_id: int, as_of: date, chosen: OrgFilter
) -> Sequence[Row[Any]]:
    found: Sequence[Row[Any]] = (
        await session.execute(written(_listed(covered(root_id, as_of), chosen)))
    ).all()
    return found


def contradictions_of(row: Row[Any]) -> list[Contradiction]:
    return [kind for kind in Contradiction if getattr(row, kind.value)]


# --- the sheet ----------------------------------------------------------------------------

PARENT_KIND_LABELS: dict[OrgKind, str] = {
    OrgKind.COMMITTEE: "党委",
    OrgKind.GENERAL_BRANCH: "党总支",
    OrgKind.BRANCH: "党支部",
    OrgKind.JOINT_BRANCH: "联合党支部",
    OrgKind.SOCIAL_ORG: "社会组织",
}
RATING_LABELS = {"none": "未评估"}

ORG_HEADINGS = (
    "序号",
    "社会组织",
    "统一社会信用代码",
    "上级组织",
    "上级组织类型",
    "覆盖情况",
    "管理方式",
    "评估等级",
    "与覆盖矛盾之处",
)
ORG_WIDTHS = (6, 30, 22, 30, 12, 20, 10, 10, 30)


def rating_label(value: str | None) -> str:
    if value is None:
        return ""
    text = Rating(value).value
    return RATING_LABELS.get(text, text)


def org_sheet_rows(rows: Sequence[Row[Any]]) -> list[list[CellValue]]:
    return [
        [
            number,
            row.name,
            row.credit_code,
            row.parent_name,
            PARENT_KIND_LABELS[OrgKind(row.parent_kind)],
            COVERAGE_LABELS[Coverage(row.coverage)],
            affiliation_label(None if row.affiliation_mode is None else str(row.affiliation_mode)),
            rating_label(row.rating),
            "；".join(CONTRADICTION_LABELS[kind] for kind in contradictions_of(row)),
        ]
        for number, row in enumerate(rows, start=1)
    ]


def filter_lines(org: Organization, as_of: date, chosen: OrgFilter, today: date) -> list[str]:
    lines = [f"组织：{org.name}", f"统计日：{as_of.isoformat()}"]
    if as_of != today:
        lines.append("说明：组织的上级和指导员按今天的记录，不含统计日之后新增的组织和任命")
    if chosen.category is not None:
        lines.append(f"覆盖情况：{COVERAGE_LABELS[chosen.category]}")
    if chosen.affiliation is not None:
        lines.append(f"管理方式：{affiliation_label(chosen.affiliation.value)}")
    if chosen.contradiction is not None:
        lines.append(f"矛盾：{CONTRADICTION_LABELS[chosen.contradiction]}")
    return lines


AFFILIATION_HEADINGS = (
    "管理方式",
    "社会组织",
    *(COVERAGE_LABELS[kind] for kind in Coverage),
)
AFFILIATION_WIDTHS = (12, 10, 16, 16, 22, 10)


def _count_cells(counts: Counts) -> list[CellValue]:
    return [counts.total, *(getattr(counts, kind.value) for kind in Coverage)]


def affiliation_sheet_rows(found: Picture) -> list[list[CellValue]]:
    lines: list[list[CellValue]] = [
        [mode.label, *_count_cells(mode.counts)] for mode in found.modes
    ]
    whole = Counts(
        *(
            sum(getattr(mode.counts, name) for mode in found.modes)
            for name in Counts.__dataclass_fields__
        )
    )
    lines.append(["合计", *_count_cells(whole)])
    return lines


def affiliation_footer(found: Picture) -> list[str]:
    return [
        f"{CONTRADICTION_LABELS[kind]}：{found.contradictions[kind]} 个" for kind in Contradiction
    ] + [
        "托底管理但不在综合党委之下：记为托底，但不在任何一个被指定为综合党委的党委之下。",
        "未覆盖且未托底：上级不是党支部或联合党支部、本组织无党建工作指导员，且未记为托底。",
    ]
