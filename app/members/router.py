from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import MembersReader, MembersWriter, SensitiveReader
from app.auth.permissions import Permission
from app.db import DbSession
from app.kit.pagination import Page, decode_cursor, encode_cursor
from app.kit.types import IdPath, IdQuery
from app.kit.validation import SearchText
from app.members import service
from app.members.schemas import MemberCreate, MemberRead, MemberSensitive, MemberUpdate
from app.models.members import PartyStatus
from app.observability import request_id_var
from app.runtime import RuntimeDep

router = APIRouter(prefix="/api/v1/members", tags=["members"])


@router.get("")
async def search_members(
    caller: MembersReader,
    session: DbSession,
    runtime: RuntimeDep,
    q: Annotated[SearchText | None, Query(description="Name contains")] = None,
    org_id: IdQuery = None,
    party_status: PartyStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> Page[MemberRead]:
    """Members in the caller's scope, by name, organization subtree or party status."""
    size = limit or runtime.settings.page_size_default
    members = await service.search(
        session,
        caller.scope(Permission.MEMBERS_READ),
        name_contains=q,
        org_id=org_id,
        party_status=party_status,
        after_id=decode_cursor(cursor),
        limit=size + 1,
    )
    items = [MemberRead(**service.public_view(m)) for m in members[:size]]
    return Page[MemberRead](
        items=items, next_cursor=encode_cursor(items[-1].id) if len(members) > size else None
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_member(
    body: MemberCreate, caller: MembersWriter, session: DbSession, runtime: RuntimeDep
) -> MemberRead:
    """Register a member in a branch or social organization of the caller's scope."""
    member = await service.create(
        session,
        caller.scope(Permission.MEMBERS_WRITE),
        runtime.cipher,
        body.model_dump(),
        runtime.today(),
    )
    return MemberRead(**service.public_view(member))


@router.get("/{member_id}")
async def get_member(member_id: IdPath, caller: MembersReader, session: DbSession) -> MemberRead:
    """One member, with phone and ID number masked."""
    member = await service.get_in_scope(session, caller.scope(Permission.MEMBERS_READ), member_id)
    return MemberRead(**service.public_view(member))


@router.get("/{member_id}/sensitive")
async def get_member_sensitive(
    member_id: IdPath, caller: SensitiveReader, session: DbSession, runtime: RuntimeDep
) -> MemberSensitive:
    """The unmasked phone and ID number, for roles that need them; every read is audited."""
    data = await service.read_sensitive(
        session,
        caller.scope(Permission.MEMBERS_READ_SENSITIVE),
        runtime.cipher,
        member_id,
        actor_account_id=caller.account_id,
        request_id=request_id_var.get(),
    )
    return MemberSensitive(**data)


@router.patch("/{member_id}")
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
        body.model_dump(exclude_unset=True),
        runtime.today(),
    )
    return MemberRead(**service.public_view(member))


@router.delete("/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_member(member_id: IdPath, caller: MembersWriter, session: DbSession) -> Response:
    """Remove a member record entered by mistake."""
    await service.delete(session, caller.scope(Permission.MEMBERS_WRITE), member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
