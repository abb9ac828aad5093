"""党小组 and 支委 of a branch: kept by its secretary and those above (members:write), read
by whoever reads its members."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import Row

from app.auth.dependencies import MembersReader, MembersWriter
from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import responses
from app.groups import service
from app.groups.errors import (
    GroupHasActivities,
    GroupMemberNotFound,
    GroupNameTaken,
    LeaderNotInGroup,
    LeaderRemoval,
    MemberInOtherGroup,
    MemberNotInBranch,
    NotABranch,
    PartyGroupNotFound,
    PostTaken,
)
from app.groups.schemas import (
    CommitteeReplace,
    GroupMemberRead,
    GroupMembersAdd,
    PartyGroupCreate,
    PartyGroupRead,
    PartyGroupUpdate,
    SeatRead,
)
from app.idempotency.route import IdempotentRoute
from app.kit.pagination import Page, PageParams, PageRequest, paginate
from app.kit.types import IdPath
from app.orgs.errors import OrgNotFound
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/orgs", tags=["groups"])

GROUPS = "/{branch_id}/party-groups"
GROUP = "/{branch_id}/party-groups/{group_id}"


@router.get(GROUPS, responses=responses(OrgNotFound, NotABranch))
async def list_party_groups(
    branch_id: IdPath, caller: MembersReader, session: ReadSession, page: PageParams
) -> Page[PartyGroupRead]:
    """The branch's party groups, oldest first."""
    found = await service.list_groups(
        session,
        caller.scope(Permission.MEMBERS_READ),
        branch_id,
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(PartyGroupRead, found, page)


@router.post(
    GROUPS,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        OrgNotFound, NotABranch, MemberNotInBranch, GroupNameTaken, MemberInOtherGroup
    ),
)
async def create_party_group(
    branch_id: IdPath,
    body: PartyGroupCreate,
    caller: MembersWriter,
    session: DbSession,
    runtime: RuntimeDep,
) -> PartyGroupRead:
    """Set up a party group with its leader and members (each in one group of the branch)."""
    group = await service.create_group(
        session,
        caller.scope(Permission.MEMBERS_WRITE),
        branch_id,
        body,
        now=runtime.clock.now(),
    )
    return PartyGroupRead.model_validate(group)


@router.get(GROUP, responses=responses(OrgNotFound, NotABranch, PartyGroupNotFound))
async def get_party_group(
    branch_id: IdPath, group_id: IdPath, caller: MembersReader, session: ReadSession
) -> PartyGroupRead:
    group = await service.get_group(
        session, caller.scope(Permission.MEMBERS_READ), branch_id, group_id
    )
    return PartyGroupRead.model_validate(group)


@router.patch(
    GROUP,
    responses=responses(
        OrgNotFound, NotABranch, PartyGroupNotFound, GroupNameTaken, LeaderNotInGroup
    ),
)
async def update_party_group(
    branch_id: IdPath,
    group_id: IdPath,
    body: PartyGroupUpdate,
    caller: MembersWriter,
    session: DbSession,
    runtime: RuntimeDep,
) -> PartyGroupRead:
    """Rename the group or change its leader (one of its members; null: no leader)."""
    group = await service.update_group(
        session,
        caller.scope(Permission.MEMBERS_WRITE),
        branch_id,
        group_id,
        body,
        now=runtime.clock.now(),
    )
    return PartyGroupRead.model_validate(group)


@router.delete(
    GROUP,
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(OrgNotFound, NotABranch, PartyGroupNotFound, GroupHasActivities),
)
async def delete_party_group(
    branch_id: IdPath, group_id: IdPath, caller: MembersWriter, session: DbSession
) -> Response:
    """Dissolve a group that has held no activity."""
    await service.delete_group(session, caller.scope(Permission.MEMBERS_WRITE), branch_id, group_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(f"{GROUP}/members", responses=responses(OrgNotFound, NotABranch, PartyGroupNotFound))
async def list_party_group_members(
    branch_id: IdPath,
    group_id: IdPath,
    caller: MembersReader,
    session: ReadSession,
    page: PageParams,
) -> Page[GroupMemberRead]:
    """The group's current members, by member id."""
    rows = await service.group_members(
        session,
        caller.scope(Permission.MEMBERS_READ),
        branch_id,
        group_id,
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(GroupMemberRead, rows, page, key=_by_member)


def _by_member(row: Row[int, str]) -> int:
    return int(row.member_id)


@router.post(
    f"{GROUP}/members",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(
        OrgNotFound, NotABranch, PartyGroupNotFound, MemberNotInBranch, MemberInOtherGroup
    ),
)
async def add_party_group_members(
    branch_id: IdPath,
    group_id: IdPath,
    body: GroupMembersAdd,
    caller: MembersWriter,
    session: DbSession,
) -> Response:
    """Add members of the branch to the group (those already in it stay as they are)."""
    await service.add_members(
        session, caller.scope(Permission.MEMBERS_WRITE), branch_id, group_id, body.member_ids
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    f"{GROUP}/members/{{member_id}}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(
        OrgNotFound, NotABranch, PartyGroupNotFound, GroupMemberNotFound, LeaderRemoval
    ),
)
async def remove_party_group_member(
    branch_id: IdPath,
    group_id: IdPath,
    member_id: IdPath,
    caller: MembersWriter,
    session: DbSession,
) -> Response:
    """Take a member out of the group (the leader only once another leads it)."""
    await service.remove_member(
        session, caller.scope(Permission.MEMBERS_WRITE), branch_id, group_id, member_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{branch_id}/committee", responses=responses(OrgNotFound, NotABranch))
async def list_committee(
    branch_id: IdPath, caller: MembersReader, session: ReadSession, page: PageParams
) -> Page[SeatRead]:
    """The branch committee's seats (支委), in the order they were set."""
    seats = await service.committee(
        session,
        caller.scope(Permission.MEMBERS_READ),
        branch_id,
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(SeatRead, seats, page)


@router.put(
    "/{branch_id}/committee",
    responses=responses(OrgNotFound, NotABranch, MemberNotInBranch, PostTaken),
)
async def replace_committee(
    branch_id: IdPath,
    body: CommitteeReplace,
    caller: MembersWriter,
    session: DbSession,
    runtime: RuntimeDep,
) -> Page[SeatRead]:
    """Set the whole committee (after an election, say): the seats given replace all seats.
    The answer is every seat, on one page."""
    seats = await service.replace_committee(
        session,
        caller.scope(Permission.MEMBERS_WRITE),
        branch_id,
        body,
        now=runtime.clock.now(),
    )
    return paginate(SeatRead, seats, PageRequest(cursor=None, size=len(seats)))
