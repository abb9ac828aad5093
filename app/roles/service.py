"""Granting and revoking roles on organizations. A grant reaches the whole subtree, so the
granter must manage roles over that organization and see the person receiving it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.auth.scope import Scope
from app.members import service as members_service
from app.models import OrgKind, Role, RoleAssignment
from app.models.orgs import BRANCH_KINDS
from app.orgs import service as orgs_service
from app.roles.errors import InvalidOrgKind, RoleAlreadyHeld, RoleNotFound, RoleNotGrantable

# Which organizations each role can be held on.
ROLE_ORG_KINDS: dict[Role, frozenset[OrgKind]] = {
    Role.SECRETARY: BRANCH_KINDS | {OrgKind.GENERAL_BRANCH},
    Role.INSTRUCTOR: frozenset(OrgKind),
    Role.COMMITTEE_ADMIN: frozenset({OrgKind.COMMITTEE}),
}


async def get_in_scope(session: AsyncSession, scope: Scope, assignment_id: int) -> RoleAssignment:
    """A role held on an organization of the scope; a system admin's (held on none) is never
    found here, so it cannot be revoked through the API."""
    assignment = await session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.id == assignment_id,
            RoleAssignment.org_id.is_not(None),
            scope.covers(RoleAssignment.org_id),
        )
    )
    if assignment is None:
        raise RoleNotFound()
    return assignment


async def list_on_org(session: AsyncSession, scope: Scope, org_id: int) -> Sequence[RoleAssignment]:
    """The roles held on the organization, each with its member loaded."""
    await orgs_service.get_in_scope(session, scope, org_id)
    query = (
        select(RoleAssignment)
        .options(joinedload(RoleAssignment.member, innerjoin=True))
        .where(RoleAssignment.org_id == org_id)
        .order_by(RoleAssignment.id)
    )
    return (await session.scalars(query)).all()


async def grant(
    session: AsyncSession,
    manage_scope: Scope,
    member_scope: Scope,
    org_id: int,
    member_id: int,
    role: Role,
    *,
    now: datetime,
) -> RoleAssignment:
    """The new assignment, with its member loaded."""
    org = await orgs_service.get_in_scope(session, manage_scope, org_id)
    allowed = ROLE_ORG_KINDS.get(role)
    if allowed is None:
        raise RoleNotGrantable()
    if org.kind not in allowed:
        raise InvalidOrgKind(details={"role": role.value, "org_kind": org.kind.value})
    member = await members_service.get_in_scope(session, member_scope, member_id)
    existing = await session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.member_id == member.id,
            RoleAssignment.org_id == org.id,
            RoleAssignment.role == role,
        )
    )
    if existing is not None:
        raise RoleAlreadyHeld()
    assignment = RoleAssignment(
        member=member, org_id=org.id, role=role, created_at=now, updated_at=now
    )
    session.add(assignment)
    await session.flush()
    return assignment


async def revoke(session: AsyncSession, scope: Scope, assignment_id: int) -> None:
    assignment = await get_in_scope(session, scope, assignment_id)
    await session.delete(assignment)
    await session.flush()
