"""Coverage of a subtree's social organizations, the affiliation picture and the rating cap,
each with the organizations behind its numbers and an .xlsx sheet; the committees
designated 综合党委."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit import sheet
from app.kit.pagination import InvalidCursor, PageParams, encode_cursor
from app.kit.types import IdPath
from app.kit.validation import QueryFlag
from app.models import Organization
from app.orgs import service as orgs_service
from app.orgs.errors import OrgNotFound
from app.oversight import comprehensive, rating_cap
from app.oversight import coverage as figures
from app.oversight.definitions import COVERAGE_LABELS, Coverage
from app.oversight.dependencies import AsOfQuery, OrgQuery, OversightManager, OversightReader
from app.oversight.errors import AsOfInFuture, CommitteeNotFound
from app.oversight.schemas import (
    AffiliationRead,
    CommitteeRef,
    ComprehensiveRead,
    CoverageOrgPage,
    CoverageOrgRead,
    CoverageRead,
    ModeRead,
    RatingCapItem,
    RatingCapRead,
)
from app.runtime import Runtime, RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/oversight", tags=["oversight"])


COVERAGE_DEFINITIONS = """

Counted: the social organizations of the subtree of `org_id`, an organization in the
caller's `oversight:read` scope (another: 404 `org.not_found`).

- A social organization's **coverage**: `own_branch` when its parent is a branch; `joint`
  when its parent is a joint branch; `instructor_only` when neither, but an instructor holds
  a role on that organization itself (one held on an organization above it does not
  count); `uncovered` otherwise.
- **as_of** (a day in Beijing time, today by default, never after today): the organization
  tree and the roles keep no history. A past `as_of` counts the social organizations
  entered in the system by the end of that day, and an instructor's role only if it was
  granted by then; parents are today's, and an organization removed or moved since, or a
  role revoked since, is not brought back. Today's figure is exact; a past one is today's
  tree without what was added after that day."""

AFFILIATION_DEFINITIONS = """

- **Affiliation mode** (隶属关系) is what the organization records: `territorial` 属地,
  `business_supervisor` 业务主管, `attached` 挂靠, `fallback` 托底; `unrecorded` when none
  is recorded.
- **The comprehensive committee** (综合党委): a committee designated as such
  (`PUT /api/v1/oversight/comprehensive-committees/{committee_id}`), not found by its name;
  there may be several (a city's and a district's).
- Contradiction `fallback_outside_comprehensive`: recorded as 托底, but no designated
  comprehensive committee has it in its subtree (the body meant to take it on does not
  reach it). While none is designated, every 托底 organization is listed.
- Contradiction `uncovered_without_fallback`: its coverage is `uncovered` and it is not
  recorded as 托底: no party organization, no instructor, and no body taking it on (空地).
  An uncovered 托底 organization under a comprehensive committee is not a contradiction:
  that committee is where it is meant to be managed."""

RATING_DEFINITIONS = """

Counted: the social organizations of the subtree of `org_id`, an organization in the
caller's `oversight:read` scope (another: 404 `org.not_found`), as they are now.

- **Formal members working there**: members with `party_status = full_member` and
  `workplace_org_id` = that organization, who have not left (probationary members are not
  counted; where their relation is does not matter).
- A social organization's **coverage**: `own_branch` when its parent is a branch; `joint`
  when its parent is a joint branch; `instructor_only` when neither, but an instructor holds
  a role on that organization itself; `uncovered` otherwise.
- **Rating cap**: an organization with ≥ 3 formal members working there and coverage
  neither `own_branch` nor `joint` may not be rated above 3A; `over_cap` lists those rated
  4A or 5A. Raising such an organization's rating to 4A or 5A (`PATCH /api/v1/orgs/{id}`)
  is refused with `org.rating_over_cap` unless `rating_reason` is given; the latest reason
  recorded is `exception`."""


async def _chosen(session: AsyncSession, caller: Principal, org_id: int) -> Organization:
    return await orgs_service.get_in_scope(session, caller.scope(Permission.OVERSIGHT_READ), org_id)


def _as_of(runtime: Runtime, as_of: date | None) -> date:
    today = runtime.today()
    if as_of is None:
        return today
    if as_of > today:
        raise AsOfInFuture()
    return as_of


@router.get(
    "/coverage",
    responses=responses(OrgNotFound, AsOfInFuture),
    description="How many social organizations of the subtree are covered, and how: by a "
    "branch of their own, a joint branch, an instructor only, or not at all."
    + COVERAGE_DEFINITIONS,
)
async def coverage(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    as_of: AsOfQuery = None,
) -> CoverageRead:
    """Coverage of the subtree's social organizations (party organization and party work)."""
    org = await _chosen(session, caller, org_id)
    day = _as_of(runtime, as_of)
    found = await figures.counts(session, org.id, day)
    return CoverageRead(org_id=org.id, name=org.name, as_of=day, **found.__dict__)


CategoryQuery = Annotated[
    Coverage | None, Query(description="One coverage; every social organization if absent")
]
AffiliationQuery = Annotated[
    figures.Affiliation | None, Query(description="One affiliation mode, or unrecorded")
]
ContradictionQuery = Annotated[
    figures.Contradiction | None,
    Query(description="Only the organizations with this contradiction"),
]


def _org_item(row: Any) -> CoverageOrgRead:
    kind = Coverage(row.coverage)
    return CoverageOrgRead(
        org_id=row.org_id,
        name=row.name,
        credit_code=row.credit_code,
        parent_id=row.parent_id,
        parent_name=row.parent_name,
        parent_kind=row.parent_kind,
        coverage=kind,
        coverage_label=COVERAGE_LABELS[kind],
        affiliation_mode=row.affiliation_mode,
        rating=row.rating,
        contradictions=figures.contradictions_of(row),
    )


@router.get(
    "/coverage/orgs",
    responses=responses(OrgNotFound, AsOfInFuture, InvalidCursor),
    description="The social organizations behind a coverage number (`category`), or behind "
    "a cell of the affiliation picture (`category` and `affiliation`), or those with a "
    "contradiction, by id, a page at a time." + COVERAGE_DEFINITIONS + AFFILIATION_DEFINITIONS,
)
async def coverage_orgs(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    page: PageParams,
    category: CategoryQuery = None,
    affiliation: AffiliationQuery = None,
    contradiction: ContradictionQuery = None,
    as_of: AsOfQuery = None,
) -> CoverageOrgPage:
    """The social organizations behind one coverage number."""
    org = await _chosen(session, caller, org_id)
    chosen = figures.OrgFilter(category, affiliation, contradiction)
    rows = await figures.org_page(
        session, org.id, _as_of(runtime, as_of), chosen, after=page.after, limit=page.size + 1
    )
    shown = rows[: page.size]
    return CoverageOrgPage(
        items=[_org_item(row) for row in shown],
        next_cursor=encode_cursor(shown[-1].org_id) if len(rows) > page.size else None,
    )


@router.get(
    "/coverage/orgs.xlsx",
    response_class=Response,
    responses={
        200: sheet.answer("社会组织覆盖情况 (.xlsx)"),
        **responses(OrgNotFound, AsOfInFuture),
    },
    description="The same organizations as an Excel sheet (社会组织覆盖情况), every one, "
    "with the filters and the generation time at the top."
    + COVERAGE_DEFINITIONS
    + AFFILIATION_DEFINITIONS,
)
async def coverage_orgs_sheet(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    category: CategoryQuery = None,
    affiliation: AffiliationQuery = None,
    contradiction: ContradictionQuery = None,
    as_of: AsOfQuery = None,
) -> Response:
    """The social organizations behind one coverage number, as an .xlsx sheet."""
    org = await _chosen(session, caller, org_id)
    day = _as_of(runtime, as_of)
    chosen = figures.OrgFilter(category, affiliation, contradiction)
    rows = await figures.every_org(session, org.id, day, chosen)
    workbook = sheet.build(
        title="社会组织覆盖情况",
        sheet_name="覆盖情况",
        filters=figures.filter_lines(org, day, chosen, runtime.today()),
        generated_at=runtime.clock.now(),
        headings=figures.ORG_HEADINGS,
        widths=figures.ORG_WIDTHS,
        rows=figures.org_sheet_rows(rows),
        footer=[f"共 {len(rows)} 个社会组织"],
    )
    return sheet.download(
        workbook, ascii_name=f"coverage-{org.id}.xlsx", name=f"{org.name}-社会组织覆盖情况.xlsx"
    )


@router.get(
    "/coverage/affiliation",
    responses=responses(OrgNotFound, AsOfInFuture),
    description="The affiliation picture: per affiliation mode the counts by coverage, and "
    "how many organizations contradict their recorded affiliation (the organizations: "
    "`/coverage/orgs?contradiction=`)." + COVERAGE_DEFINITIONS + AFFILIATION_DEFINITIONS,
)
async def affiliation(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    as_of: AsOfQuery = None,
) -> AffiliationRead:
    """Coverage per affiliation mode (属地, 业务主管, 挂靠, 托底), and the contradictions."""
    org = await _chosen(session, caller, org_id)
    day = _as_of(runtime, as_of)
    found = await figures.picture(session, org.id, day)
    return AffiliationRead(
        org_id=org.id,
        name=org.name,
        as_of=day,
        modes=[
            ModeRead(
                affiliation_mode=mode.affiliation_mode, label=mode.label, **mode.counts.__dict__
            )
            for mode in found.modes
        ],
        contradictions=found.contradictions,
        comprehensive_committees=[
            CommitteeRef.model_validate(row) for row in found.comprehensive_committees
        ],
        under_comprehensive_committee=found.under_comprehensive_committee,
    )


@router.get(
    "/coverage/affiliation.xlsx",
    response_class=Response,
    responses={
        200: sheet.answer("隶属关系与覆盖情况 (.xlsx)"),
        **responses(OrgNotFound, AsOfInFuture),
    },
    description="The affiliation picture as an Excel sheet (隶属关系与覆盖情况): a row per "
    "affiliation mode and a 合计 row (the coverage figure), the contradictions below."
    + COVERAGE_DEFINITIONS
    + AFFILIATION_DEFINITIONS,
)
async def affiliation_sheet(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    as_of: AsOfQuery = None,
) -> Response:
    """Coverage per affiliation mode, as an .xlsx sheet."""
    org = await _chosen(session, caller, org_id)
    day = _as_of(runtime, as_of)
    found = await figures.picture(session, org.id, day)
    workbook = sheet.build(
        title="隶属关系与覆盖情况",
        sheet_name="隶属关系",
        filters=figures.filter_lines(org, day, figures.OrgFilter(), runtime.today()),
        generated_at=runtime.clock.now(),
        headings=figures.AFFILIATION_HEADINGS,
        widths=figures.AFFILIATION_WIDTHS,
        rows=figures.affiliation_sheet_rows(found),
        footer=figures.affiliation_footer(found),
    )
    return sheet.download(
        workbook,
        ascii_name=f"affiliation-{org.id}.xlsx",
        name=f"{org.name}-隶属关系与覆盖情况.xlsx",
    )


@router.put(
    "/comprehensive-committees/{committee_id}",
    responses=responses(CommitteeNotFound),
    description="Designates a committee of the caller's `oversight:manage` scope as a "
    "社会组织综合党委: the body that takes on (托底) the social organizations no other body "
    "manages. A 托底 organization outside every designated committee's subtree is a "
    "contradiction of the affiliation picture. Designating it again changes nothing.",
)
async def designate_comprehensive(
    committee_id: IdPath, caller: OversightManager, session: DbSession, runtime: RuntimeDep
) -> ComprehensiveRead:
    """Designate a committee as a 综合党委."""
    committee, designated_at = await comprehensive.designate(
        session,
        caller.scope(Permission.OVERSIGHT_MANAGE),
        committee_id,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return ComprehensiveRead(
        committee_id=committee.id, name=committee.name, designated_at=designated_at
    )


@router.delete(
    "/comprehensive-committees/{committee_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(CommitteeNotFound),
)
async def undesignate_comprehensive(
    committee_id: IdPath, caller: OversightManager, session: DbSession
) -> Response:
    """Withdraw a committee's designation as a 综合党委 (none to withdraw: nothing changes)."""
    await comprehensive.withdraw(session, caller.scope(Permission.OVERSIGHT_MANAGE), committee_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


OverCapQuery = Annotated[
    QueryFlag | None, Query(description="true: only those rated 4A or 5A; false: the others")
]


@router.get(
    "/rating-cap",
    responses=responses(OrgNotFound, InvalidCursor),
    description="Every capped social organization of the subtree, by id, a page at a time, "
    "with how many are capped and over the cap in all." + RATING_DEFINITIONS,
)
async def rating_cap_list(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    page: PageParams,
    over_cap: OverCapQuery = None,
) -> RatingCapRead:
    """The organizations under the rating cap, and those rated above it."""
    org = await _chosen(session, caller, org_id)
    found = await rating_cap.page(session, org.id, over_cap, after=page.after, limit=page.size + 1)
    shown = found[: page.size]
    totals = await rating_cap.totals(session, org.id)
    return RatingCapRead(
        org_id=org.id,
        name=org.name,
        capped=totals.capped,
        over_cap=totals.over_cap,
        items=[RatingCapItem.model_validate(item) for item in shown],
        next_cursor=encode_cursor(shown[-1].org_id) if len(found) > page.size else None,
    )


@router.get(
    "/rating-cap.xlsx",
    response_class=Response,
    responses={
        200: sheet.answer("评估等级上限 (.xlsx)"),
        **responses(OrgNotFound),
    },
    description="The capped organizations as an Excel sheet (评估等级上限), every one, with "
    "the filter and the generation time at the top." + RATING_DEFINITIONS,
)
async def rating_cap_sheet(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    over_cap: OverCapQuery = None,
) -> Response:
    """The organizations under the rating cap, as an .xlsx sheet."""
    org = await _chosen(session, caller, org_id)
    found = await rating_cap.every(session, org.id, over_cap)
    totals = await rating_cap.totals(session, org.id)
    filters = [f"组织：{org.name}"]
    if over_cap is not None:
        filters.append("范围：" + ("评为4A、5A的" if over_cap else "未超出上限的"))
    workbook = sheet.build(
        title="评估等级上限（具备条件未建立党组织的社会组织）",
        sheet_name="评估等级上限",
        filters=filters,
        generated_at=runtime.clock.now(),
        headings=rating_cap.HEADINGS,
        widths=rating_cap.WIDTHS,
        rows=rating_cap.sheet_rows(found),
        footer=[
            f"受限社会组织 {totals.capped} 个，其中评为4A以上 {totals.over_cap} 个",
            "受限：在此工作的正式党员不少于3名，且未单独或联合建立党支部；不得评为4A以上等级。",
        ],
    )
    return sheet.download(
        workbook, ascii_name=f"rating-cap-{org.id}.xlsx", name=f"{org.name}-评估等级上限.xlsx"
    )
