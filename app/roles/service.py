"""Granting and revoking roles on organizations. A grant reaches the whole subtree, so the
granter must manage roles over that organization and see the person receiving it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.auth.scope import Principal, Scope
from app.members import service as members_service
from app.members.errors import AlreadyDeparted
from app.models import AuditEvent, OrgKind, Role, RoleAssignment
from app.models.orgs import BRANCH_KINDS
from app.orgs import service as orgs_service
from app.roles.errors import (
    InvalidOrgKind,
    OwnLastManagingRole,
    RoleAlreadyHeld,
    RoleNotFound,
    RoleNotGrantable,
)

# Which organizations each role can be held on.
ROLE_ORG_KINDS: dict[Role, frozenset[OrgKind]] = {
    Role.SECRETARY: BRANCH_KINDS | {OrgKind.GENERAL_BRANCH},
    Role.INSTRUCTOR: frozenset(OrgKind),
    Role.COMMITTEE_ADMIN: frozenset({OrgKind.COMMITTEE}),
}
# The roles that run an organization; an instructor guides but does not manage.
MANAGING_ROLES = frozenset({Role.SECRETARY, Role.COMMITTEE_ADMIN, Role.SYSTEM_ADMIN})


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


async def list_on_org(
    session: AsyncSession,
    scope: Scope,
    org_id: int,
    *,
    role: Role | None,
    after_id: int | None,
    limit: int,
) -> Sequence[RoleAssignment]:
    """The roles held on the organization, each with its member loaded, oldest grant first."""
    await orgs_service.get_in_scope(session, scope, org_id)
    query = (
        select(RoleAssignment)
        .options(joinedload(RoleAssignment.member, innerjoin=True))
        .where(RoleAssignment.org_id == org_id)
    )
    if role is not None:
        query = query.where(RoleAssignment.role == role)
    if after_id is not None:
        query = query.where(RoleAssignment.id > after_id)
    return (await session.scalars(query.order_by(RoleAssignment.id).limit(limit))).all()


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
    if member.departed_at is not None:
        raise AlreadyDeparted()
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


async def revoke(
    session: AsyncSession,
    scope: Scope,
    assignment_id: int,
    *,
    caller: Principal,
    request_id: str | None,
    now: datetime,
) -> None:
    assignment = await get_in_scope(session, scope, assignment_id)
    if assignment.member_id == caller.member_id and assignment.role in MANAGING_ROLES:
        others = [
            held
            for held in caller.roles
            if held[0] in MANAGING_ROLES and held != (assignment.role, assignment.org_id)
        ]
        if not others:
            raise OwnLastManagingRole()
    session.add(
        AuditEvent(
            actor_account_id=caller.account_id,
            action="role.revoke",
            object_type="role_assignment",
            object_id=assignment.id,
            org_id=assignment.org_id,
            request_id=request_id,
            details={"member_id": assignment.member_id, "role": assignment.role.value},
            created_at=now,
        )
    )
    await session.delete(assignment)
    await session.flush()
