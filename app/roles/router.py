from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.auth.dependencies import RolesManager
from app.auth.permissions import Permission
from app.db import DbSession
from app.kit.types import IdPath
from app.roles import service
from app.roles.schemas import RoleAssignmentRead, RoleGrant

router = APIRouter(prefix="/api/v1", tags=["roles"])


@router.get("/orgs/{org_id}/roles")
async def list_roles(
    org_id: IdPath, caller: RolesManager, session: DbSession
) -> list[RoleAssignmentRead]:
    """Who holds which role on an organization."""
    rows = await service.list_on_org(session, caller.scope(Permission.ROLES_MANAGE), org_id)
    return [
        RoleAssignmentRead(
            id=a.id,
            member_id=a.member_id,
            member_name=name,
            org_id=a.org_id,
            role=a.role,
            created_at=a.created_at,
        )
        for a, name in rows
    ]


@router.post("/orgs/{org_id}/roles", status_code=status.HTTP_201_CREATED)
async def grant_role(
    org_id: IdPath, body: RoleGrant, caller: RolesManager, session: DbSession
) -> RoleAssignmentRead:
    """Make a member secretary, instructor or committee admin of an organization and its subtree."""
    assignment, member = await service.grant(
        session,
        caller.scope(Permission.ROLES_MANAGE),
        caller.scope(Permission.MEMBERS_READ),
        org_id,
        body.member_id,
        body.role,
    )
    return RoleAssignmentRead(
        id=assignment.id,
        member_id=member.id,
        member_name=member.name,
        org_id=assignment.org_id,
        role=assignment.role,
        created_at=assignment.created_at,
    )


@router.delete("/roles/{role_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_role(role_id: IdPath, caller: RolesManager, session: DbSession) -> Response:
    """Take a role back."""
    await service.revoke(session, caller.scope(Permission.ROLES_MANAGE), role_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
