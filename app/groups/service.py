"""Party groups (党小组) and the branch committee (支委) of a branch. Their members are the
branch's current members (relation held there, not departed): someone who leaves or moves
away drops out of every list here without their rows being touched."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Row, Select, and_, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, with_expression

from app.auth.scope import Scope
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
from app.groups.schemas import CommitteeReplace, PartyGroupCreate, PartyGroupUpdate
from app.kit.sql import insert_on_conflict
from app.models import (
    SINGLE_HOLDER_POSTS,
    Activity,
    CommitteePost,
    CommitteeSeat,
    Member,
    Organization,
    PartyGroup,
    PartyGroupMember,
)
from app.models.orgs import BRANCH_KINDS
from app.orgs import service as orgs_service

_SHOWN_IDS = 20  # ids named in an error's details, at most


def in_branch(branch_column: InstrumentedAttribute[int] | int) -> ColumnElement[bool]:
    """SQL: the member is a current member of the branch."""
    return and_(Member.relation_org_id == branch_column, Member.current())


async def get_branch(session: AsyncSession, scope: Scope, branch_id: int) -> Organization:
    org = await orgs_service.get_in_scope(session, scope, branch_id)
    if org.kind not in BRANCH_KINDS:
        raise NotABranch()
    return org


async def _branch_members(
    session: AsyncSession, branch_id: int, member_ids: Sequence[int]
) -> list[int]:
    wanted = list(dict.fromkeys(member_ids))
    found = set(
        await session.scalars(select(Member.id).where(Member.id.in_(wanted), in_branch(branch_id)))
    )
    missing = [m for m in wanted if m not in found]
    if missing:
        raise MemberNotInBranch(details={"member_ids": missing[:_SHOWN_IDS]})
    return wanted


# --- party groups --------------------------------------------------------------------------


def _shown_groups() -> Select[PartyGroup]:
    leader_name = (
        select(Member.name).where(Member.id == PartyGroup.leader_member_id).scalar_subquery()
    )
    member_count = (
        select(func.count())
        .select_from(PartyGroupMember)
        .join(Member, Member.id == PartyGroupMember.member_id)
        .where(PartyGroupMember.group_id == PartyGroup.id, in_branch(PartyGroupMember.org_id))
        .scalar_subquery()
    )
    return (
        select(PartyGroup)
        .options(
            with_expression(PartyGroup.leader_name, leader_name),
            with_expression(PartyGroup.member_count, member_count),
        )
        # An object already loaded (just created or changed) takes the expressions too.
        .execution_options(populate_existing=True)
    )


async def _shown(session: AsyncSession, group_id: int) -> PartyGroup:
    return (await session.scalars(_shown_groups().where(PartyGroup.id == group_id))).one()


async def _group(session: AsyncSession, branch: Organization, group_id: int) -> PartyGroup:
    group = await session.scalar(
        select(PartyGroup).where(PartyGroup.id == group_id, PartyGroup.org_id == branch.id)
    )
    if group is None:
        raise PartyGroupNotFound()
    return group


async def get_group(
    session: AsyncSession, scope: Scope, branch_id: int, group_id: int
) -> PartyGroup:
    branch = await get_branch(session, scope, branch_id)
    return await _shown(session, (await _group(session, branch, group_id)).id)


async def list_groups(
    session: AsyncSession, scope: Scope, branch_id: int, *, after_id: int | None, limit: int
) -> Sequence[PartyGroup]:
    branch = await get_branch(session, scope, branch_id)
    query = _shown_groups().where(PartyGroup.org_id == branch.id)
    if after_id is not None:
        query = query.where(PartyGroup.id > after_id)
    return (await session.scalars(query.order_by(PartyGroup.id).limit(limit))).all()


async def _refuse_taken_name(
    session: AsyncSession, branch_id: int, name: str, group_id: int | None = None
) -> None:
    same = select(PartyGroup.id).where(PartyGroup.org_id == branch_id, PartyGroup.name == name)
    if group_id is not None:
        same = same.where(PartyGroup.id != group_id)
    if await session.scalar(select(exists(same))):
        raise GroupNameTaken()


async def _add_members(session: AsyncSession, group: PartyGroup, member_ids: list[int]) -> None:
    present = set(
        await session.scalars(
            select(PartyGroupMember.member_id).where(
                PartyGroupMember.group_id == group.id, PartyGroupMember.member_id.in_(member_ids)
            )
        )
    )
    fresh = [m for m in member_ids if m not in present]
    if not fresh:
        return
    elsewhere = sorted(
        await session.scalars(
            select(PartyGroupMember.member_id).where(
                PartyGroupMember.org_id == group.org_id, PartyGroupMember.member_id.in_(fresh)
            )
        )
    )
    if elsewhere:
        raise MemberInOtherGroup(details={"member_ids": elsewhere[:_SHOWN_IDS]})
    statement = (
        insert_on_conflict(session, PartyGroupMember)
        .values([{"group_id": group.id, "org_id": group.org_id, "member_id": m} for m in fresh])
        .on_conflict_do_nothing()
        .returning(PartyGroupMember.member_id)
    )
    inserted = set((await session.execute(statement)).scalars())
    raced = [m for m in fresh if m not in inserted]
    if raced:  # a concurrent request put them in another group first
        raise MemberInOtherGroup(details={"member_ids": raced[:_SHOWN_IDS]})


async def create_group(
    session: AsyncSession, scope: Scope, branch_id: int, body: PartyGroupCreate, *, now: datetime
) -> PartyGroup:
    branch = await get_branch(session, scope, branch_id)
    leader = [body.leader_member_id] if body.leader_member_id is not None else []
    members = await _branch_members(session, branch.id, [*leader, *body.member_ids])
    await _refuse_taken_name(session, branch.id, body.name)
    group = PartyGroup(
        org_id=branch.id,
        name=body.name,
        leader_member_id=body.leader_member_id,
        created_at=now,
        updated_at=now,
    )
    session.add(group)
    await session.flush()
    if members:
        await _add_members(session, group, members)
    return await _shown(session, group.id)


async def _in_group(session: AsyncSession, group: PartyGroup, member_id: int) -> bool:
    return bool(
        await session.scalar(
            select(
                exists(
                    select(PartyGroupMember.member_id)
                    .join(Member, Member.id == PartyGroupMember.member_id)
                    .where(
                        PartyGroupMember.group_id == group.id,
                        PartyGroupMember.member_id == member_id,
                        in_branch(PartyGroupMember.org_id),
                    )
                )
            )
        )
    )


async def update_group(
    session: AsyncSession,
    scope: Scope,
    branch_id: int,
    group_id: int,
    body: PartyGroupUpdate,
    *,
    now: datetime,
) -> PartyGroup:
    branch = await get_branch(session, scope, branch_id)
    group = await _group(session, branch, group_id)
    if body.name is not None and body.name != group.name:
        await _refuse_taken_name(session, branch.id, body.name, group.id)
        group.name = body.name
        group.updated_at = now
    if (
        "leader_member_id" in body.model_fields_set
        and body.leader_member_id != group.leader_member_id
    ):
        leader = body.leader_member_id
        if leader is not None and not await _in_group(session, group, leader):
            raise LeaderNotInGroup()
        group.leader_member_id = leader
        group.updated_at = now
    await session.flush()
    return await _shown(session, group.id)


async def delete_group(session: AsyncSession, scope: Scope, branch_id: int, group_id: int) -> None:
    branch = await get_branch(session, scope, branch_id)
    group = await _group(session, branch, group_id)
    if await session.scalar(select(exists().where(Activity.party_group_id == group.id))):
        raise GroupHasActivities()
    await session.execute(delete(PartyGroupMember).where(PartyGroupMember.group_id == group.id))
    await session.delete(group)
    await session.flush()


async def group_members(
    session: AsyncSession,
    scope: Scope,
    branch_id: int,
    group_id: int,
    *,
    after_id: int | None,
    limit: int,
) -> Sequence[Row[int, str]]:
    """``member_id`` and ``name`` of the group's current members, by member id."""
    branch = await get_branch(session, scope, branch_id)
    group = await _group(session, branch, group_id)
    query = (
        select(Member.id.label("member_id"), Member.name)
        .join(PartyGroupMember, PartyGroupMember.member_id == Member.id)
        .where(PartyGroupMember.group_id == group.id, in_branch(PartyGroupMember.org_id))
    )
    if after_id is not None:
        query = query.where(Member.id > after_id)
    return (await session.execute(query.order_by(Member.id).limit(limit))).all()


async def add_members(
    session: AsyncSession, scope: Scope, branch_id: int, group_id: int, member_ids: Sequence[int]
) -> None:
    branch = await get_branch(session, scope, branch_id)
    group = await _group(session, branch, group_id)
    await _add_members(session, group, await _branch_members(session, branch.id, member_ids))


async def remove_member(
    session: AsyncSession, scope: Scope, branch_id: int, group_id: int, member_id: int
) -> None:
    branch = await get_branch(session, scope, branch_id)
    group = await _group(session, branch, group_id)
    if member_id == group.leader_member_id:
        raise LeaderRemoval()
    removed = await session.scalar(
        delete(PartyGroupMember)
        .where(PartyGroupMember.group_id == group.id, PartyGroupMember.member_id == member_id)
        .returning(PartyGroupMember.member_id)
    )
    if removed is None:
        raise GroupMemberNotFound()


async def party_group_of(session: AsyncSession, org_id: int, group_id: int) -> PartyGroup | None:
    """The party group, if it is one of the organization's."""
    return await session.scalar(
        select(PartyGroup).where(PartyGroup.id == group_id, PartyGroup.org_id == org_id)
    )


async def group_member_ids(session: AsyncSession, group_id: int) -> list[int]:
    """Who a 党小组会 expects: the group's current members, lost contacts left out."""
    rows = await session.scalars(
        select(Member.id)
        .join(PartyGroupMember, PartyGroupMember.member_id == Member.id)
        .where(
            PartyGroupMember.group_id == group_id,
            in_branch(PartyGroupMember.org_id),
            Member.is_lost_contact.is_(False),
        )
        .order_by(Member.id)
    )
    return list(rows)


# --- the branch committee ------------------------------------------------------------------


def _shown_seats(branch_id: int) -> Select[CommitteeSeat]:
    return (
        select(CommitteeSeat)
        .join(Member, Member.id == CommitteeSeat.member_id)
        .where(CommitteeSeat.org_id == branch_id, in_branch(CommitteeSeat.org_id))
        .options(with_expression(CommitteeSeat.member_name, Member.name))
        .execution_options(populate_existing=True)
    )


async def committee(
    session: AsyncSession, scope: Scope, branch_id: int, *, after_id: int | None, limit: int
) -> Sequence[CommitteeSeat]:
    """The seats, in the order they were given."""
    branch = await get_branch(session, scope, branch_id)
    query = _shown_seats(branch.id)
    if after_id is not None:
        query = query.where(CommitteeSeat.id > after_id)
    return (await session.scalars(query.order_by(CommitteeSeat.id).limit(limit))).all()


async def replace_committee(
    session: AsyncSession, scope: Scope, branch_id: int, body: CommitteeReplace, *, now: datetime
) -> Sequence[CommitteeSeat]:
    branch = await get_branch(session, scope, branch_id)
    # Two replacements at once would each delete the seats and both insert theirs: the lock
    # on the branch's row puts them one after the other (on SQLite BEGIN IMMEDIATE does).
    await session.execute(
        select(Organization.id).where(Organization.id == branch.id).with_for_update()
    )
    seats = list(dict.fromkeys((seat.member_id, seat.post) for seat in body.seats))
    held = Counter(post for _, post in seats)
    for post in CommitteePost:
        if post in SINGLE_HOLDER_POSTS and held[post] > 1:
            raise PostTaken(details={"post": post.value})
    await _branch_members(session, branch.id, [member_id for member_id, _ in seats])
    await session.execute(delete(CommitteeSeat).where(CommitteeSeat.org_id == branch.id))
    session.add_all(
        CommitteeSeat(org_id=branch.id, member_id=member_id, post=post, created_at=now)
        for member_id, post in seats
    )
    await session.flush()
    return (await session.scalars(_shown_seats(branch.id).order_by(CommitteeSeat.id))).all()


async def committee_member_ids(session: AsyncSession, org_id: int) -> list[int]:
    """Who a 支部委员会 expects: the seat holders who are current members, lost contacts left
    out; each once, whatever seats they hold."""
    rows = await session.scalars(
        select(Member.id)
        .join(CommitteeSeat, CommitteeSeat.member_id == Member.id)
        .where(
            CommitteeSeat.org_id == org_id,
            in_branch(CommitteeSeat.org_id),
            Member.is_lost_contact.is_(False),
        )
        .distinct()
        .order_by(Member.id)
    )
    return list(rows)
