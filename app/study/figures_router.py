"""Study figures over a period for those who read study in a subtree: per member, per child
organization, and points per kind, each also as an .xlsx sheet."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.errors import InvalidPeriod
from app.attendance.service import Period
from app.auth.dependencies import StudyReader
from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.db import ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit import sheet
from app.kit.pagination import InvalidCursor, PageParams, decode_key, encode_cursor
from app.kit.types import INT32_MAX, Digits
from app.kit.validation import IsoDate
from app.models import Organization, PartyStatus
from app.orgs import service as orgs_service
from app.orgs.errors import OrgNotFound
from app.runtime import Runtime, RuntimeDep
from app.study import figures
from app.study.figure_errors import PeriodTooLong
from app.study.figures_schemas import (
    FigureTotals,
    MemberFigure,
    MemberFigures,
    OrgFigure,
    OrgFigures,
)

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/study/figures", tags=["study"])

OrgQuery = Annotated[
    int, Query(ge=1, le=INT32_MAX, description="The organization whose subtree is counted"), Digits
]
# As the attendance figures: days in Beijing time, both ends included; here at most a year.
PeriodStart = Annotated[
    IsoDate | None, Query(alias="from", description="First day; a year before `to` by default")
]
PeriodEnd = Annotated[IsoDate | None, Query(description="Last day, included; today by default")]

DEFINITIONS = """

Days are in Beijing time (Asia/Shanghai), `from` and `to` included, at most 366 days.
Counted: the current members whose relation organization (else workplace) lies in the
subtree of `org_id`, an organization in the caller's study scope (another: 404).

- Self-study seconds: the seconds the server credited from heartbeats on the days of the
  period.
- In-person seconds: per attendance of a 集中学习 session starting in the period, check-in
  to check-out, at most the session's length; none without a check-out, none for a
  check-in rejected in review or a cancelled session.
- Materials completed: materials the member completed in the period.
- Points: the points entries of the period's days, retractions included (they net out)."""

SHEET: dict[int | str, dict[str, Any]] = {200: sheet.answer("学习情况 (.xlsx)")}
REFUSALS = responses(OrgNotFound, InvalidPeriod, PeriodTooLong)


async def _chosen(
    session: AsyncSession,
    caller: Principal,
    runtime: Runtime,
    org_id: int,
    start: date | None,
    end: date | None,
) -> tuple[Organization, Period]:
    org = await orgs_service.get_in_scope(session, caller.scope(Permission.STUDY_READ), org_id)
    return org, figures.period(start, end, today=runtime.today())


@router.get(
    "/members",
    responses=responses(OrgNotFound, InvalidPeriod, PeriodTooLong, InvalidCursor),
    description="Each counted member's study in the period, the most total time first "
    "(then by id), a page at a time, with the totals of every counted member." + DEFINITIONS,
)
async def member_figures(
    org_id: OrgQuery,
    caller: StudyReader,
    session: ReadSession,
    runtime: RuntimeDep,
    page: PageParams,
    start: PeriodStart = None,
    to: PeriodEnd = None,
    party_status: PartyStatus | None = None,
) -> MemberFigures:
    org, chosen = await _chosen(session, caller, runtime, org_id, start, to)
    after = None if page.cursor is None else decode_key(page.cursor, figures.MemberKey)
    rows = figures.member_rows(org.id, chosen, party_status)
    found = await figures.member_page(session, rows, after=after, limit=page.size + 1)
    shown = found[: page.size]
    return MemberFigures(
        org_id=org.id,
        name=org.name,
        from_=chosen.first,
        to=chosen.last,
        totals=FigureTotals.model_validate(await figures.totals(session, rows)),
        items=[MemberFigure.model_validate(row) for row in shown],
        next_cursor=(
            encode_cursor(figures.member_key(shown[-1])) if len(found) > page.size else None
        ),
    )


@router.get(
    "/members.xlsx",
    response_class=Response,
    responses={**SHEET, **REFUSALS},
    description="The members' figures as an Excel sheet (学习情况（党员）): every counted "
    "member, the same order, times in minutes, and a 合计 row." + DEFINITIONS,
)
async def member_figures_sheet(
    org_id: OrgQuery,
    caller: StudyReader,
    session: ReadSession,
    runtime: RuntimeDep,
    start: PeriodStart = None,
    to: PeriodEnd = None,
    party_status: PartyStatus | None = None,
) -> Response:
    org, chosen = await _chosen(session, caller, runtime, org_id, start, to)
    rows = figures.member_rows(org.id, chosen, party_status)
    workbook = sheet.build(
        title="学习情况（党员）",
        sheet_name="学习情况",
        filters=figures.filter_lines(org, chosen, party_status),
        generated_at=runtime.clock.now(),
        headings=figures.MEMBER_HEADINGS,
        widths=figures.MEMBER_WIDTHS,
        rows=figures.member_sheet_rows(
            await figures.every_member(session, rows), await figures.totals(session, rows)
        ),
    )
    return sheet.download(
        workbook,
        ascii_name=f"study-members-{org.id}.xlsx",
        name=f"{org.name}-学习情况（党员）.xlsx",
    )


async def _org_lines(
    session: AsyncSession, org: Organization, chosen: Period
) -> tuple[figures.OrgLine, list[figures.OrgLine]]:
    rows = figures.member_rows(org.id, chosen)
    whole = figures.OrgLine(org.id, org.name, await figures.totals(session, rows))
    return whole, await figures.per_child(session, org, rows)


@router.get(
    "/orgs",
    responses=REFUSALS,
    description="The organization's subtree in total and each direct child's subtree: "
    "members counted, those who studied, total and average time, materials completed "
    "and points." + DEFINITIONS,
)
async def org_figures(
    org_id: OrgQuery,
    caller: StudyReader,
    session: ReadSession,
    runtime: RuntimeDep,
    start: PeriodStart = None,
    to: PeriodEnd = None,
) -> OrgFigures:
    org, chosen = await _chosen(session, caller, runtime, org_id, start, to)
    whole, children = await _org_lines(session, org, chosen)
    return OrgFigures(
        from_=chosen.first,
        to=chosen.last,
        total=OrgFigure.model_validate(whole),
        by_child=[OrgFigure.model_validate(line) for line in children],
    )


@router.get(
    "/orgs.xlsx",
    response_class=Response,
    responses={**SHEET, **REFUSALS},
    description="The organizations' figures as an Excel sheet (学习情况（组织）): a row per "
    "direct child, then the whole subtree's 合计 row." + DEFINITIONS,
)
async def org_figures_sheet(
    org_id: OrgQuery,
    caller: StudyReader,
    session: ReadSession,
    runtime: RuntimeDep,
    start: PeriodStart = None,
    to: PeriodEnd = None,
) -> Response:
    org, chosen = await _chosen(session, caller, runtime, org_id, start, to)
    whole, children = await _org_lines(session, org, chosen)
    workbook = sheet.build(
        title="学习情况（组织）",
        sheet_name="学习情况",
        filters=figures.filter_lines(org, chosen, None),
        generated_at=runtime.clock.now(),
        headings=figures.ORG_HEADINGS,
        widths=figures.ORG_WIDTHS,
        rows=figures.org_sheet_rows(children, whole),
    )
    return sheet.download(
        workbook, ascii_name=f"study-orgs-{org.id}.xlsx", name=f"{org.name}-学习情况（组织）.xlsx"
    )


@router.get(
    "/points.xlsx",
    response_class=Response,
    responses={**SHEET, **REFUSALS},
    description="Each counted member's points in the period per kind of event, then their "
    "total, the most points first, as an Excel sheet (积分统计)." + DEFINITIONS,
)
async def points_sheet(
    org_id: OrgQuery,
    caller: StudyReader,
    session: ReadSession,
    runtime: RuntimeDep,
    start: PeriodStart = None,
    to: PeriodEnd = None,
) -> Response:
    org, chosen = await _chosen(session, caller, runtime, org_id, start, to)
    rows = await figures.points_by_kind(session, org.id, chosen)
    workbook = sheet.build(
        title="积分统计",
        sheet_name="积分统计",
        filters=figures.filter_lines(org, chosen, None),
        generated_at=runtime.clock.now(),
        headings=figures.POINT_HEADINGS,
        widths=figures.POINT_WIDTHS,
        rows=figures.point_sheet_rows(rows),
    )
    return sheet.download(
        workbook, ascii_name=f"study-points-{org.id}.xlsx", name=f"{org.name}-积分统计.xlsx"
    )
