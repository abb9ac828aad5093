"""The rating cap over a subtree: every capped social organization (at least 3 formal
members working there, coverage neither own_branch nor joint), whether its rating is above
the cap (4A or 5A), and the latest reason recorded for rating one above it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, Subquery, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.kit import sheet
from app.kit.xlsx import CellValue
from app.models import AuditEvent, Member, Organization, OrgClosure, OrgKind
from app.oversight import coverage as coverage_figures
from app.oversight.definitions import (
    ABOVE_CAP,
    CAP_FORMAL_MEMBERS,
    COVERAGE_LABELS,
    PARTY_ORGANIZATION_COVERAGES,
    RATING_EXCEPTION_ACTION,
    Coverage,
    coverage,
    formal_member,
)
from app.oversight.literal import written


def capped(root_id: int) -> Subquery:
    """One row per capped social organization of the subtree: org_id, name, credit_code,
    rating, formal_members_working, coverage, over_cap (0/1)."""
    subtree = aliased(OrgClosure)
    parent = aliased(Organization)
    formal = (
        select(Member.workplace_org_id.label("org_id"), func.count().label("formal"))
        .join(subtree, subtree.descendant_id == Member.workplace_org_id)
        .where(subtree.ancestor_id == root_id, formal_member())
        .group_by(Member.workplace_org_id)
        .having(func.count() >= CAP_FORMAL_MEMBERS)
        .subquery("formal")
    )
    kind = coverage(Organization, parent)
    return (
        select(
            Organization.id.label("org_id"),
            Organization.name,
            Organization.credit_code,
            Organization.rating,
            formal.c.formal.label("formal_members_working"),
            kind.label("coverage"),
            case((Organization.rating.in_(ABOVE_CAP), 1), else_=0).label("over_cap"),
        )
        .join(formal, formal.c.org_id == Organization.id)
        .join(parent, parent.id == Organization.parent_id)
        .where(
            Organization.kind == OrgKind.SOCIAL_ORG,
            kind.not_in([c.value for c in PARTY_ORGANIZATION_COVERAGES]),
        )
        .subquery("capped")
    )


@dataclass(frozen=True)
class Exception_:
    rating: str | None
    reason: str
    recorded_at: datetime
    recorded_by_account_id: int | None
    recorded_by_name: str | None


@dataclass(frozen=True)
class CappedOrg:
    org_id: int
    name: str
    credit_code: str | None
    rating: str | None
    formal_members_working: int
    coverage: Coverage
    over_cap: bool
    exception: Exception_ | None


@dataclass(frozen=True)
class Totals:
    capped: int
    over_cap: int


async def totals(session: AsyncSession, root_id: int) -> Totals:
    rows = capped(root_id)
    found = (
        await session.execute(
            written(select(func.count(), func.coalesce(func.sum(rows.c.over_cap), 0)))
        )
    ).one()
    return Totals(int(found[0]), int(found[1]))


def _listed(rows: Subquery, over_cap: bool | None) -> Select[Any]:
    query = select(rows).order_by(rows.c.org_id)
    if over_cap is not None:
        query = query.where(rows.c.over_cap == (1 if over_cap else 0))
    return query


async def _with_exceptions(session: AsyncSession, rows: Sequence[Row[Any]]) -> list[CappedOrg]:
    """The rows with the latest reason recorded for each, read in one query."""
    ids = [row.org_id for row in rows]
    latest = (
        select(func.max(AuditEvent.id).label("id"))
        .where(AuditEvent.action == RATING_EXCEPTION_ACTION, AuditEvent.org_id.in_(ids))
        .group_by(AuditEvent.org_id)
        .subquery()
    )
    events = (
        await session.execute(
            written(
                select(AuditEvent, Member.name)
                .join(latest, latest.c.id == AuditEvent.id)
                .outerjoin(Member, Member.account_id == AuditEvent.actor_account_id)
            )
        )
    ).all()
    by_org = {
        event.org_id: Exception_(
            rating=event.details.get("rating"),
            reason=str(event.details.get("reason", "")),
            recorded_at=event.created_at,
            recorded_by_account_id=event.actor_account_id,
            recorded_by_name=name,
        )
        for event, name in events
    }
    return [
        CappedOrg(
            org_id=row.org_id,
            name=row.name,
            credit_code=row.credit_code,
            rating=None if row.rating is None else str(row.rating),
            formal_members_working=int(row.formal_members_working),
            coverage=Coverage(row.coverage),
            over_cap=bool(row.over_cap),
            exception=by_org.get(row.org_id),
        )
        for row in rows
    ]


async def page(
    session: AsyncSession,
    root_id: int,
    over_cap: bool | None,
    *,
    after: int | None,
    limit: int,
) -> list[CappedOrg]:
    rows = capped(root_id)
    query = _listed(rows, over_cap).limit(limit)
    if after is not None:
        query = query.where(rows.c.org_id > after)
    return await _with_exceptions(session, (await session.execute(written(query))).all())


async def every(session: AsyncSession, root_id: int, over_cap: bool | None) -> list[CappedOrg]:
    rows = capped(root_id)
    return await _with_exceptions(
        session, (await session.execute(written(_listed(rows, over_cap)))).all()
    )


# --- the sheet ----------------------------------------------------------------------------

HEADINGS = (
    "序号",
    "社会组织",
    "统一社会信用代码",
    "评估等级",
    "在此工作的正式党员",
    "覆盖情况",
    "是否超出3A上限",
    "评定理由",
    "理由记录时间",
)
WIDTHS = (6, 30, 22, 10, 18, 20, 14, 40, 18)


def sheet_rows(orgs: Sequence[CappedOrg]) -> list[list[CellValue]]:
    return [
        [
            number,
            org.name,
            org.credit_code,
            coverage_figures.rating_label(org.rating),
            org.formal_members_working,
            COVERAGE_LABELS[org.coverage],
            "是" if org.over_cap else "否",
            org.exception.reason if org.exception else None,
            sheet.local(org.exception.recorded_at) if org.exception else None,
        ]
        for number, org in enumerate(orgs, start=1)
    ]
