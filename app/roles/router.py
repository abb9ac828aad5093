from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import RolesManager
from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit.pagination import Page, PageParams, paginate
from app.kit.types import IdPath
from app.members.errors import AlreadyDeparted, MemberNotFound
from app.models.members import Role
from app.observability import request_id_var
from app.orgs.errors import OrgNotFound
from app.roles import service
from app.roles.errors import (
    InvalidOrgKind,
    OwnLastManagingRole,
    RoleAlreadyHeld,
    RoleNotFound,
    RoleNotGrantable,
)
from app.roles.schemas import RoleAssignmentRead, RoleGrant
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1", tags=["roles"])


@router.get("/orgs/{org_id}/roles", responses=responses(OrgNotFound))
async def list_roles(
    org_id: IdPath,
    caller: RolesManager,
    session: ReadSession,
    page: PageParams,
    role: Annotated[Role | None, Query(description="Only holders of this role")] = None,
) -> Page[RoleAssignmentRead]:
    """Who holds which role on an organization, oldest grant first."""
    assignments = await service.list_on_org(
        session,
        caller.scope(Permission.ROLES_MANAGE),
        org_id,
        role=role,
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(RoleAssignmentRead, assignments, page)


@router.post(
    "/orgs/{org_id}/roles",
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        OrgNotFound,
        RoleNotGrantable,
        InvalidOrgKind,
        MemberNotFound,
        AlreadyDeparted,
        RoleAlreadyHeld,
    ),
)
async def grant_role(
    org_id: IdPath, body: RoleGrant, caller: RolesManager, session: DbSession, runtime: RuntimeDep
) -> RoleAssignmentRead:
    """Make a member secretary, instructor or committee admin of an organization and its subtree."""
    assignment = await service.grant(
        session,
        caller.scope(Permission.ROLES_MANAGE),
        caller.scope(Permission.MEMBERS_READ),
        org_id,
        body.member_id,
        body.role,
        now=runtime.clock.now(),
    )
    return RoleAssignmentRead.model_validate(assignment)


@router.delete(
    "/roles/{role_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(RoleNotFound, OwnLastManagingRole),
)
async def revoke_role(
    role_id: IdPath, caller: RolesManager, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Take a role back (audited); nobody revokes their own last managing role."""
    await service.revoke(
        session,
        caller.scope(Permission.ROLES_MANAGE),
        role_id,
        caller=caller,
        request_id=request_id_var.get(),
        now=runtime.clock.now(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
