"""Where a question goes (issue 12, item 1): to the instructors of the nearest organization
up the asker's tree that has one; when no node up the tree has an instructor, to the
committee admins of the nearest committee that has one (else the nearest committee, where
only a system admin will see it: a question is never left without a place).

Only current members count as holders: an instructor who left routes nothing to themself."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Member, Organization, OrgClosure, OrgKind, Question, Role, RoleAssignment


@dataclass(frozen=True, slots=True)
class Route:
    org_id: int
    role: Role


def _nearest_holder(org_id: int, role: Role) -> Select[int]:
    return (
        select(OrgClosure.ancestor_id)
        .join(RoleAssignment, RoleAssignment.org_id == OrgClosure.ancestor_id)
        .join(Member, Member.id == RoleAssignment.member_id)
        .where(OrgClosure.descendant_id == org_id, RoleAssignment.role == role, Member.current())
        .order_by(OrgClosure.depth)
        .limit(1)
    )


async def route_for(session: AsyncSession, org_id: int) -> Route:
    """The route of a question asked from ``org_id`` (the asker's relation or workplace)."""
    instructed = await session.scalar(_nearest_holder(org_id, Role.INSTRUCTOR))
    if instructed is not None:
        return Route(instructed, Role.INSTRUCTOR)
    administered = await session.scalar(_nearest_holder(org_id, Role.COMMITTEE_ADMIN))
    if administered is not None:
        return Route(administered, Role.COMMITTEE_ADMIN)
    committee = await session.scalar(
        select(OrgClosure.ancestor_id)
        .join(Organization, Organization.id == OrgClosure.ancestor_id)
        .where(OrgClosure.descendant_id == org_id, Organization.kind == OrgKind.COMMITTEE)
        .order_by(OrgClosure.depth)
        .limit(1)
    )
    # A tree's root is a committee (ALLOWED_PARENTS), so only a broken tree falls through.
    return Route(committee if committee is not None else org_id, Role.COMMITTEE_ADMIN)


def routed_members(question: Question) -> Select[int]:
    """SQL: the ids of the current members a question is routed to (whom its notifications
    and reminders reach): its assignee once it has one, else the holders of its role on its
    organization itself."""
    if question.assignee_member_id is not None:
        return select(Member.id).where(Member.id == question.assignee_member_id, Member.current())
    return (
        select(Member.id)
        .join(RoleAssignment, RoleAssignment.member_id == Member.id)
        .where(
            RoleAssignment.org_id == question.routed_org_id,
            RoleAssignment.role == question.routed_role,
            Member.current(),
        )
        .order_by(Member.id)
    )
