from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import MembersEraser, MembersReader, MembersWriter, SensitiveReader
from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit.pagination import Page, PageParams, paginate
from app.kit.types import IdPath, IdQuery
from app.kit.validation import SearchText
from app.members import service
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
from app.members.schemas import (
    DepartureCreate,
    MemberCreate,
    MemberLookup,
    MemberRead,
    MemberSensitive,
    MemberUpdate,
    RosterStatus,
)
from app.models.members import PartyStatus
from app.observability import request_id_var
from app.orgs.errors import OrgNotFound
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/members", tags=["members"])

# What a record given in a create or a change may be refused for.
_RECORD_ERRORS = (
    OrgNotFound,
    OrgRequired,
    RelationNotBranch,
    WorkplaceNotSocialOrg,
    BirthDateInFuture,
    JoinedInFuture,
    JoinedBeforeBirth,
    BirthDateMismatch,
    IdNumberTaken,
)


@router.get("", responses=responses(OrgNotFound))
async def search_members(
    caller: MembersReader,
    session: ReadSession,
    page: PageParams,
    q: Annotated[SearchText | None, Query(description="Name contains")] = None,
    org_id: IdQuery = None,
    party_status: PartyStatus | None = None,
    status: Annotated[
        RosterStatus, Query(description="`current` (default): not departed; `departed`; `all`")
    ] = RosterStatus.CURRENT,
) -> Page[MemberRead]:
    """Members in the caller's scope, by name, organization subtree or party status; those
    who have left only when asked for. To find someone by a whole phone or ID number, POST
    it to `/members/lookup`: a number never travels in a URL."""
    members = await service.search(
        session,
        caller.scope(Permission.MEMBERS_READ),
        name_contains=q,
        org_id=org_id,
        party_status=party_status,
        status=status,
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(MemberRead, members, page)


@router.post("/lookup")
async def lookup_members(
    body: MemberLookup,
    caller: MembersReader,
    session: DbSession,
    page: PageParams,
    runtime: RuntimeDep,
) -> Page[MemberRead]:
    """The member who holds a whole phone or ID number (the ID number through its lookup
    hash), shown masked, within the scope where the caller may read those numbers
    (secretaries and committee admins; 403 otherwise). Every lookup is audited, as a read
    of the numbers is: it tells who holds one."""
    members = await service.search_by_number(
        session,
        caller,
        runtime.cipher,
        phone=body.phone,
        id_number=body.id_number,
        name_contains=None,
        org_id=None,
        party_status=None,
        status=body.status,
        after_id=page.after,
        limit=page.size + 1,
        request_id=request_id_var.get(),
        now=runtime.clock.now(),
    )
    return paginate(MemberRead, members, page)


@router.post("", status_code=201, responses=responses(*_RECORD_ERRORS))
async def create_member(
    body: MemberCreate, caller: MembersWriter, session: DbSession, runtime: RuntimeDep
) -> MemberRead:
    """Register a member in a branch or social organization of the caller's scope."""
    member = await service.create(
        session,
        caller.scope(Permission.MEMBERS_WRITE),
        runtime.cipher,
        body,
        today=runtime.today(),
        now=runtime.clock.now(),
        actor_account_id=caller.account_id,
    )
    return MemberRead.model_validate(member)


@router.get("/{member_id}", responses=responses(MemberNotFound))
async def get_member(member_id: IdPath, caller: MembersReader, session: ReadSession) -> MemberRead:
    """One member, with phone and ID number masked."""
    member = await service.get_in_scope(session, caller.scope(Permission.MEMBERS_READ), member_id)
    return MemberRead.model_validate(member)


@router.get("/{member_id}/sensitive", responses=responses(MemberNotFound))
async def get_member_sensitive(
    member_id: IdPath, caller: SensitiveReader, session: DbSession, runtime: RuntimeDep
) -> MemberSensitive:
    """The unmasked phone and ID number, for roles that need them; every read is audited."""
    # A writer although it changes no member: the audit event is written with the read.
    fields = await service.read_sensitive(
        session,
        caller.scope(Permission.MEMBERS_READ_SENSITIVE),
        runtime.cipher,
        member_id,
        actor_account_id=caller.account_id,
        request_id=request_id_var.get(),
        now=runtime.clock.now(),
    )
    return MemberSensitive.model_validate(fields)


@router.patch("/{member_id}", responses=responses(MemberNotFound, *_RECORD_ERRORS))
async def update_member(
    member_id: IdPath,
    body: MemberUpdate,
    caller: MembersWriter,
    session: DbSession,
    runtime: RuntimeDep,
) -> MemberRead:
    """Change a member's record; organizations named must lie in the caller's scope."""
    member = await service.update(
        session,
        caller.scope(Permission.MEMBERS_WRITE),
        runtime.cipher,
        member_id,
        body,
        today=runtime.today(),
        now=runtime.clock.now(),
        actor_account_id=caller.account_id,
    )
    return MemberRead.model_validate(member)


@router.post(
    "/{member_id}/departure",
    responses=responses(MemberNotFound, SelfRemoval, AlreadyDeparted, LeftOnInFuture, HoldsRoles),
)
async def record_departure(
    member_id: IdPath,
    body: DepartureCreate,
    caller: MembersWriter,
    session: DbSession,
    runtime: RuntimeDep,
) -> MemberRead:
    """Record that a member left (转出, 迁离, 去世, 退党, …): the record and its history stay
    and past figures hold; the member leaves current lists, new activities and notifications.
    Their roles end (those the caller could not revoke must be ended by the organization
    above first); nobody records their own departure. A member is no longer deleted."""
    member = await service.depart(
        session,
        caller.scope(Permission.MEMBERS_WRITE),
        caller.scope(Permission.ROLES_MANAGE),
        member_id,
        body,
        caller=caller,
        request_id=request_id_var.get(),
        today=runtime.today(),
        now=runtime.clock.now(),
    )
    return MemberRead.model_validate(member)


@router.post(
    "/{member_id}/erasure",
    responses=responses(MemberNotFound, SelfRemoval, NotDeparted, AlreadyErased),
)
async def erase_member(
    member_id: IdPath, caller: MembersEraser, session: DbSession, runtime: RuntimeDep
) -> MemberRead:
    """PIPL erasure on the person's request, once their departure is recorded: name, phone,
    ID number, e-mail, dates and their WeChat account are deleted; the record stays as
    「已注销」 so the figures it counts in hold. Audited."""
    member = await service.erase(
        session,
        caller.scope(Permission.MEMBERS_ERASE),
        member_id,
        caller=caller,
        request_id=request_id_var.get(),
        now=runtime.clock.now(),
    )
    return MemberRead.model_validate(member)
