"""Every route declares what it needs: ``Depends(public)`` or a ``Requires(permission)``.
The route-matrix test fails for a route that declares neither."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.auth.tokens import decode_access_token
from app.db import DbSession
from app.errors import Forbidden, Unauthorized
from app.models import Account, Member, RoleAssignment
from app.runtime import RuntimeDep

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/wechat/login")


def public() -> None:
    """Marks a route as open to anonymous callers."""


async def load_principal(session: DbSession, account_id: int) -> Principal:
    rows = (
        await session.execute(
            select(Account.is_active, Member.id, RoleAssignment.role, RoleAssignment.org_id)
            .outerjoin(Member, Member.account_id == Account.id)
            .outerjoin(RoleAssignment, RoleAssignment.member_id == Member.id)
            .where(Account.id == account_id)
        )
    ).all()
    if not rows or not rows[0].is_active:
        raise Unauthorized("auth.account_disabled", "账号不可用", "Account not available")
    roles = tuple((row.role, row.org_id) for row in rows if row.role is not None)
    return Principal(account_id=account_id, member_id=rows[0].id, roles=roles)


class Requires:
    """Authenticates the caller and checks they hold ``permission`` somewhere; what lies
    outside their scope is then filtered by the service and answers 404."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(
        self,
        request: Request,
        session: DbSession,
        runtime: RuntimeDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthorized("auth.missing_token", "请先登录", "Sign in first")
        claims = decode_access_token(runtime.settings, credentials.credentials)
        principal = await load_principal(session, claims.account_id)
        if self.permission is not Permission.SELF and principal.scope(self.permission).is_empty:
            raise Forbidden()
        request.state.principal = principal
        return principal

    def __repr__(self) -> str:
        return f"Requires({self.permission.value})"


CurrentPrincipal = Annotated[Principal, Depends(Requires(Permission.SELF))]
OrgsReader = Annotated[Principal, Depends(Requires(Permission.ORGS_READ))]
OrgsWriter = Annotated[Principal, Depends(Requires(Permission.ORGS_WRITE))]
MembersReader = Annotated[Principal, Depends(Requires(Permission.MEMBERS_READ))]
MembersWriter = Annotated[Principal, Depends(Requires(Permission.MEMBERS_WRITE))]
SensitiveReader = Annotated[Principal, Depends(Requires(Permission.MEMBERS_READ_SENSITIVE))]
RolesManager = Annotated[Principal, Depends(Requires(Permission.ROLES_MANAGE))]
ActivitiesManager = Annotated[Principal, Depends(Requires(Permission.ACTIVITIES_MANAGE))]
AttendanceReader = Annotated[Principal, Depends(Requires(Permission.ATTENDANCE_READ))]
MinutesReviewer = Annotated[Principal, Depends(Requires(Permission.MINUTES_REVIEW))]
