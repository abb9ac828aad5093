"""Nominations for the committee's honours, its decision, the list per organization and
year, and the .xlsx sheet of it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.permissions import Permission
from app.auth.scope import Scope
from app.db import DbSession, ReadSession
from app.errors import responses
from app.honours import service
from app.honours.dependencies import Decider, HonoursReader, Nominator
from app.honours.errors import (
    AlreadyDecided,
    AlreadyNominated,
    NoCommittee,
    NominationNotFound,
    WrongSubject,
)
from app.honours.schemas import DecisionWrite, NominationCreate, NominationPage, NominationRead
from app.idempotency.route import IdempotentRoute
from app.kit import sheet
from app.kit.pagination import InvalidCursor, PageParams, encode_cursor
from app.kit.types import INT32_MAX, Digits, IdPath
from app.kit.validation import Lax
from app.members.errors import MemberNotFound
from app.models import HONOUR_KIND_LABELS, NOMINATION_STATUS_LABELS, HonourKind, NominationStatus
from app.orgs import service as orgs_service
from app.orgs.errors import OrgNotFound
from app.runtime import RuntimeDep

router = APIRouter(
    route_class=IdempotentRoute, prefix="/api/v1/honours/nominations", tags=["honours"]
)

DEFINITIONS = """

- Honours: `double_strong_branch` 双强党支部 (a branch or joint branch, `org_id`);
  `double_strong_member` 双强党员 and `model_post` 党员示范岗 (a current full or probationary
  member, `member_id`). One nomination of a subject per honour and year
  (`honours.already_nominated`).
- A nomination's **organization** is the branch itself, or the member's branch (组织关系所在;
  where none is recorded, the organization they work at); its **committee**, which decides,
  is the nearest committee above that organization.
- Nominating takes `honours:nominate` over the subject (secretaries, committee admins);
  deciding `honours:decide` over the committee (committee admins), once
  (`honours.already_decided`); reading `orgs:read` over the nomination's organization.
  Anything outside the scope answers 404."""

OrgQuery = Annotated[
    int,
    Query(
        ge=1, le=INT32_MAX, description="The organization whose subtree's nominations are listed"
    ),
    Digits,
]
YearQuery = Annotated[int, Query(ge=2000, le=2100, description="The year of the honour"), Digits]
StatusQuery = Annotated[Annotated[NominationStatus, Lax] | None, Query()]
KindQuery = Annotated[Annotated[HonourKind, Lax] | None, Query()]
EVERYWHERE = Scope(everywhere=True)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=responses(OrgNotFound, MemberNotFound, WrongSubject, AlreadyNominated, NoCommittee),
    description="Nominate a branch or a member of the caller's scope for an honour of a "
    "year, with a reason; it waits for the committee's decision." + DEFINITIONS,
)
async def nominate(
    body: NominationCreate, caller: Nominator, session: DbSession, runtime: RuntimeDep
) -> NominationRead:
    """Nominate for 双强党支部, 双强党员 or 党员示范岗."""
    nomination_id = await service.nominate(
        session,
        caller.scope(Permission.HONOURS_NOMINATE),
        body,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    # Read back unscoped: a member nominated through where they work keeps their branch.
    return service.to_read(await service.get_readable(session, EVERYWHERE, nomination_id))


@router.get(
    "",
    responses=responses(OrgNotFound, InvalidCursor),
    description="The nominations of a year whose organization lies in the subtree of "
    "`org_id` (an organization in the caller's `orgs:read` scope), by id, a page at a time; "
    "`status` and `kind` narrow it." + DEFINITIONS,
)
async def list_nominations(
    org_id: OrgQuery,
    year: YearQuery,
    caller: HonoursReader,
    session: ReadSession,
    page: PageParams,
    status: StatusQuery = None,
    kind: KindQuery = None,
) -> NominationPage:
    """The nominations of a subtree and year."""
    org = await orgs_service.get_in_scope(session, caller.scope(Permission.ORGS_READ), org_id)
    rows = await service.page(
        session, org.id, year, status, kind, after=page.after, limit=page.size + 1
    )
    shown = rows[: page.size]
    return NominationPage(
        items=[service.to_read(row) for row in shown],
        next_cursor=encode_cursor(shown[-1].Nomination.id) if len(rows) > page.size else None,
    )


@router.get(
    ".xlsx",
    response_class=Response,
    responses={
        200: sheet.answer("荣誉推荐情况 (.xlsx)"),
        **responses(OrgNotFound),
    },
    description="The same nominations as an Excel sheet (荣誉推荐情况), every one, with the "
    "filters and the generation time at the top." + DEFINITIONS,
)
async def nominations_sheet(
    org_id: OrgQuery,
    year: YearQuery,
    caller: HonoursReader,
    session: ReadSession,
    runtime: RuntimeDep,
    status: StatusQuery = None,
    kind: KindQuery = None,
) -> Response:
    """The nominations of a subtree and year, as an .xlsx sheet."""
    org = await orgs_service.get_in_scope(session, caller.scope(Permission.ORGS_READ), org_id)
    items = [
        service.to_read(row) for row in await service.every(session, org.id, year, status, kind)
    ]
    filters = [f"组织：{org.name}", f"年度：{year}"]
    if kind is not None:
        filters.append(f"荣誉项目：{HONOUR_KIND_LABELS[kind]}")
    if status is not None:
        filters.append(f"状态：{NOMINATION_STATUS_LABELS[status]}")
    counted = {s: sum(item.status is s for item in items) for s in NominationStatus}
    workbook = sheet.build(
        title=f"{year}年度荣誉推荐情况",
        sheet_name="荣誉推荐",
        filters=filters,
        generated_at=runtime.clock.now(),
        headings=service.HEADINGS,
        widths=service.WIDTHS,
        rows=service.sheet_rows(items, sheet.local),
        footer=[
            f"共 {len(items)} 项，"
            + "，".join(f"{NOMINATION_STATUS_LABELS[s]} {n} 项" for s, n in counted.items())
        ],
    )
    return sheet.download(
        workbook,
        ascii_name=f"nominations-{org.id}-{year}.xlsx",
        name=f"{org.name}-{year}年度荣誉推荐.xlsx",
    )


@router.get(
    "/{nomination_id}",
    responses=responses(NominationNotFound),
    description="One nomination, with its decision once taken." + DEFINITIONS,
)
async def get_nomination(
    nomination_id: IdPath, caller: HonoursReader, session: ReadSession
) -> NominationRead:
    """A nomination."""
    row = await service.get_readable(session, caller.scope(Permission.ORGS_READ), nomination_id)
    return service.to_read(row)


@router.post(
    "/{nomination_id}/decision",
    responses=responses(NominationNotFound, AlreadyDecided),
    description="The committee's decision, approved or rejected with a reason, taken once: "
    "a second decision, even at the same moment, answers 409 `honours.already_decided`."
    + DEFINITIONS,
)
async def decide(
    nomination_id: IdPath,
    body: DecisionWrite,
    caller: Decider,
    session: DbSession,
    runtime: RuntimeDep,
) -> NominationRead:
    """Approve or reject a nomination."""
    scope = caller.scope(Permission.HONOURS_DECIDE)
    await service.decide(
        session, scope, nomination_id, body, account_id=caller.account_id, now=runtime.clock.now()
    )
    return service.to_read(await service.get_readable(session, scope, nomination_id))
