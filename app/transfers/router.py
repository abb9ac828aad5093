"""Relation transfers (组织关系转接): started by a member for themselves
(``/api/v1/me/transfers``) or by a secretary or committee admin (``/api/v1/transfers``),
decided step by step, withdrawn or returned for edits and resubmitted by their starter. The
steps and who decides each: ``app/transfers/service.py``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import CurrentMember, CurrentPrincipal, Requires
from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit import sheet
from app.kit.pagination import Page, PageParams, PageRequest, paginate
from app.kit.types import IdPath
from app.kit.validation import Lax, QueryFlag
from app.members.errors import HoldsRoles, MemberNotFound, SelfRemoval
from app.models import Transfer, TransferAction, TransferEvent, TransferStatus
from app.observability import request_id_var
from app.runtime import RuntimeDep
from app.transfers import service
from app.transfers.errors import (
    AlreadyDecided,
    AlreadyOpen,
    BranchNotFound,
    DestinationRequired,
    MemberDeparted,
    NotABranch,
    NotAPartyMember,
    NotReturned,
    NotStarter,
    NotYourStep,
    OutOfReach,
    OutsideDetails,
    RelationChanged,
    SameBranch,
    TransferClosed,
    TransferNotFound,
)
from app.transfers.schemas import (
    ACTION_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    STEP_LABELS,
    SelfTransferCreate,
    StepDecision,
    StepRefusal,
    TimelineEntry,
    TransferCreate,
    TransferDetail,
    TransferRead,
    TransferResubmit,
    Withdrawal,
)

router = APIRouter(route_class=IdempotentRoute, tags=["transfers"])
TRANSFERS = "/api/v1/transfers"
MINE = "/api/v1/me/transfers"

TransfersManager = Annotated[Principal, Depends(Requires(Permission.TRANSFERS_MANAGE))]
StatusQuery = Annotated[TransferStatus, Lax] | None

PLAN_ERRORS = (
    BranchNotFound,
    NotABranch,
    SameBranch,
    DestinationRequired,
    OutsideDetails,
    NotAPartyMember,
    MemberDeparted,
    AlreadyOpen,
)
DECISION_ERRORS = (TransferNotFound, AlreadyDecided, NotYourStep)


def _read(transfer: Transfer, names: service.Names) -> TransferRead:
    return TransferRead(
        id=transfer.id,
        member_id=transfer.member_id,
        member_name=names.member(transfer.member_id) or "",
        kind=transfer.kind,
        kind_label=KIND_LABELS[transfer.kind],
        status=transfer.status,
        status_label=STATUS_LABELS[transfer.status],
        step=transfer.step,
        step_label=STEP_LABELS[transfer.step] if transfer.step else None,
        steps=service.steps_of(transfer),
        from_org_id=transfer.from_org_id,
        from_name=names.from_name(transfer),
        to_org_id=transfer.to_org_id,
        to_name=names.to_name(transfer),
        committee_id=transfer.committee_id,
        letter_number=transfer.letter_number,
        reason=transfer.reason,
        started_by_name=names.member(transfer.started_by_member_id),
        created_at=transfer.created_at,
        updated_at=transfer.updated_at,
        completed_at=transfer.completed_at,
    )


def _entry(event: TransferEvent, names: service.Names) -> TimelineEntry:
    return TimelineEntry(
        action=event.action,
        action_label=ACTION_LABELS[event.action],
        step=event.step,
        step_label=STEP_LABELS[event.step] if event.step else None,
        actor_name=names.member(event.actor_member_id),
        at=event.created_at,
        reason=event.reason,
    )


async def _detail(session: AsyncSession, transfer: Transfer) -> TransferDetail:
    events = await service.timeline(session, transfer.id)
    names = await service.names_of(session, [transfer], [e.actor_member_id for e in events])
    return TransferDetail(
        **_read(transfer, names).model_dump(),
        timeline=[_entry(event, names) for event in events],
    )


async def _page(
    session: AsyncSession, found: Sequence[Transfer], page: PageRequest
) -> Page[TransferRead]:
    names = await service.names_of(session, found)
    return paginate(TransferRead, [_read(t, names) for t in found], page)


@router.post(
    TRANSFERS,
    status_code=status.HTTP_201_CREATED,
    responses=responses(MemberNotFound, OutOfReach, *PLAN_ERRORS),
)
async def create_transfer(
    body: TransferCreate, caller: TransfersManager, session: DbSession, runtime: RuntimeDep
) -> TransferDetail:
    """Start a transfer for a member of the caller's scope, out of an organization of their
    scope or into one. The member's relation is where it comes from (none: from outside the
    system, with ``from_outside_name`` and ``letter_number``); ``to_org_id`` a branch, or
    ``to_outside_name`` with ``letter_number`` for one leaving the system."""
    transfer = await service.create(
        session, caller, body, member_id=body.member_id, for_self=False, now=runtime.clock.now()
    )
    return await _detail(session, transfer)


@router.get(TRANSFERS)
async def list_transfers(
    caller: TransfersManager,
    session: ReadSession,
    page: PageParams,
    status: StatusQuery = None,
    waiting_on_me: QueryFlag = False,
) -> Page[TransferRead]:
    """The transfers the caller may decide a step of (out of or into their scope, or crossing
    into their committee's), newest first; ``status`` filters; ``waiting_on_me=true``: only
    those whose step waiting is the caller's to decide (their to-do list)."""
    found = await service.list_managed(
        session,
        caller,
        status=status,
        waiting_on_me=waiting_on_me,
        after_id=page.after,
        limit=page.size + 1,
    )
    return await _page(session, found, page)


SHEET_ROWS = 10_000
HEADINGS = (
    "编号", "党员", "类型", "转出组织", "转入组织", "介绍信编号", "状态", "待办步骤", "发起人",
    "发起时间", "完成时间",
)  # fmt: skip
WIDTHS = (8, 12, 14, 28, 28, 16, 10, 16, 12, 18, 18)


def _sheet_row(item: TransferRead) -> list[str | int]:
    return [
        item.id, item.member_name, item.kind_label, item.from_name, item.to_name,
        item.letter_number or "", item.status_label, item.step_label or "",
        item.started_by_name or "", sheet.local(item.created_at),
        sheet.local(item.completed_at),
    ]  # fmt: skip


@router.get(
    f"{TRANSFERS}.xlsx",
    response_class=Response,
    responses={200: sheet.answer("组织关系转接 (.xlsx)")},
)
async def transfers_sheet(
    caller: TransfersManager,
    session: ReadSession,
    runtime: RuntimeDep,
    status: StatusQuery = None,
) -> Response:
    """The transfers of ``GET /transfers`` (those the caller may decide a step of), newest
    first, at most 10,000, as an Excel sheet (组织关系转接) with the filter and the generation
    time at the top."""
    found = await service.list_managed(
        session, caller, status=status, after_id=None, limit=SHEET_ROWS
    )
    names = await service.names_of(session, found)
    items = [_read(t, names) for t in found]
    workbook = sheet.build(
        title="组织关系转接",
        sheet_name="组织关系转接",
        filters=[f"状态：{STATUS_LABELS[status] if status is not None else '全部'}"],
        generated_at=runtime.clock.now(),
        headings=HEADINGS,
        widths=WIDTHS,
        rows=(_sheet_row(item) for item in items),
        footer=[f"共 {len(items)} 件"],
    )
    return sheet.download(workbook, ascii_name="transfers.xlsx", name="组织关系转接.xlsx")


@router.post(
    MINE,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*PLAN_ERRORS),
)
async def ask_transfer(
    body: SelfTransferCreate, caller: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> TransferDetail:
    """A member asks for their own transfer: into a branch of the system (``to_org_id``) or
    out of it (``to_outside_name`` and ``letter_number``)."""
    transfer = await service.create(
        session, caller, body, member_id=caller.member_id, for_self=True, now=runtime.clock.now()
    )
    return await _detail(session, transfer)


@router.get(MINE)
async def my_transfers(
    caller: CurrentMember,
    session: ReadSession,
    page: PageParams,
    status: StatusQuery = None,
) -> Page[TransferRead]:
    """The caller's own transfers and the ones they started, newest first."""
    found = await service.list_own(
        session, caller, status=status, after_id=page.after, limit=page.size + 1
    )
    return await _page(session, found, page)


@router.get(f"{TRANSFERS}/{{transfer_id}}", responses=responses(TransferNotFound))
async def get_transfer(
    transfer_id: IdPath, caller: CurrentPrincipal, session: ReadSession
) -> TransferDetail:
    """A transfer with its timeline (who did what at which step, when, why), for whoever may
    decide one of its steps, its member and its starter; anyone else: 404."""
    transfer = await service.get_visible(session, caller, transfer_id)
    return await _detail(session, transfer)


async def _decide(
    session: DbSession,
    runtime: RuntimeDep,
    caller: Principal,
    transfer_id: int,
    body: StepDecision,
    action: TransferAction,
    reason: str | None,
) -> TransferDetail:
    transfer = await service.decide(
        session,
        runtime.settings,
        runtime.cipher,
        caller,
        transfer_id,
        body.step,
        action,
        reason=reason,
        request_id=request_id_var.get(),
        today=runtime.today(),
        now=runtime.clock.now(),
    )
    return await _detail(session, transfer)


@router.post(
    f"{TRANSFERS}/{{transfer_id}}/approve",
    responses=responses(*DECISION_ERRORS, MemberDeparted, RelationChanged, SelfRemoval, HoldsRoles),
)
async def approve_transfer(
    transfer_id: IdPath,
    body: StepDecision,
    caller: TransfersManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> TransferDetail:
    """Approve the step waiting (named by ``step``: another answers 409
    ``transfer.already_decided``; of two approvals at once one lands, the other is that 409).
    Branch steps are decided with ``transfers:manage`` over the branch; the committee step,
    which only a transfer between two committees' branches has, with
    ``transfers:committee`` over the nearest committee above the in-branch. The last step
    completes the transfer: the member's
    relation moves to the in-branch, or for one leaving the system the member departs with
    the reason ``transferred_out``; the roster ledger records either."""
    return await _decide(
        session, runtime, caller, transfer_id, body, TransferAction.APPROVED, reason=None
    )


@router.post(f"{TRANSFERS}/{{transfer_id}}/reject", responses=responses(*DECISION_ERRORS))
async def reject_transfer(
    transfer_id: IdPath,
    body: StepRefusal,
    caller: TransfersManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> TransferDetail:
    """Refuse the step waiting, with a reason: the transfer ends, the relation stays."""
    return await _decide(
        session, runtime, caller, transfer_id, body, TransferAction.REJECTED, body.reason
    )


@router.post(f"{TRANSFERS}/{{transfer_id}}/return", responses=responses(*DECISION_ERRORS))
async def return_transfer(
    transfer_id: IdPath,
    body: StepRefusal,
    caller: TransfersManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> TransferDetail:
    """Send it back to its starter for edits, with a reason; they resubmit it."""
    return await _decide(
        session, runtime, caller, transfer_id, body, TransferAction.RETURNED, body.reason
    )


@router.post(
    f"{TRANSFERS}/{{transfer_id}}/withdraw",
    responses=responses(TransferNotFound, NotStarter, TransferClosed),
)
async def withdraw_transfer(
    transfer_id: IdPath,
    body: Withdrawal,
    caller: CurrentPrincipal,
    session: DbSession,
    runtime: RuntimeDep,
) -> TransferDetail:
    """Its starter withdraws it, any time before it is completed, rejected or withdrawn."""
    transfer = await service.withdraw(
        session, caller, transfer_id, reason=body.reason, now=runtime.clock.now()
    )
    return await _detail(session, transfer)


@router.post(
    f"{TRANSFERS}/{{transfer_id}}/resubmit",
    responses=responses(TransferNotFound, NotStarter, NotReturned, OutOfReach, *PLAN_ERRORS),
)
async def resubmit_transfer(
    transfer_id: IdPath,
    body: TransferResubmit,
    caller: CurrentPrincipal,
    session: DbSession,
    runtime: RuntimeDep,
) -> TransferDetail:
    """Its starter edits a returned transfer (the fields sent change, the rest stay; to
    switch between an in-branch and an organization outside, send the other as null) and
    resubmits it: it passes every step again from the first."""
    transfer = await service.resubmit(session, caller, transfer_id, body, now=runtime.clock.now())
    return await _detail(session, transfer)
