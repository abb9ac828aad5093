"""三会一课 compliance of a subtree's branches over a quarter or a year, each branch's
activities behind its figure, the sheet, and the committee's norms it is measured against."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit import sheet
from app.kit.pagination import InvalidCursor, PageParams, decode_key, encode_cursor
from app.kit.types import INT32_MAX, Digits, IdPath
from app.orgs import service as orgs_service
from app.orgs.errors import OrgNotFound
from app.oversight import compliance, norms, periods
from app.oversight.dependencies import OversightManager, OversightReader
from app.oversight.errors import BranchNotFound, CommitteeNotFound
from app.oversight.literal import without_jit
from app.oversight.periods import PeriodQuery
from app.oversight.schemas import (
    ActivityHeldRead,
    BranchActivitiesRead,
    BranchComplianceRead,
    ComplianceCounts,
    ComplianceRead,
    NormRead,
    NormsRead,
    NormsWrite,
)
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/oversight", tags=["oversight"])

OrgQuery = Annotated[
    int,
    Query(ge=1, le=INT32_MAX, description="The organization whose branches are counted"),
    Digits,
]
StatusQuery = Annotated[
    compliance.Status | None,
    Query(description="Only the compliant, the non-compliant or the hollow branches"),
]

DEFINITIONS = """

Counted: the branches and joint branches of the subtree of `org_id` (an organization in the
caller's `oversight:read` scope; another: 404 `org.not_found`) entered in the system before
the period ended, and each branch's own activities (those whose organization is the branch).
`period` is a quarter (`2026-Q3`) or a year (`2026`) in Beijing days; the current quarter by
default; anything else is a 422 with a field error.

- **Held**: an activity not cancelled, whose end lies in the period and has passed, with at
  least one attendance present or late (any attendance not rejected in review), or with
  minutes written.
- **Expected** per quarter from the committee's norms (`GET /api/v1/oversight/norms/{id}`:
  the nearest committee above the branch that set a value for the type wins; defaults from
  docs/mission.md: branch general meeting 1, branch committee 3, party lecture 1, themed
  party day 3; party group 3 only for branches that have party groups, 0 for the others). A
  year expects four quarters' worth. The whole period's worth is expected even while the
  period is under way.
- A branch is **compliant** when held ≥ expected for every type, **hollow** when it held
  nothing in the period (of any type; a hollow branch is non-compliant unless nothing is
  expected of it).
- `held` counts every activity type (组织生活会, 集中学习… too), `expected` the five norm
  types; `last_held_on` is the day (Beijing) its latest held activity ended, in the period
  or before it; `attendance_rate` is, over its held activities of the period, the expected
  attendees present or late ÷ the expected attendees (null when none was expected)."""


@router.get(
    "/compliance",
    responses=responses(OrgNotFound, InvalidCursor),
    description="Per branch of the subtree, by id, a page at a time: what it held and what "
    "was expected of it per type, whether it is compliant or hollow, when it last held an "
    "activity and its attendance rate; and the counts of every branch." + DEFINITIONS,
)
async def compliance_list(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    page: PageParams,
    period: PeriodQuery = None,
    status: StatusQuery = None,
) -> ComplianceRead:
    """三会一课 compliance and hollow branches over a quarter or a year."""
    org = await orgs_service.get_in_scope(session, caller.scope(Permission.OVERSIGHT_READ), org_id)
    chosen = periods.chosen(period, today=runtime.today())
    now = runtime.clock.now()
    figures = compliance.rows(org.id, chosen, now)
    # Without a status filter the page's branches are known before their figures.
    window = compliance.Window(page.after, page.size + 1) if status is None else None
    shown_figures = compliance.rows(org.id, chosen, now, window)
    async with without_jit(session):
        found = await compliance.branch_page(
            session, shown_figures, status, after=page.after, limit=page.size + 1
        )
        found_counts = await compliance.counts(session, figures)
    shown = found[: page.size]
    return ComplianceRead(
        org_id=org.id,
        name=org.name,
        period=chosen.name,
        first=chosen.first,
        last=chosen.last,
        counts=ComplianceCounts.model_validate(found_counts),
        items=[BranchComplianceRead.model_validate(figure) for figure in shown],
        next_cursor=encode_cursor(shown[-1].org_id) if len(found) > page.size else None,
    )


@router.get(
    "/compliance.xlsx",
    response_class=Response,
    responses={
        200: sheet.answer("三会一课落实情况 (.xlsx)"),
        **responses(OrgNotFound),
    },
    description="The branches' compliance as an Excel sheet (三会一课落实情况), every branch, "
    "held/expected per norm type, with the filters, the generation time and the counts."
    + DEFINITIONS,
)
async def compliance_sheet(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    period: PeriodQuery = None,
    status: StatusQuery = None,
) -> Response:
    """三会一课 compliance over a quarter or a year, as an .xlsx sheet."""
    org = await orgs_service.get_in_scope(session, caller.scope(Permission.OVERSIGHT_READ), org_id)
    chosen = periods.chosen(period, today=runtime.today())
    figures = compliance.rows(org.id, chosen, runtime.clock.now())
    async with without_jit(session):
        every = await compliance.every_branch(session, figures, status)
        found_counts = await compliance.counts(session, figures)
    workbook = sheet.build(
        title="三会一课落实情况",
        sheet_name="三会一课",
        filters=compliance.filter_lines(org, chosen, status),
        generated_at=runtime.clock.now(),
        headings=compliance.HEADINGS,
        widths=compliance.WIDTHS,
        rows=compliance.sheet_rows(every),
        footer=compliance.footer(found_counts),
    )
    return sheet.download(
        workbook,
        ascii_name=f"compliance-{org.id}-{chosen.name}.xlsx",
        name=f"{org.name}-三会一课落实情况-{chosen.name}.xlsx",
    )


@router.get(
    "/compliance/{branch_id}/activities",
    responses=responses(BranchNotFound, InvalidCursor),
    description="The branch's activities of the period (those that start or end in it), by "
    "their end, a page at a time, each with whether it counts as held and, if not, why: "
    "`cancelled`, `not_ended`, `ended_outside_period` (it counts in the period of its end), "
    "`nothing_recorded` (no attendance present or late, no minutes). A branch outside the "
    "caller's `oversight:read` scope is 404 `oversight.branch_not_found`." + DEFINITIONS,
)
async def branch_activities(
    branch_id: IdPath,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    page: PageParams,
    period: PeriodQuery = None,
) -> BranchActivitiesRead:
    """A branch's activities of the period, and whether each counts as held."""
    branch = await compliance.branch_in_scope(
        session, caller.scope(Permission.OVERSIGHT_READ), branch_id
    )
    chosen = periods.chosen(period, today=runtime.today())
    after = None if page.cursor is None else decode_key(page.cursor, compliance.ActivityKey)
    found = await compliance.activity_page(
        session, branch.id, chosen, runtime.clock.now(), after=after, limit=page.size + 1
    )
    shown = found[: page.size]
    return BranchActivitiesRead(
        branch_id=branch.id,
        name=branch.name,
        period=chosen.name,
        first=chosen.first,
        last=chosen.last,
        items=[ActivityHeldRead.model_validate(line) for line in shown],
        next_cursor=(
            encode_cursor(compliance.activity_key(shown[-1])) if len(found) > page.size else None
        ),
    )


def _norms_read(committee_id: int, name: str, found: list[norms.Norm]) -> NormsRead:
    return NormsRead(
        committee_id=committee_id,
        name=name,
        norms=[NormRead.model_validate(norm) for norm in found],
    )


@router.get("/norms/{committee_id}", responses=responses(CommitteeNotFound))
async def committee_norms(
    committee_id: IdPath, caller: OversightManager, session: ReadSession
) -> NormsRead:
    """The meeting norms per quarter in the committee's subtree: each type's value, whether
    the committee set it, a committee above did, or the default of docs/mission.md holds."""
    scope = caller.scope(Permission.OVERSIGHT_MANAGE)
    committee = await norms.committee_in_scope(session, scope, committee_id)
    return _norms_read(
        committee.id, committee.name, await norms.effective(session, scope, committee.id)
    )


@router.put("/norms/{committee_id}", responses=responses(CommitteeNotFound))
async def replace_committee_norms(
    committee_id: IdPath,
    body: NormsWrite,
    caller: OversightManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> NormsRead:
    """Replace the committee's own norms per quarter for its subtree: a type given a number
    is set (0: not expected), a type absent or null inherits from the committee above, or
    the default. A committee below with its own value keeps it."""
    scope = caller.scope(Permission.OVERSIGHT_MANAGE)
    committee = await norms.committee_in_scope(session, scope, committee_id)
    found = await norms.replace(
        session,
        scope,
        committee.id,
        body.per_type(),
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return _norms_read(committee.id, committee.name, found)
