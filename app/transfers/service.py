"""Relation transfers (组织关系转接): who may start one, the steps it passes, who decides
each, and what completion changes.

Steps. Inside the system: the out-branch's approval (转出审批), then, only when the two
branches lie under different committees, the committee's approval (党委审批), then the
in-branch's acceptance (转入接收). "Under" means the nearest committee above a branch; the
committee that approves a crossing is the nearest one above the **in-branch**: it takes the
member into its territory and answers for the branch that receives them. To or from outside
the system only the inside branch's step exists (out-branch approval for 转出系统外,
in-branch acceptance for 从系统外转入), and the transfer carries the letter number
(介绍信编号) and the other side's name.

Who. A member asks for themselves; a holder of ``transfers:manage`` starts one for a member
of their scope, out of or into an organization of their scope. A branch step is decided by
``transfers:manage`` over that branch, the committee step by ``transfers:committee`` over
that committee. A transfer is seen by whoever may decide one of its steps (any step, before
or after), by its member and by its starter; anyone else: 404.

One decision per step: a decision names the step it decides and runs on the transfer's row
locked (SELECT ... FOR UPDATE): of two at once the second finds the step moved on and is
refused ``transfer.already_decided``.

Return and resubmit: a returned transfer is back with its starter, who may edit it and
resubmit; it then passes every step again from the first (an edit may change the in-branch,
and with it who must approve).

Completion goes through the members' service, so the roster ledger records it: inside, the
member's relation moves (``members.service.update``: transferred_out at the out-branch,
transferred_in at the in-branch); to outside, the member departs with the reason
``transferred_out`` (``members.service.depart``), the note naming the receiving organization
and the letter number."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission
from app.auth.scope import Principal, Scope
from app.config import Settings
from app.kit.crypto import FieldCipher
from app.kit.time import shown
from app.members import service as members_service
from app.members.schemas import DepartureCreate, MemberUpdate
from app.models import (
    OPEN_TRANSFER_STATUSES,
    Member,
    NotificationKind,
    Organization,
    OrgClosure,
    OrgKind,
    PartyStatus,
    Role,
    RoleAssignment,
    Transfer,
    TransferAction,
    TransferEvent,
    TransferKind,
    TransferStatus,
    TransferStep,
)
from app.models.orgs import BRANCH_KINDS
from app.notify.outbox import notify
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
from app.transfers.schemas import STEP_LABELS, TransferFields

DETAIL_PAGE = "pages/transfers/detail?id={id}"
PARTY_STATUSES = frozenset({PartyStatus.FULL_MEMBER, PartyStatus.PROBATIONARY})
DECISION_PHRASES = {
    TransferAction.APPROVED: "已同意",
    TransferAction.RETURNED: "已退回",
    TransferAction.REJECTED: "未通过",
    TransferAction.COMPLETED: "已完成",
}
_EDITABLE = ("to_org_id", "to_outside_name", "from_outside_name", "letter_number", "reason")


def subject(transfer_id: int) -> str:
    """What every notification about one transfer is about: the newest supersedes the rest."""
    return f"transfer:{transfer_id}"


def steps_of(transfer: Transfer) -> list[TransferStep]:
    if transfer.kind is TransferKind.OUTBOUND:
        return [TransferStep.OUT_BRANCH]
    if transfer.kind is TransferKind.INBOUND:
        return [TransferStep.IN_BRANCH]
    committee = [TransferStep.COMMITTEE] if transfer.committee_id is not None else []
    return [TransferStep.OUT_BRANCH, *committee, TransferStep.IN_BRANCH]


def step_org(transfer: Transfer, step: TransferStep) -> int | None:
    """The organization whose people decide ``step``."""
    return {
        TransferStep.OUT_BRANCH: transfer.from_org_id,
        TransferStep.COMMITTEE: transfer.committee_id,
        TransferStep.IN_BRANCH: transfer.to_org_id,
    }[step]


def deciders(transfer: Transfer, step: TransferStep) -> Select[int]:
    """SQL: the members holding the role that decides ``step`` on its organization itself
    (the branch's secretaries, the committee's admins): whom a reminder tells."""
    role = Role.COMMITTEE_ADMIN if step is TransferStep.COMMITTEE else Role.SECRETARY
    return (
        select(RoleAssignment.member_id)
        .join(Member, Member.id == RoleAssignment.member_id)
        .where(
            RoleAssignment.org_id == step_org(transfer, step),
            RoleAssignment.role == role,
            Member.current(),
        )
    )


# --- who sees what ------------------------------------------------------------------------


def _managed(caller: Principal) -> ColumnElement[bool]:
    manage = caller.scope(Permission.TRANSFERS_MANAGE)
    committee = caller.scope(Permission.TRANSFERS_COMMITTEE)
    return or_(
        manage.covers(Transfer.from_org_id),
        manage.covers(Transfer.to_org_id),
        committee.covers(Transfer.committee_id),
    )


def _own(caller: Principal) -> ColumnElement[bool]:
    mine = Transfer.started_by_account_id == caller.account_id
    if caller.member_id is None:
        return mine
    return or_(mine, Transfer.member_id == caller.member_id)


def _waiting_on(caller: Principal) -> ColumnElement[bool]:
    """SQL: the step waiting is the caller's to decide."""
    manage = caller.scope(Permission.TRANSFERS_MANAGE)
    committee = caller.scope(Permission.TRANSFERS_COMMITTEE)
    return or_(
        and_(Transfer.step == TransferStep.OUT_BRANCH, manage.covers(Transfer.from_org_id)),
        and_(Transfer.step == TransferStep.COMMITTEE, committee.covers(Transfer.committee_id)),
        and_(Transfer.step == TransferStep.IN_BRANCH, manage.covers(Transfer.to_org_id)),
    )


async def _covers(session: AsyncSession, scope: Scope, org_id: int | None) -> bool:
    if org_id is None or scope.is_empty:
        return False
    if scope.everywhere:
        return True
    found = await session.scalar(
        select(OrgClosure.descendant_id)
        .where(OrgClosure.ancestor_id.in_(scope.roots), OrgClosure.descendant_id == org_id)
        .limit(1)
    )
    return found is not None


async def get_visible(session: AsyncSession, caller: Principal, transfer_id: int) -> Transfer:
    transfer = await session.scalar(
        select(Transfer).where(Transfer.id == transfer_id, or_(_managed(caller), _own(caller)))
    )
    if transfer is None:
        raise TransferNotFound()
    return transfer


async def _locked(session: AsyncSession, caller: Principal, transfer_id: int) -> Transfer:
    transfer = await session.scalar(
        select(Transfer)
        .where(Transfer.id == transfer_id, or_(_managed(caller), _own(caller)))
        .with_for_update(of=Transfer)
        .execution_options(populate_existing=True)
    )
    if transfer is None:
        raise TransferNotFound()
    return transfer


async def list_managed(
    session: AsyncSession,
    caller: Principal,
    *,
    status: TransferStatus | None,
    waiting_on_me: bool = False,
    after_id: int | None,
    limit: int,
) -> Sequence[Transfer]:
    """The transfers the caller may decide a step of, newest first; ``waiting_on_me``: only
    those whose step waiting is theirs."""
    query = select(Transfer).where(_managed(caller))
    if waiting_on_me:
        query = query.where(_waiting_on(caller))
    if status is not None:
        query = query.where(Transfer.status == status)
    if after_id is not None:
        query = query.where(Transfer.id < after_id)
    return (await session.scalars(query.order_by(Transfer.id.desc()).limit(limit))).all()


async def list_own(
    session: AsyncSession,
    caller: Principal,
    *,
    status: TransferStatus | None,
    after_id: int | None,
    limit: int,
) -> Sequence[Transfer]:
    """The caller's own transfers and those they started, newest first."""
    query = select(Transfer).where(_own(caller))
    if status is not None:
        query = query.where(Transfer.status == status)
    if after_id is not None:
        query = query.where(Transfer.id < after_id)
    return (await session.scalars(query.order_by(Transfer.id.desc()).limit(limit))).all()


# --- what a transfer is ---------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    kind: TransferKind
    from_org_id: int | None
    to_org_id: int | None
    committee_id: int | None
    from_outside_name: str | None
    to_outside_name: str | None
    letter_number: str | None
    reason: str | None


async def nearest_committee(session: AsyncSession, org_id: int) -> int | None:
    return await session.scalar(
        select(OrgClosure.ancestor_id)
        .join(Organization, Organization.id == OrgClosure.ancestor_id)
        .where(OrgClosure.descendant_id == org_id, Organization.kind == OrgKind.COMMITTEE)
        .order_by(OrgClosure.depth)
        .limit(1)
    )


def _check_member(member: Member) -> None:
    if member.departed_at is not None:
        raise MemberDeparted()
    if member.party_status not in PARTY_STATUSES:
        raise NotAPartyMember()


async def _plan(session: AsyncSession, member: Member, fields: dict[str, object]) -> Plan:
    to_org_id = fields.get("to_org_id")
    assert to_org_id is None or isinstance(to_org_id, int)
    to_outside = _text(fields, "to_outside_name")
    from_outside = _text(fields, "from_outside_name")
    letter = _text(fields, "letter_number")
    from_org_id = member.relation_org_id
    if (to_org_id is None) == (to_outside is None):
        raise DestinationRequired()
    if from_org_id is None and to_org_id is None:
        raise DestinationRequired()  # from outside to outside is no business of ours
    if to_org_id is not None:
        org = await session.get(Organization, to_org_id)
        if org is None:
            raise BranchNotFound()
        if org.kind not in BRANCH_KINDS:
            raise NotABranch()
        if to_org_id == from_org_id:
            raise SameBranch()
    committee_id = None
    if from_org_id is None:
        kind = TransferKind.INBOUND
        if from_outside is None or letter is None:
            raise OutsideDetails()
    elif to_org_id is None:
        kind = TransferKind.OUTBOUND
        if letter is None or from_outside is not None:
            raise OutsideDetails()
    else:
        kind = TransferKind.INTERNAL
        if from_outside is not None:
            raise OutsideDetails()
        to_committee = await nearest_committee(session, to_org_id)
        if await nearest_committee(session, from_org_id) != to_committee:
            committee_id = to_committee
    return Plan(
        kind=kind,
        from_org_id=from_org_id,
        to_org_id=to_org_id,
        committee_id=committee_id,
        from_outside_name=from_outside,
        to_outside_name=to_outside,
        letter_number=letter,
        reason=_text(fields, "reason"),
    )


def _text(fields: dict[str, object], name: str) -> str | None:
    value = fields.get(name)
    assert value is None or isinstance(value, str)
    return value


def _apply(transfer: Transfer, plan: Plan) -> None:
    transfer.kind = plan.kind
    transfer.from_org_id = plan.from_org_id
    transfer.to_org_id = plan.to_org_id
    transfer.committee_id = plan.committee_id
    transfer.from_outside_name = plan.from_outside_name
    transfer.to_outside_name = plan.to_outside_name
    transfer.letter_number = plan.letter_number
    transfer.reason = plan.reason


async def _check_reach(session: AsyncSession, caller: Principal, plan: Plan) -> None:
    manage = caller.scope(Permission.TRANSFERS_MANAGE)
    if not (
        await _covers(session, manage, plan.from_org_id)
        or await _covers(session, manage, plan.to_org_id)
    ):
        raise OutOfReach()


def _event(
    transfer: Transfer,
    action: TransferAction,
    caller: Principal,
    now: datetime,
    *,
    step: TransferStep | None = None,
    reason: str | None = None,
) -> TransferEvent:
    return TransferEvent(
        transfer_id=transfer.id,
        action=action,
        step=step,
        actor_account_id=caller.account_id,
        actor_member_id=caller.member_id,
        reason=reason,
        created_at=now,
    )


async def create(
    session: AsyncSession,
    caller: Principal,
    body: TransferFields,
    *,
    member_id: int,
    for_self: bool,
    now: datetime,
) -> Transfer:
    """A member's own request (``for_self``: the caller is that member) or one started by a
    holder of ``transfers:manage`` for a member of their scope."""
    if for_self:
        member = await session.get_one(Member, member_id)
    else:
        member = await members_service.get_in_scope(
            session, caller.scope(Permission.TRANSFERS_MANAGE), member_id
        )
    _check_member(member)
    plan = await _plan(session, member, body.model_dump())
    if not for_self:
        await _check_reach(session, caller, plan)
    await _check_none_open(session, member.id)
    transfer = Transfer(
        member_id=member.id,
        status=TransferStatus.PENDING,
        started_by_account_id=caller.account_id,
        started_by_member_id=caller.member_id,
        step_since=now,
        created_at=now,
        updated_at=now,
    )
    _apply(transfer, plan)
    transfer.step = steps_of(transfer)[0]
    try:
        async with session.begin_nested():
            session.add(transfer)
            await session.flush()
    except IntegrityError as exc:  # the partial unique index: one open transfer a member
        raise AlreadyOpen() from exc
    session.add(_event(transfer, TransferAction.CREATED, caller, now, reason=plan.reason))
    await session.flush()
    return transfer


async def _check_none_open(session: AsyncSession, member_id: int) -> None:
    open_id = await session.scalar(
        select(Transfer.id).where(
            Transfer.member_id == member_id, Transfer.status.in_(OPEN_TRANSFER_STATUSES)
        )
    )
    if open_id is not None:
        raise AlreadyOpen()


# --- the steps -------------------------------------------------------------------------------


async def _may_decide(session: AsyncSession, caller: Principal, transfer: Transfer) -> bool:
    assert transfer.step is not None
    permission = (
        Permission.TRANSFERS_COMMITTEE
        if transfer.step is TransferStep.COMMITTEE
        else Permission.TRANSFERS_MANAGE
    )
    return await _covers(session, caller.scope(permission), step_org(transfer, transfer.step))


async def decide(
    session: AsyncSession,
    settings: Settings,
    cipher: FieldCipher,
    caller: Principal,
    transfer_id: int,
    step: TransferStep,
    action: TransferAction,
    *,
    reason: str | None,
    request_id: str | None,
    today: date,
    now: datetime,
) -> Transfer:
    """Approve, reject or return the step waiting, which ``step`` must name."""
    assert action in (TransferAction.APPROVED, TransferAction.REJECTED, TransferAction.RETURNED)
    transfer = await _locked(session, caller, transfer_id)
    if transfer.status is not TransferStatus.PENDING or transfer.step is not step:
        raise AlreadyDecided()
    if not await _may_decide(session, caller, transfer):
        raise NotYourStep()
    decided = _event(transfer, action, caller, now, step=step, reason=reason)
    session.add(decided)
    told: TransferAction = action
    if action is TransferAction.APPROVED:
        steps = steps_of(transfer)
        following = steps[steps.index(step) + 1 :]
        if following:
            transfer.step = following[0]
            transfer.step_since = now
            transfer.last_reminded_at = None
        else:
            await _complete(
                session, cipher, caller, transfer, request_id=request_id, today=today, now=now
            )
            told = TransferAction.COMPLETED
    else:
        rejected = action is TransferAction.REJECTED
        transfer.status = TransferStatus.REJECTED if rejected else TransferStatus.RETURNED
        transfer.step = None
        transfer.step_since = now
        transfer.last_reminded_at = None
    transfer.updated_at = now
    await session.flush()
    await _tell_decided(session, settings, transfer, decided, told, now=now)
    return transfer


async def _complete(
    session: AsyncSession,
    cipher: FieldCipher,
    caller: Principal,
    transfer: Transfer,
    *,
    request_id: str | None,
    today: date,
    now: datetime,
) -> None:
    member = await session.get_one(Member, transfer.member_id)
    if member.departed_at is not None:
        raise MemberDeparted()
    if member.relation_org_id != transfer.from_org_id:
        raise RelationChanged()
    transfer.status = TransferStatus.COMPLETED
    transfer.step = None
    transfer.completed_at = now
    session.add(_event(transfer, TransferAction.COMPLETED, caller, now))
    # The workflow has authorized the move: the member's service acts over the two sides.
    roots = {
        org_id
        for org_id in (
            transfer.from_org_id,
            transfer.to_org_id,
            member.relation_org_id,
            member.workplace_org_id,
        )
        if org_id is not None
    }
    sides = Scope(roots=frozenset(roots))
    if transfer.kind is TransferKind.OUTBOUND:
        assert transfer.from_org_id is not None
        note = f"转往{transfer.to_outside_name}，介绍信编号{transfer.letter_number}"
        await members_service.depart(
            session,
            sides,
            Scope(roots=frozenset({transfer.from_org_id})),
            member.id,
            DepartureCreate.model_validate(
                {"reason": "transferred_out", "left_on": today.isoformat(), "note": note}
            ),
            caller=caller,
            request_id=request_id,
            today=today,
            now=now,
        )
        return
    await members_service.update(
        session,
        sides,
        cipher,
        member.id,
        MemberUpdate.model_validate({"relation_org_id": transfer.to_org_id}),
        today=today,
        now=now,
        actor_account_id=caller.account_id,
    )


async def withdraw(
    session: AsyncSession,
    caller: Principal,
    transfer_id: int,
    *,
    reason: str | None,
    now: datetime,
) -> Transfer:
    transfer = await _locked(session, caller, transfer_id)
    if transfer.started_by_account_id != caller.account_id:
        raise NotStarter()
    if transfer.status not in OPEN_TRANSFER_STATUSES:
        raise TransferClosed()
    session.add(
        _event(transfer, TransferAction.WITHDRAWN, caller, now, step=transfer.step, reason=reason)
    )
    transfer.status = TransferStatus.WITHDRAWN
    transfer.step = None
    transfer.updated_at = now
    await session.flush()
    return transfer


async def resubmit(
    session: AsyncSession,
    caller: Principal,
    transfer_id: int,
    body: TransferFields,
    *,
    now: datetime,
) -> Transfer:
    """The starter's edits (the fields sent; the others stay), then every step again."""
    transfer = await _locked(session, caller, transfer_id)
    if transfer.started_by_account_id != caller.account_id:
        raise NotStarter()
    if transfer.status is not TransferStatus.RETURNED:
        raise NotReturned()
    member = await session.get_one(Member, transfer.member_id)
    _check_member(member)
    fields: dict[str, object] = {name: getattr(transfer, name) for name in _EDITABLE}
    fields.update(body.model_dump(exclude_unset=True))
    plan = await _plan(session, member, fields)
    if transfer.started_by_member_id != member.id:
        await _check_reach(session, caller, plan)
    _apply(transfer, plan)
    transfer.status = TransferStatus.PENDING
    transfer.step = steps_of(transfer)[0]
    transfer.step_since = now
    transfer.last_reminded_at = None
    transfer.updated_at = now
    session.add(_event(transfer, TransferAction.RESUBMITTED, caller, now, reason=plan.reason))
    await session.flush()
    return transfer


# --- what is shown and told -----------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    members: dict[int, str]
    orgs: dict[int, str]

    def member(self, member_id: int | None) -> str | None:
        return None if member_id is None else self.members.get(member_id)

    def from_name(self, transfer: Transfer) -> str:
        if transfer.from_org_id is None:
            return transfer.from_outside_name or ""
        return self.orgs.get(transfer.from_org_id, "")

    def to_name(self, transfer: Transfer) -> str:
        if transfer.to_org_id is None:
            return transfer.to_outside_name or ""
        return self.orgs.get(transfer.to_org_id, "")


async def names_of(
    session: AsyncSession, transfers: Sequence[Transfer], member_ids: Sequence[int | None] = ()
) -> Names:
    people = {t.member_id for t in transfers} | {
        m for m in (*(t.started_by_member_id for t in transfers), *member_ids) if m is not None
    }
    orgs = {o for t in transfers for o in (t.from_org_id, t.to_org_id) if o is not None}
    members: dict[int, str] = {}
    if people:
        rows = await session.execute(select(Member.id, Member.name).where(Member.id.in_(people)))
        members = {row.id: row.name for row in rows}
    return Names(
        members=members,
        orgs=await members_service.org_names(session, orgs),
    )


async def timeline(session: AsyncSession, transfer_id: int) -> Sequence[TransferEvent]:
    return (
        await session.scalars(
            select(TransferEvent)
            .where(TransferEvent.transfer_id == transfer_id)
            .order_by(TransferEvent.id)
        )
    ).all()


def _recipients(transfer: Transfer) -> Select[int]:
    ids = {transfer.member_id}
    if transfer.started_by_member_id is not None:
        ids.add(transfer.started_by_member_id)
    return select(Member.id).where(Member.id.in_(ids))


async def _tell_decided(
    session: AsyncSession,
    settings: Settings,
    transfer: Transfer,
    decided: TransferEvent,
    told: TransferAction,
    *,
    now: datetime,
) -> None:
    """The member and the starter hear of each decision (one message a decision)."""
    assert decided.step is not None
    names = await names_of(session, [transfer])
    member_name = names.member(transfer.member_id) or ""
    phrase = DECISION_PHRASES[told]
    step_label = STEP_LABELS[decided.step]
    body = f"{step_label}{phrase}：{names.from_name(transfer)} → {names.to_name(transfer)}"
    if decided.reason:
        body += f"。原因：{decided.reason}"
    await notify(
        session,
        settings,
        kind=NotificationKind.TRANSFER_DECIDED,
        source=f"transfer_decided:{transfer.id}:{decided.id}",
        subject=subject(transfer.id),
        title=f"组织关系转接{phrase}：{member_name}",
        body=body,
        recipients=_recipients(transfer),
        now=now,
        org_id=step_org(transfer, decided.step),
        page=DETAIL_PAGE.format(id=transfer.id),
        data={
            "member_name": member_name,
            "from_name": names.from_name(transfer),
            "to_name": names.to_name(transfer),
            "decision": phrase,
            "reason": decided.reason or "无",
            "decided_at": shown(now),
        },
    )
