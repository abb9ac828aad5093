"""Q&A figures over a period for those who read Q&A in a subtree, also as an .xlsx sheet."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.errors import InvalidPeriod
from app.attendance.service import Period
from app.auth.dependencies import Requires
from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.db import ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit import sheet
from app.kit.types import INT32_MAX, Digits
from app.kit.validation import IsoDate
from app.models import Organization
from app.orgs import service as orgs_service
from app.orgs.errors import OrgNotFound
from app.qa import figures
from app.qa.figure_errors import PeriodTooLong
from app.qa.figures_schemas import InstructorQaFigure, OrgQaFigure, QaFigure, QaFigures
from app.runtime import Runtime, RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/qa", tags=["qa"])

QaReader = Annotated[Principal, Depends(Requires(Permission.QA_READ))]
OrgQuery = Annotated[
    int, Query(ge=1, le=INT32_MAX, description="The organization whose subtree is counted"), Digits
]
# As the study figures: days in Beijing time, both ends included, at most a year.
PeriodStart = Annotated[
    IsoDate | None, Query(alias="from", description="First day; a year before `to` by default")
]
PeriodEnd = Annotated[IsoDate | None, Query(description="Last day, included; today by default")]

DEFINITIONS = """

Days are in Beijing time (Asia/Shanghai), `from` and `to` included, at most 366 days.
Counted: the questions asked in the period (from 00:00 of `from` to 00:00 of the day after
`to`) and routed to an organization of the subtree of `org_id`, an organization in the
caller's Q&A scope (another: 404); one pending review or rejected is not counted. The
figures are read at the **cutoff**, the end of the period or now, whichever is earlier:
what happened after it changes nothing.

- Per organization: by the organization a question is routed to (who is responsible for
  answering it), not the asker's.
- Per instructor: a question answered before the cutoff counts for the member who wrote its
  first visible answer (the one whose appearance set its first-answered time); one not
  answered by then counts for its assignee once it was reassigned to one person, and for no
  instructor while it is routed to a role.
- Asked: the questions counted. Answered: of them, those whose first visible answer came
  before the cutoff.
- Time to first answer: from asking to the first visible answer, in seconds, over the
  answered ones: the median and the 90th percentile, both by linear interpolation between
  the nearest ranks (PostgreSQL's percentile_cont), rounded to the second; null where none
  was answered.
- Open over 48 h: of the asked, those that at the cutoff had waited more than 48 hours
  (exactly 48 h is not more) with no visible answer and were not closed before it."""

SHEET: dict[int | str, dict[str, Any]] = {200: sheet.answer("问答情况 (.xlsx)")}
REFUSALS = responses(OrgNotFound, InvalidPeriod, PeriodTooLong)


async def _figures(
    session: AsyncSession,
    caller: Principal,
    runtime: Runtime,
    org_id: int,
    start: date | None,
    end: date | None,
) -> tuple[Organization, Period, figures.QaFigures]:
    org = await orgs_service.get_in_scope(session, caller.scope(Permission.QA_READ), org_id)
    chosen = figures.period(start, end, today=runtime.today())
    return org, chosen, await figures.figures(session, org, chosen, runtime.clock.now())


@router.get(
    "/figures",
    responses=REFUSALS,
    description="Questions asked and answered, time to the first answer and questions "
    "waiting over 48 h in the subtree in the period: in total, per organization routed to "
    "and per instructor." + DEFINITIONS,
)
async def question_figures(
    org_id: OrgQuery,
    caller: QaReader,
    session: ReadSession,
    runtime: RuntimeDep,
    start: PeriodStart = None,
    to: PeriodEnd = None,
) -> QaFigures:
    org, chosen, found = await _figures(session, caller, runtime, org_id, start, to)
    return QaFigures(
        org_id=org.id,
        name=org.name,
        from_=chosen.first,
        to=chosen.last,
        cutoff=found.cutoff,
        total=QaFigure.model_validate(found.total),
        by_org=[OrgQaFigure.model_validate(line) for line in found.by_org],
        by_instructor=[InstructorQaFigure.model_validate(line) for line in found.by_instructor],
    )


@router.get(
    "/figures.xlsx",
    response_class=Response,
    responses={**SHEET, **REFUSALS},
    description="The figures as an Excel sheet (问答情况): a row per organization routed "
    "to, the subtree's 合计 row, then a row per instructor; times in minutes to one "
    "decimal." + DEFINITIONS,
)
async def question_figures_sheet(
    org_id: OrgQuery,
    caller: QaReader,
    session: ReadSession,
    runtime: RuntimeDep,
    start: PeriodStart = None,
    to: PeriodEnd = None,
) -> Response:
    org, chosen, found = await _figures(session, caller, runtime, org_id, start, to)
    workbook = sheet.build(
        title="问答情况",
        sheet_name="问答情况",
        filters=figures.filter_lines(org, chosen, found),
        generated_at=runtime.clock.now(),
        headings=figures.HEADINGS,
        widths=figures.WIDTHS,
        rows=figures.sheet_rows(found),
    )
    return sheet.download(
        workbook, ascii_name=f"qa-figures-{org.id}.xlsx", name=f"{org.name}-问答情况.xlsx"
    )
