"""Head counts of a subtree's social organizations and the transfer-in rate, the totals
quarter by quarter with the additions and removals, the roster ledger behind them, and an
.xlsx sheet of each (issue 13 items 3 and 9)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.db import ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit import sheet
from app.kit.pagination import InvalidCursor, PageParams, decode_key, encode_cursor
from app.kit.validation import IsoDate
from app.models import Organization, RosterChangeKind
from app.orgs import service as orgs_service
from app.orgs.errors import OrgNotFound
from app.oversight import headcount, periods
from app.oversight.dependencies import AsOfQuery, OrgQuery, OversightReader
from app.oversight.errors import AsOfInFuture
from app.oversight.headcount_errors import InvalidDayRange, InvalidQuarterRange, QuarterInFuture
from app.oversight.headcount_schemas import (
    HeadcountItem,
    HeadcountRead,
    HeadcountTotals,
    QuarterRead,
    RosterChangePage,
    RosterChangeRead,
    TrendRead,
)
from app.runtime import Runtime, RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/oversight", tags=["oversight"])

LONGEST_TREND = 40  # quarters: the trend runs one totals statement per quarter


def _quarter(text: str | None) -> str | None:
    if text is None:
        return None
    found = periods.parse(text)
    if found is None or found.quarters != 1:
        raise PydanticCustomError("period.quarter", "应为季度（如 2026-Q3），年份在 2000—2100 之间")
    return text


QuarterFrom = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=7,
        description="The first quarter (2026-Q1); three quarters before `to` by default",
    ),
    AfterValidator(_quarter),
]
QuarterTo = Annotated[
    str | None,
    Query(max_length=7, description="The last quarter, included; the current one by default"),
    AfterValidator(_quarter),
]
DayFrom = Annotated[
    IsoDate | None, Query(alias="from", description="First day (Beijing), included; no limit")
]
DayTo = Annotated[IsoDate | None, Query(description="Last day (Beijing), included; no limit")]
KindQuery = Annotated[RosterChangeKind | None, Query(description="Only this kind of change")]

DEFINITIONS = """

Counted: the social organizations of the subtree of `org_id`, an organization in the
caller's `oversight:read` scope (another: 404 `org.not_found`), and the members working at
them (`workplace_org_id`).

- **Formal members working there**: members with `party_status = full_member` and
  `workplace_org_id` = that organization. **Party members working there**: full and
  probationary. **Relation here**: of those, the ones whose `relation_org_id` is the
  organization's parent when that parent is a branch or a joint branch (a parent that is a
  committee or a general branch gives no relation here, whatever the relation).
- **Transfer-in rate** = relation here ÷ party members working there, to 4 places (null when
  0). The totals' rate is Σ relation here ÷ Σ party members working there (null when 0).
- `staff_count` is the 从业人员数 the organization records (null: none recorded); the totals
  add those recorded and count the organizations without one (`staff_unrecorded`).
- **as_of** (a day in Beijing time, today by default, never after today) is read from the
  members' dates, not replayed from the roster ledger (the ledger counts a member where
  their relation lies, these figures where they work). A member counts at the end of
  `as_of` if they were entered in the system by then (`created_at`) and had neither left
  (`left_on`) nor had their departure recorded (`departed_at`) by then: one who joined after
  `as_of` is not counted, one who left on or before it is not. A member's status, workplace
  and relation, and the organization tree, keep no history: they are today's, and only the
  social organizations entered by the end of `as_of` are listed. Today's figure is exact."""

LEDGER_DEFINITIONS = """

- **The roster ledger** (增减台账): one row per addition to or removal from an
  organization's roster (the member's relation, else their workplace), written by the
  member, transfer and roster-import services in the same transaction as the change, never
  by hand. Additions: `joined` 新增, `transferred_in` 组织关系转入; removals: the departure
  reasons (`transferred_out` 组织关系转出, `moved_away` 离职或迁离, `deceased` 去世,
  `withdrew` 退党, `expelled` 开除党籍, `struck_off` 除名, `probation_cancelled` 取消预备党员
  资格). A move between two organizations is a removal from one and an addition to the
  other, on the same day.
- Only party members' rows count (the member full or probationary at the change); a row
  belongs to the subtree when its organization lies in it; its day is `occurred_on`, the day
  it took effect, in Beijing time."""


async def _chosen(session: AsyncSession, caller: Principal, org_id: int) -> Organization:
    return await orgs_service.get_in_scope(session, caller.scope(Permission.OVERSIGHT_READ), org_id)


def _as_of(runtime: Runtime, as_of: date | None) -> date:
    today = runtime.today()
    if as_of is None:
        return today
    if as_of > today:
        raise AsOfInFuture()
    return as_of


def _totals(found: headcount.Totals) -> HeadcountTotals:
    return HeadcountTotals(**found.__dict__, transfer_in_rate=found.transfer_in_rate)


def _item(org: headcount.OrgCount) -> HeadcountItem:
    return HeadcountItem(**org.__dict__, transfer_in_rate=org.transfer_in_rate)


@router.get(
    "/headcount",
    responses=responses(OrgNotFound, AsOfInFuture, InvalidCursor),
    description="Per social organization of the subtree, by id, a page at a time: its staff, "
    "the party members working there, the formal ones, those whose relation is here and the "
    "transfer-in rate; and the subtree's totals (all pages)." + DEFINITIONS,
)
async def headcount_list(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    page: PageParams,
    as_of: AsOfQuery = None,
) -> HeadcountRead:
    """Head counts and the transfer-in rate of the subtree's social organizations."""
    org = await _chosen(session, caller, org_id)
    day = _as_of(runtime, as_of)
    found = await headcount.page(session, org.id, day, after=page.after, limit=page.size + 1)
    shown = found[: page.size]
    return HeadcountRead(
        org_id=org.id,
        name=org.name,
        as_of=day,
        totals=_totals(await headcount.totals(session, org.id, day)),
        items=[_item(item) for item in shown],
        next_cursor=encode_cursor(shown[-1].org_id) if len(found) > page.size else None,
    )


@router.get(
    "/headcount.xlsx",
    response_class=Response,
    responses={
        200: sheet.answer("社会组织党员人数 (.xlsx)"),
        **responses(OrgNotFound, AsOfInFuture),
    },
    description="The head counts as an Excel sheet (社会组织党员人数), every organization and a "
    "合计 row, with the filters and the generation time at the top." + DEFINITIONS,
)
async def headcount_sheet(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    as_of: AsOfQuery = None,
) -> Response:
    """Head counts and the transfer-in rate, as an .xlsx sheet."""
    org = await _chosen(session, caller, org_id)
    day = _as_of(runtime, as_of)
    workbook = sheet.build(
        title="社会组织党员人数及组织关系转入情况",
        sheet_name="党员人数",
        filters=headcount.filter_lines(org, day, runtime.today()),
        generated_at=runtime.clock.now(),
        headings=headcount.HEADINGS,
        widths=headcount.WIDTHS,
        rows=headcount.sheet_rows(
            await headcount.every(session, org.id, day),
            await headcount.totals(session, org.id, day),
        ),
        footer=headcount.FOOTER,
    )
    return sheet.download(
        workbook, ascii_name=f"headcount-{org.id}.xlsx", name=f"{org.name}-社会组织党员人数.xlsx"
    )


TREND_DEFINITIONS = (
    """

Quarters (`2026-Q1`) in Beijing days, `from` to `to` included, at most 40, none after the
current one (`oversight.quarter_in_future`); by default the current quarter and the three
before it. Each quarter's totals are those of `/headcount` with `as_of` its last day (today
for the current quarter); its `changes` are the party members' ledger rows of the subtree
whose day lies in the quarter, per kind (every kind listed, zeros too): the rows behind each
number are `/roster-changes?from=<first>&to=<last>&kind=<kind>`. The ledger counts members
where their relation lies, the totals where they work: the changes need not add up to the
difference of two quarters' totals."""
    + DEFINITIONS
    + LEDGER_DEFINITIONS
)


def _quarters(runtime: Runtime, first: str | None, last: str | None) -> list[periods.Period]:
    current = periods.quarter_of(runtime.today())
    end = current if last is None else periods.chosen(last, today=runtime.today())
    if end.first > current.first:
        raise QuarterInFuture()
    if first is None:
        year, quarter = end.first.year, (end.first.month - 1) // 3 + 1
        back = year * 4 + quarter - 1 - 3
        start = periods.parse(f"{back // 4:04d}-Q{back % 4 + 1}") or end
    else:
        start = periods.chosen(first, today=runtime.today())
    if start.first > end.first:
        raise InvalidQuarterRange()
    found = headcount.quarters(start, end)
    if len(found) > LONGEST_TREND:
        raise InvalidQuarterRange(details={"longest_quarters": LONGEST_TREND})
    return found


TREND_REFUSALS = responses(OrgNotFound, InvalidQuarterRange, QuarterInFuture)


@router.get(
    "/headcount/trend",
    responses=TREND_REFUSALS,
    description="The subtree's head-count totals at each quarter's end, with the quarter's "
    "additions and removals by kind from the roster ledger." + TREND_DEFINITIONS,
)
async def headcount_trend(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    from_: QuarterFrom = None,
    to: QuarterTo = None,
) -> TrendRead:
    """Head counts quarter by quarter, and the additions and removals of each quarter."""
    org = await _chosen(session, caller, org_id)
    chosen = _quarters(runtime, from_, to)
    figures = await headcount.trend(session, org.id, chosen, today=runtime.today())
    return TrendRead(
        org_id=org.id,
        name=org.name,
        from_=chosen[0].name,
        to=chosen[-1].name,
        kind_labels=headcount.KIND_LABELS,
        items=[
            QuarterRead(
                period=figure.period.name,
                label=figure.period.label,
                first=figure.period.first,
                last=figure.period.last,
                as_of=figure.as_of,
                totals=_totals(figure.totals),
                changes=figure.changes,
                added=figure.added,
                removed=figure.removed,
            )
            for figure in figures
        ],
    )


@router.get(
    "/headcount/trend.xlsx",
    response_class=Response,
    responses={
        200: sheet.answer("党员人数季度变化 (.xlsx)"),
        **TREND_REFUSALS,
    },
    description="The trend as an Excel sheet (党员人数季度变化): a row per quarter, with the "
    "filters and the generation time at the top." + TREND_DEFINITIONS,
)
async def headcount_trend_sheet(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    from_: QuarterFrom = None,
    to: QuarterTo = None,
) -> Response:
    """Head counts quarter by quarter, as an .xlsx sheet."""
    org = await _chosen(session, caller, org_id)
    chosen = _quarters(runtime, from_, to)
    figures = await headcount.trend(session, org.id, chosen, today=runtime.today())
    workbook = sheet.build(
        title="党员人数季度变化及增减情况",
        sheet_name="季度变化",
        filters=headcount.trend_filter_lines(org, chosen),
        generated_at=runtime.clock.now(),
        headings=headcount.TREND_HEADINGS,
        widths=headcount.TREND_WIDTHS,
        rows=headcount.trend_rows(figures),
        footer=headcount.TREND_FOOTER,
    )
    return sheet.download(
        workbook,
        ascii_name=f"headcount-trend-{org.id}-{chosen[0].name}-{chosen[-1].name}.xlsx",
        name=f"{org.name}-党员人数季度变化-{chosen[0].name}至{chosen[-1].name}.xlsx",
    )


LEDGER_DESCRIPTION = (
    """

Counted: the ledger rows of the organizations of the subtree of `org_id`, an organization
in the caller's `oversight:read` scope (another: 404 `org.not_found`), newest first (by the
day each took effect, then by when it was recorded); `from` and `to` (Beijing days,
included) filter that day, `kind` the kind. Each row shows the member's name (as it is now;
an erased member's placeholder), the kind and its Chinese label, addition or removal, the
note recorded with it (`reason`), the organization, the day and when it was recorded in
Beijing time."""
    + LEDGER_DEFINITIONS
)


def _ledger_filter(
    first: date | None, last: date | None, kind: RosterChangeKind | None
) -> headcount.LedgerFilter:
    if first is not None and last is not None and first > last:
        raise InvalidDayRange()
    return headcount.LedgerFilter(first, last, kind)


LEDGER_REFUSALS = responses(OrgNotFound, InvalidDayRange)


@router.get(
    "/roster-changes",
    responses={**LEDGER_REFUSALS, **responses(InvalidCursor)},
    description="The roster ledger's rows (增减台账), a page at a time." + LEDGER_DESCRIPTION,
)
async def roster_changes(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    page: PageParams,
    from_: DayFrom = None,
    to: DayTo = None,
    kind: KindQuery = None,
) -> RosterChangePage:
    """The additions to and removals from the subtree's rosters, with their reasons."""
    org = await _chosen(session, caller, org_id)
    chosen = _ledger_filter(from_, to, kind)
    after = None if page.cursor is None else decode_key(page.cursor, headcount.LedgerKey)
    found = await headcount.ledger_page(session, org.id, chosen, after=after, limit=page.size + 1)
    shown = found[: page.size]
    return RosterChangePage(
        org_id=org.id,
        name=org.name,
        items=[RosterChangeRead.model_validate(line) for line in shown],
        next_cursor=(
            encode_cursor(headcount.ledger_key(shown[-1])) if len(found) > page.size else None
        ),
    )


@router.get(
    "/roster-changes.xlsx",
    response_class=Response,
    responses={200: sheet.answer("党员增减台账 (.xlsx)"), **LEDGER_REFUSALS},
    description="The ledger's rows as an Excel sheet (党员增减台账), every one, with the "
    "filters and the generation time at the top." + LEDGER_DESCRIPTION,
)
async def roster_changes_sheet(
    org_id: OrgQuery,
    caller: OversightReader,
    session: ReadSession,
    runtime: RuntimeDep,
    from_: DayFrom = None,
    to: DayTo = None,
    kind: KindQuery = None,
) -> Response:
    """The roster ledger's rows, as an .xlsx sheet."""
    org = await _chosen(session, caller, org_id)
    chosen = _ledger_filter(from_, to, kind)
    lines = await headcount.every_line(session, org.id, chosen)
    workbook = sheet.build(
        title="党员增减台账",
        sheet_name="增减台账",
        filters=headcount.ledger_filter_lines(org, chosen),
        generated_at=runtime.clock.now(),
        headings=headcount.LEDGER_HEADINGS,
        widths=headcount.LEDGER_WIDTHS,
        rows=headcount.ledger_rows(lines),
        footer=headcount.ledger_footer(lines),
    )
    return sheet.download(
        workbook, ascii_name=f"roster-changes-{org.id}.xlsx", name=f"{org.name}-党员增减台账.xlsx"
    )
