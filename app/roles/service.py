"""Granting and revoking roles on organizations. A grant reaches the whole subtree, so the
granter must manage roles over that organization and see the person receiving it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.errors import Conflict, NotFound, Unprocessable
from app.members import service as members_service
from app.models import Member, Organization, OrgKind, Role, RoleAssignment
from app.models.orgs import BRANCH_KINDS
from app.orgs import service as orgs_service

# Which organizations each role can be held on.
ROLE_ORG_KINDS: dict[Role, frozenset[OrgKind]] = {
    Role.SECRETARY: BRANCH_KINDS | {OrgKind.GENERAL_BRANCH},
    Role.INSTRUCTOR: frozenset(OrgKind),
    Role.COMMITTEE_ADMIN: frozenset({OrgKind.COMMITTEE}),
}


async def list_on_org(
    session: AsyncSession, scope: Scope, org_id: int
) -> Sequence[Row[RoleAssignment, str]]:
    await orgs_service.get_in_scope(session, scope, org_id)
    rows = await session.execute(
        select(RoleAssignment, Member.name)
        .join(Member, Member.id == RoleAssignment.member_id)
        .where(RoleAssignment.org_id == org_id)
        .order_by(RoleAssignment.id)
    )
    return rows.all()


async def grant(
    session: AsyncSession,
    manage_scope: Scope,
    member_scope: Scope,
    org_id: int,
    member_id: int,
    role: Role,
) -> tuple[RoleAssignment, Member]:
    org: Organization = await orgs_service.get_in_scope(session, manage_scope, org_id)
    allowed = ROLE_ORG_KINDS.get(role)
    if allowed is None:
        raise Unprocessable(
            "role.not_grantable",
            "系统管理员只能通过命令行设置",
            "System admins are made with the CLI",
        )
    if org.kind not in allowed:
        raise Unprocessable(
            "role.invalid_org_kind",
            "该角色不能设在此类组织上",
            "This role cannot be held on this kind of organization",
            details={"role": role.value, "org_kind": org.kind.value},
        )
    member = await members_service.get_in_scope(session, member_scope, member_id)
    existing = await session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.member_id == member.id,
            RoleAssignment.org_id == org.id,
            RoleAssignment.role == role,
        )
    )
    if existing is not None:
        raise Conflict(
            "role.already_held", "该成员已担任此角色", "The member already holds this role"
        )
    assignment = RoleAssignment(member_id=member.id, org_id=org.id, role=role)
    session.add(assignment)
    await session.flush()
    return assignment, member


async def revoke(session: AsyncSession, scope: Scope, assignment_id: int) -> None:
    assignment = await session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.id == assignment_id,
            RoleAssignment.org_id.is_not(None),
            scope.covers(RoleAssignment.org_id),
        )
    )
    if assignment is None:
        raise NotFound("role.not_found", "角色任命不存在", "Role assignment not found")
    await session.delete(assignment)
    await session.flush()
