"""The party-building section of a social organization's annual report (年度报告 党建部分),
its notes, and its .xlsx sheet (issue 13 items 8 and 9)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from app.annual import service
from app.annual.errors import NotesStale, NotSocialOrg, YearBeforeEntry, YearOutOfRange
from app.annual.schemas import (
    AnnualReportLine,
    AnnualReportPage,
    AnnualReportRead,
    NotesRead,
    NotesWrite,
)
from app.auth.dependencies import OrgsReader, Requires
from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit import sheet
from app.kit.pagination import InvalidCursor, PageParams, encode_cursor
from app.kit.types import INT32_MAX, Digits, IdPath
from app.orgs import service as orgs_service
from app.orgs.errors import OrgNotFound
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1", tags=["annual report"])

NotesWriter = Annotated[Principal, Depends(Requires(Permission.ANNUAL_REPORT_WRITE))]
# Bounded by the handler, so that a year out of range answers annual.year_out_of_range.
YearPath = Annotated[
    int, Path(description="The year reported on, 2000 to this year (Beijing time)"), Digits
]
READ_REFUSALS = responses(OrgNotFound, NotSocialOrg, YearOutOfRange, YearBeforeEntry)

DEFINITIONS = """

Who: `org_id` is a social organization in the caller's `orgs:read` scope (secretaries,
instructors and committee admins of the organizations above it); another organization is
404 `org.not_found`, one in scope that is not a social organization 422
`annual.not_social_org`. `year` runs from 2000 to this year (Beijing time), else 422
`annual.year_out_of_range`; a year that ended before the organization was entered in the
system is 422 `annual.year_before_entry`. Everything is computed at the request from the
data, with the definitions of the oversight figures (issue 13):

- **members**, counted at `as_of`: the year's last day, or today while the year is under
  way (`complete: false`). **Party members working there**: full and probationary members
  with `workplace_org_id` = the organization, on the roster at the end of `as_of`;
  **formal**: the full ones; **relation here**: of those, the ones whose `relation_org_id`
  is the organization's parent when that parent is a branch or a joint branch;
  **transfer-in rate** = relation here ÷ party members working there (null when 0), as
  `/oversight/headcount?as_of=`. Status, workplace and relation are today's (they keep no
  history). **changes**: the party members' roster-ledger rows whose day lies in the year,
  per kind: the rows recorded on the organization itself, and those recorded on its parent
  branch or joint branch of the members working here today (the ledger records a member
  where their relation lies).
- **party organization**: the coverage at `as_of` (`own_branch` when its parent is a branch;
  `joint` when its parent is a joint branch; `instructor_only` when neither, but an
  instructor holds a role on the organization itself; `uncovered` otherwise); the parent
  branch for the first two, with who holds the secretary role on it today; the instructors
  on the organization itself (roles granted by the end of `as_of`, holders not departed).
- **activities**: the parent branch's (or joint branch's: `shared`, serving every
  organization it covers) own activities of the year, as `/oversight/compliance?period=<year>`:
  **held** = not cancelled, the end in the year and passed, with at least one attendance
  present or late or with minutes written; **expected** = four quarters of the norms that
  hold for the branch (the whole year's even while it is under way); compliant, hollow,
  `last_held_on` and the attendance rate over the held ones. Null when the organization has
  no branch or joint branch as parent (`instructor_only`, `uncovered`).
- **study**: over the party members working there at `as_of`, as the study figures count
  time: the self-study seconds credited on the days of the year plus, per attendance of a
  集中学习 session starting in the year, check-in to check-out at most the session's
  length (none without a check-out, for a rejected check-in or a cancelled session).
- **notes**: what the secretary or the committee wrote (`PUT …/notes`); version 0 and nulls
  when nothing was saved."""


@router.get(
    "/orgs/{org_id}/annual-report/{year}.xlsx",
    response_class=Response,
    responses={
        200: sheet.answer("年度报告党建部分 (.xlsx)"),
        **READ_REFUSALS,
    },
    description="The section as an Excel sheet (年度报告党建部分): a row per item (板块, 项目, "
    "数值, 说明), with the organization, the year, the day counted and the generation time "
    "at the top." + DEFINITIONS,
)
async def annual_report_sheet(
    org_id: IdPath,
    year: YearPath,
    caller: OrgsReader,
    session: ReadSession,
    runtime: RuntimeDep,
) -> Response:
    """The party-building section of the annual report, as an .xlsx sheet."""
    org = await service.social_org_in_scope(session, caller.scope(Permission.ORGS_READ), org_id)
    period = service.year_period(year, runtime.today())
    found = await service.report(
        session, org, period, now=runtime.clock.now(), today=runtime.today()
    )
    workbook = sheet.build(
        title="社会组织年度报告（党建部分）",
        sheet_name="党建部分",
        filters=service.filter_lines(found),
        generated_at=found.generated_at,
        headings=service.HEADINGS,
        widths=service.WIDTHS,
        rows=service.sheet_rows(found),
        footer=service.FOOTER,
    )
    return sheet.download(
        workbook,
        ascii_name=f"annual-report-{org.id}-{year}.xlsx",
        name=f"{org.name}-{year}年度报告党建部分.xlsx",
    )


@router.get(
    "/orgs/{org_id}/annual-report/{year}",
    responses=READ_REFUSALS,
    description="The party-building section of the organization's annual report for the "
    "year: members, party organization, activities held, study time, and the notes." + DEFINITIONS,
)
async def annual_report(
    org_id: IdPath,
    year: YearPath,
    caller: OrgsReader,
    session: ReadSession,
    runtime: RuntimeDep,
) -> AnnualReportRead:
    """年度报告 党建部分 of a social organization, generated from the data."""
    org = await service.social_org_in_scope(session, caller.scope(Permission.ORGS_READ), org_id)
    period = service.year_period(year, runtime.today())
    return await service.report(
        session, org, period, now=runtime.clock.now(), today=runtime.today()
    )


NOTES_REFUSALS: dict[int | str, dict[str, Any]] = responses(
    OrgNotFound, NotSocialOrg, YearOutOfRange, NotesStale
)


@router.put(
    "/orgs/{org_id}/annual-report/{year}/notes",
    responses=NOTES_REFUSALS,
    description="""Replace the notes of the organization's annual report for the year: 工作亮点
(`highlights`), 存在问题 (`problems`), 下一步计划 (`plans`), each up to 2000 characters of
several lines; a section absent, null or empty is cleared.

Who: `annual_report:write` (secretaries and committee admins) on the organization: one
outside the caller's scope is 404 `org.not_found`, one that is not a social organization 422
`annual.not_social_org`; `year` from 2000 to this year, else 422 `annual.year_out_of_range`.

Concurrency is optimistic: `version` is the version the edit started from (the `version`
of the notes read with the report; 0 when nothing was saved yet). The save succeeds only if
nobody saved in between, and the notes' version goes up by one; otherwise it is 409
`annual.notes_stale` with `details.current_version`, and nothing changes: reload, merge and
save again. Of two saves at once from the same version, exactly one succeeds. Who saved
and when (Beijing time) are kept and shown with the notes.""",
)
async def save_annual_report_notes(
    org_id: IdPath,
    year: YearPath,
    body: NotesWrite,
    caller: NotesWriter,
    session: DbSession,
    runtime: RuntimeDep,
) -> NotesRead:
    """Save the notes of the annual report (optimistic concurrency by `version`)."""
    scope = caller.scope(Permission.ANNUAL_REPORT_WRITE)
    org = await service.social_org_in_scope(session, scope, org_id)
    period = service.year_period(year, runtime.today())
    return await service.save_notes(
        session,
        org,
        period.first.year,
        body,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )


OrgQuery = Annotated[
    int,
    Query(ge=1, le=INT32_MAX, description="The organization whose subtree is listed"),
    Digits,
]
YearQuery = Annotated[
    int, Query(description="The year reported on, 2000 to this year (Beijing time)"), Digits
]


@router.get(
    "/annual-reports",
    responses=responses(OrgNotFound, YearOutOfRange, InvalidCursor),
    description="""For a committee: the social organizations of the subtree of `org_id` (an
organization in the caller's `orgs:read` scope; another: 404 `org.not_found`) entered in the
system by the end of `as_of`, by id, a page at a time, each with the key numbers of its
annual report for `year` (2000 to this year, else 422 `annual.year_out_of_range`), counted
as `GET /orgs/{org_id}/annual-report/{year}` counts them: the party members working there,
the formal ones, the relation here and the transfer-in rate; the coverage and the parent
branch; what that branch held in the year and whether it is compliant or hollow (null when
it has no branch or joint branch as parent, or that branch lies outside the subtree of
`org_id`); the study minutes of the party members working there; and the notes' version (0:
none saved) and when they were last saved. The report of each is
`GET /orgs/{org_id}/annual-report/{year}`.""",
)
async def annual_reports(
    org_id: OrgQuery,
    year: YearQuery,
    caller: OrgsReader,
    session: ReadSession,
    runtime: RuntimeDep,
    page: PageParams,
) -> AnnualReportPage:
    """The key numbers of the annual reports of the subtree's social organizations."""
    root = await orgs_service.get_in_scope(session, caller.scope(Permission.ORGS_READ), org_id)
    today = runtime.today()
    period = service.year_period(year, today)
    found = await service.org_page(
        session,
        root.id,
        period,
        now=runtime.clock.now(),
        today=today,
        after=page.after,
        limit=page.size + 1,
    )
    shown = found[: page.size]
    return AnnualReportPage(
        org_id=root.id,
        name=root.name,
        year=year,
        as_of=min(period.last, today),
        complete=period.last < today,
        items=[AnnualReportLine.model_validate(line) for line in shown],
        next_cursor=encode_cursor(shown[-1].org_id) if len(found) > page.size else None,
    )
