"""Every route declares what it needs: ``Depends(public)`` or a ``Requires(permission)``.
The route-matrix test fails for a route that declares neither."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.auth.tokens import AccessClaims, decode_access_token
from app.db import DbSession
from app.errors import Forbidden, Unauthorized
from app.models import Account, Member, RoleAssignment
from app.runtime import Runtime, RuntimeDep

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/wechat/login")


async def public() -> None:
    """Marks a route as open to anonymous callers. (Every dependency is ``async def``:
    FastAPI runs a plain ``def`` one on a worker thread, a hop per request.)"""


def account_disabled() -> Unauthorized:
    return Unauthorized("auth.account_disabled", "账号不可用", "Account not available")


def _verified_claims(
    runtime: Runtime, credentials: HTTPAuthorizationCredentials | None
) -> AccessClaims:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("auth.missing_token", "请先登录", "Sign in first")
    return decode_access_token(runtime.settings, credentials.credentials)


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
        raise account_disabled()
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
        claims = _verified_claims(runtime, credentials)
        principal = await load_principal(session, claims.account_id)
        if self.permission is not Permission.SELF and principal.scope(self.permission).is_empty:
            raise Forbidden()
        request.state.principal = principal
        return principal

    def __repr__(self) -> str:
        return f"Requires({self.permission.value})"


class Authenticated(Requires):
    """``Requires(Permission.SELF)`` for a hot path that reads the caller's account and member
    in the same query as everything else it needs (the check-in): checks the access token
    only, without a query of its own, and answers its claims. The route must then refuse what
    ``load_principal`` refuses: an account that is gone or disabled (``account_disabled()``)."""

    def __init__(self) -> None:
        super().__init__(Permission.SELF)

    # FastAPI reads this signature; the route matrix counts any Requires as a declaration.
    async def __call__(  # type: ignore[override]
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> AccessClaims:
        runtime: Runtime = request.app.state.runtime
        return _verified_claims(runtime, credentials)

    def __repr__(self) -> str:
        return "Authenticated()"


CurrentClaims = Annotated[AccessClaims, Depends(Authenticated())]
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
NewsWriter = Annotated[Principal, Depends(Requires(Permission.NEWS_WRITE))]
NotifyManager = Annotated[Principal, Depends(Requires(Permission.NOTIFY_MANAGE))]
