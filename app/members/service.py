"""Members within scope: a member belongs where their relation is registered and where
they work, so a 流动党员 is seen by the branch of their workplace too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission
from app.auth.scope import Principal, Scope
from app.errors import Forbidden
from app.kit.crypto import FieldCipher
from app.kit.identifiers import id_number_birth_date
from app.kit.masking import mask_id_number
from app.members import roster_changes
from app.members.errors import (
    AlreadyDeparted,
    AlreadyErased,
    BirthDateInFuture,
    BirthDateMismatch,
    HoldsRoles,
    IdNumberTaken,
    JoinedBeforeBirth,
    JoinedInFuture,
    LeftOnInFuture,
    MemberNotFound,
    NotDeparted,
    OrgRequired,
    RelationNotBranch,
    SelfRemoval,
    WorkplaceNotSocialOrg,
)
from app.members.schemas import DepartureCreate, MemberCreate, MemberUpdate, RosterStatus
from app.models import (
    Account,
    Activity,
    AuditEvent,
    Delivery,
    DeliveryStatus,
    ExpectedAttendee,
    LeaveRequest,
    Member,
    Organization,
    OrgClosure,
    OrgKind,
    PartyStatus,
    RoleAssignment,
    RosterChangeKind,
)
from app.models.orgs import BRANCH_KINDS
from app.orgs import service as orgs_service

_ID_CONTEXT = b"members.id_number"
# Columns a PATCH may set to null; for the others null means "leave as is".
_NULLABLE_FIELDS = (
    "gender",
    "birth_date",
    "phone",
    "joined_party_on",
    "relation_org_id",
    "workplace_org_id",
)
_REQUIRED_FIELDS = ("name", "party_status", "is_mobile", "is_lost_contact")
ERASED_NAME = "已注销"
# What an erasure clears: everything that names or reaches the person. Kept: the party
# status and organizations, which the figures count by.
_ERASED_FIELDS = (
    "gender",
    "birth_date",
    "phone",
    "email",
    "id_number_cipher",
    "id_number_hash",
    "id_number_masked",
    "joined_party_on",
    "departure_note",
)


@dataclass(frozen=True)
class SensitiveFields:
    """A member's whole phone number and ID number, for the roles that need them."""

    id: int
    phone: str | None
    id_number: str | None


def in_scope(scope: Scope) -> ColumnElement[bool]:
    return or_(scope.covers(Member.relation_org_id), scope.covers(Member.workplace_org_id))


async def get_in_scope(session: AsyncSession, scope: Scope, member_id: int) -> Member:
    member = await session.scalar(select(Member).where(Member.id == member_id, in_scope(scope)))
    if member is None:
        raise MemberNotFound()
    return member


async def _check_orgs(
    session: AsyncSession, scope: Scope, relation_org_id: int | None, workplace_org_id: int | None
) -> None:
    if relation_org_id is not None:
        org = await orgs_service.get_in_scope(session, scope, relation_org_id)
        if org.kind not in BRANCH_KINDS:
            raise RelationNotBranch()
    if workplace_org_id is not None:
        org = await orgs_service.get_in_scope(session, scope, workplace_org_id)
        if org.kind is not OrgKind.SOCIAL_ORG:
            raise WorkplaceNotSocialOrg()


def _check_dates(
    birth_date: date | None, joined_on: date | None, id_number: str | None, today: date
) -> None:
    if birth_date and birth_date > today:
        raise BirthDateInFuture()
    if joined_on and joined_on > today:
        raise JoinedInFuture()
    if birth_date and joined_on and joined_on < birth_date:
        raise JoinedBeforeBirth()
    if id_number and birth_date and id_number_birth_date(id_number) != birth_date:
        raise BirthDateMismatch()


async def _set_id_number(
    session: AsyncSession, cipher: FieldCipher, member: Member, id_number: str | None
) -> None:
    if id_number is None:
        member.id_number_cipher = member.id_number_hash = member.id_number_masked = None
        return
    lookup = cipher.lookup_hash(id_number)
    holder = await session.scalar(select(Member.id).where(Member.id_number_hash == lookup))
    if holder is not None and holder != member.id:
        raise IdNumberTaken()
    member.id_number_cipher = cipher.encrypt(id_number, context=_ID_CONTEXT)
    member.id_number_hash = lookup
    member.id_number_masked = mask_id_number(id_number)


async def create(
    session: AsyncSession,
    scope: Scope,
    cipher: FieldCipher,
    body: MemberCreate,
    *,
    today: date,
    now: datetime,
    actor_account_id: int | None = None,
    source: str = "member:create",
) -> Member:
    if body.relation_org_id is None and body.workplace_org_id is None:
        raise OrgRequired()
    await _check_orgs(session, scope, body.relation_org_id, body.workplace_org_id)
    # Derived first, so a birth date read from the ID number is checked like a typed one.
    birth_date = body.birth_date
    if body.id_number and birth_date is None:
        birth_date = id_number_birth_date(body.id_number)
    _check_dates(birth_date, body.joined_party_on, body.id_number, today)
    member = Member(
        name=body.name,
        gender=body.gender,
        birth_date=birth_date,
        phone=body.phone,
        party_status=body.party_status,
        joined_party_on=body.joined_party_on,
        relation_org_id=body.relation_org_id,
        workplace_org_id=body.workplace_org_id,
        is_mobile=bool(body.is_mobile),
        is_lost_contact=bool(body.is_lost_contact),
        created_at=now,
        updated_at=now,
    )
    await _set_id_number(session, cipher, member, body.id_number)
    session.add(member)
    await session.flush()
    where = roster_changes.counted_at(member)
    assert where is not None  # OrgRequired above
    roster_changes.record(
        session,
        member,
        RosterChangeKind.JOINED,
        org_id=where,
        occurred_on=today,
        source=source,
        now=now,
        actor_account_id=actor_account_id,
    )
    return member


async def update(
    session: AsyncSession,
    scope: Scope,
    cipher: FieldCipher,
    member_id: int,
    body: MemberUpdate,
    *,
    today: date,
    now: datetime,
    actor_account_id: int | None = None,
) -> Member:
    member = await get_in_scope(session, scope, member_id)
    counted_before = roster_changes.counted_at(member)
    changes = body.model_dump(exclude_unset=True)
    await _check_orgs(session, scope, body.relation_org_id, body.workplace_org_id)
    relation = changes.get("relation_org_id", member.relation_org_id)
    workplace = changes.get("workplace_org_id", member.workplace_org_id)
    if relation is None and workplace is None:
        raise OrgRequired()
    id_number: str | None = None
    if "id_number" in changes:
        id_number = body.id_number
    elif "birth_date" in changes and member.id_number_cipher is not None:
        # A new birth date alone must still agree with the ID number on file.
        id_number = cipher.decrypt(member.id_number_cipher, context=_ID_CONTEXT)
    _check_dates(
        changes.get("birth_date", member.birth_date),
        changes.get("joined_party_on", member.joined_party_on),
        id_number,
        today,
    )
    for name in _NULLABLE_FIELDS:
        if name in changes:
            setattr(member, name, changes[name])
    for name in _REQUIRED_FIELDS:
        if changes.get(name) is not None:
            setattr(member, name, changes[name])
    if "id_number" in changes:
        await _set_id_number(session, cipher, member, id_number)
    if session.is_modified(member):
        member.updated_at = now
    # A current member's relation or workplace edited by hand moves them between rosters.
    if member.departed_at is None:
        roster_changes.record_move(
            session,
            member,
            from_org_id=counted_before,
            occurred_on=today,
            source="member:update",
            now=now,
            actor_account_id=actor_account_id,
        )
    await session.flush()
    return member


def _audit(
    member: Member,
    action: str,
    details: dict[str, object],
    actor: Principal,
    request_id: str | None,
    now: datetime,
) -> AuditEvent:
    return AuditEvent(
        actor_account_id=actor.account_id,
        action=action,
        object_type="member",
        object_id=member.id,
        org_id=member.relation_org_id or member.workplace_org_id,
        request_id=request_id,
        details=details,
        created_at=now,
    )


async def depart(
    session: AsyncSession,
    scope: Scope,
    roles_scope: Scope,
    member_id: int,
    body: DepartureCreate,
    *,
    caller: Principal,
    request_id: str | None,
    today: date,
    now: datetime,
) -> Member:
    """Records that the member left. The row and every history row stay (attendance, leave,
    reads), so past figures hold; the member's roles end, and so does their place on the
    expected lists of activities that have not started."""
    # One's own record is refused before it is looked for: in scope or not, the answer is
    # the same.
    if member_id == caller.member_id:
        raise SelfRemoval()
    member = await get_in_scope(session, scope, member_id)
    if member.departed_at is not None:
        raise AlreadyDeparted()
    if body.left_on > today:
        raise LeftOnInFuture()
    roles = (
        await session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.member_id == member.id)
            .order_by(RoleAssignment.id)
        )
    ).all()
    # A role the caller could not revoke is the organization above's to end first: a
    # secretary must not take a committee's admin off the roster by recording a departure.
    endable = set(
        await session.scalars(
            select(RoleAssignment.id).where(
                RoleAssignment.member_id == member.id,
                RoleAssignment.org_id.is_not(None),
                roles_scope.covers(RoleAssignment.org_id),
            )
        )
    )
    kept = [role.id for role in roles if role.id not in endable]
    if kept:
        raise HoldsRoles(details={"role_ids": kept})
    upcoming = select(Activity.id).where(Activity.starts_at > now)
    dropped = (
        await session.scalars(
            delete(ExpectedAttendee)
            .where(
                ExpectedAttendee.member_id == member.id, ExpectedAttendee.activity_id.in_(upcoming)
            )
            .returning(ExpectedAttendee.activity_id)
        )
    ).all()
    await session.execute(
        sa.update(Delivery)
        .where(Delivery.member_id == member.id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, last_error="member departed")
    )
    session.add(
        _audit(
            member,
            "member.depart",
            {
                "reason": body.reason.value,
                "left_on": body.left_on.isoformat(),
                "ended_roles": [{"role": r.role.value, "org_id": r.org_id} for r in roles],
                "dropped_from_activities": sorted(dropped),
            },
            caller,
            request_id,
            now,
        )
    )
    for role in roles:
        await session.delete(role)
    member.left_on = body.left_on
    member.departure_reason = body.reason
    member.departure_note = body.note
    member.departed_at = now
    member.departed_by_account_id = caller.account_id
    member.updated_at = now
    where = roster_changes.counted_at(member)
    if where is not None:
        roster_changes.record(
            session,
            member,
            RosterChangeKind(body.reason.value),
            org_id=where,
            occurred_on=body.left_on,
            source="member:depart",
            now=now,
            actor_account_id=caller.account_id,
            note=body.note,
        )
    await session.flush()
    return member


async def erase(
    session: AsyncSession,
    scope: Scope,
    member_id: int,
    *,
    caller: Principal,
    request_id: str | None,
    now: datetime,
) -> Member:
    """PIPL erasure (删除个人信息) of a departed member: the personal fields are cleared and
    the WeChat account deleted; the row stays under a placeholder name, so the attendance,
    leave and reading rows it anchors, and every figure counted from them, hold."""
    # One's own record is refused before it is looked for: in scope or not, the answer is
    # the same.
    if member_id == caller.member_id:
        raise SelfRemoval()
    member = await get_in_scope(session, scope, member_id)
    if member.departed_at is None:
        raise NotDeparted()
    if member.erased_at is not None:
        raise AlreadyErased()
    account_id = member.account_id
    member.name = ERASED_NAME
    for name in _ERASED_FIELDS:
        setattr(member, name, None)
    member.account_id = None
    member.erased_at = member.updated_at = now
    # Reasons for leave are the member's own words (often about health): cleared too.
    await session.execute(
        sa.update(LeaveRequest)
        .where(LeaveRequest.member_id == member.id)
        .values(reason=ERASED_NAME)
    )
    await session.flush()
    if account_id is not None:
        await session.execute(delete(Account).where(Account.id == account_id))
    session.add(
        _audit(
            member,
            "member.erase",
            # What was erased, never its values.
            {
                "fields": ["name", *_ERASED_FIELDS, "leave_reasons"],
                "account_deleted": account_id is not None,
            },
            caller,
            request_id,
            now,
        )
    )
    await session.flush()
    return member


async def search(
    session: AsyncSession,
    scope: Scope,
    *,
    name_contains: str | None,
    org_id: int | None,
    party_status: PartyStatus | None,
    status: RosterStatus = RosterStatus.CURRENT,
    phone: str | None = None,
    id_number_hash: str | None = None,
    after_id: int | None,
    limit: int,
) -> Sequence[Member]:
    query = select(Member).where(in_scope(scope))
    if phone is not None:
        query = query.where(Member.phone == phone)
    if id_number_hash is not None:
        query = query.where(Member.id_number_hash == id_number_hash)
    if status is RosterStatus.CURRENT:
        query = query.where(Member.current())
    elif status is RosterStatus.DEPARTED:
        query = query.where(~Member.current())
    if org_id is not None:
        await orgs_service.get_in_scope(session, scope, org_id)
        subtree = select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id == org_id)
        query = query.where(
            or_(Member.relation_org_id.in_(subtree), Member.workplace_org_id.in_(subtree))
        )
    if name_contains:
        query = query.where(Member.name.contains(name_contains, autoescape=True))
    if party_status is not None:
        query = query.where(Member.party_status == party_status)
    if after_id is not None:
        query = query.where(Member.id > after_id)
    return (await session.scalars(query.order_by(Member.id).limit(limit))).all()


async def search_by_number(
    session: AsyncSession,
    caller: Principal,
    cipher: FieldCipher,
    *,
    phone: str | None,
    id_number: str | None,
    name_contains: str | None,
    org_id: int | None,
    party_status: PartyStatus | None,
    status: RosterStatus,
    after_id: int | None,
    limit: int,
    request_id: str | None,
    now: datetime,
) -> Sequence[Member]:
    """Members whose whole phone or ID number is the one given (the ID number through its
    lookup hash), shown masked. Only the roles that may read those numbers may search by
    them, and each search is audited like such a read: it tells who holds a number."""
    scope = caller.scope(Permission.MEMBERS_READ_SENSITIVE)
    if scope.is_empty:
        raise Forbidden()
    members = await search(
        session,
        scope,
        name_contains=name_contains,
        org_id=org_id,
        party_status=party_status,
        status=status,
        phone=phone,
        id_number_hash=cipher.lookup_hash(id_number) if id_number is not None else None,
        after_id=after_id,
        limit=limit,
    )
    # The row read past the page only tells whether there is a next page: not shown.
    shown = members[: limit - 1]
    only = shown[0] if len(shown) == 1 else None
    session.add(
        AuditEvent(
            actor_account_id=caller.account_id,
            action="member.search_sensitive",
            object_type="member",
            object_id=only.id if only else None,
            org_id=(only.relation_org_id or only.workplace_org_id) if only else None,
            request_id=request_id,
            # Which numbers were searched by, never their values.
            details={
                "by": [
                    name for name, value in (("phone", phone), ("id_number", id_number)) if value
                ],
                "found_member_ids": [member.id for member in shown],
            },
            created_at=now,
        )
    )
    await session.flush()
    return members


async def read_sensitive(
    session: AsyncSession,
    scope: Scope,
    cipher: FieldCipher,
    member_id: int,
    *,
    actor_account_id: int,
    request_id: str | None,
    now: datetime,
) -> SensitiveFields:
    member = await get_in_scope(session, scope, member_id)
    session.add(
        AuditEvent(
            actor_account_id=actor_account_id,
            action="member.read_sensitive",
            object_type="member",
            object_id=member.id,
            org_id=member.relation_org_id or member.workplace_org_id,
            request_id=request_id,
            details={"fields": ["phone", "id_number"]},
            created_at=now,
        )
    )
    id_number = (
        cipher.decrypt(member.id_number_cipher, context=_ID_CONTEXT)
        if member.id_number_cipher
        else None
    )
    await session.flush()
    return SensitiveFields(id=member.id, phone=member.phone, id_number=id_number)


async def org_names(session: AsyncSession, org_ids: set[int]) -> dict[int, str]:
    if not org_ids:
        return {}
    rows = await session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
    )
    return {row.id: row.name for row in rows}
