"""Every route declares what it needs: ``Depends(public)`` or a ``Requires(permission)``
(``CurrentPrincipal``, ``CurrentMember`` and the role aliases below are such). The route-matrix
test fails for a route that declares neither.

The caller's account, member and roles come in one query on a read session of its own, so a
writer's transaction (and on SQLite its write lock) starts only with its own first statement."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.errors import AccountDisabled, InvalidToken, MissingToken, NotAMember, TokenExpired
from app.auth.permissions import Permission
from app.auth.scope import MemberPrincipal, Principal
from app.auth.tokens import decode_access_token
from app.errors import AppError, DatabaseUnavailable, Forbidden
from app.models import Account, Member, RoleAssignment
from app.runtime import RuntimeDep

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/wechat/login")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def public() -> None:
    """Marks a route as open to anonymous callers. (Every dependency is ``async def``:
    FastAPI runs a plain ``def`` one on a worker thread, a hop per request.)"""


# Built once, its account bound at each run: every signed-in request runs it.
_PRINCIPAL = (
    select(Account.is_active, Member.id, RoleAssignment.role, RoleAssignment.org_id)
    .outerjoin(Member, Member.account_id == Account.id)
    .outerjoin(RoleAssignment, RoleAssignment.member_id == Member.id)
    .where(Account.id == bindparam("account_id", type_=Integer))
)


async def load_principal(connection: AsyncConnection, account_id: int) -> Principal:
    rows = (await connection.execute(_PRINCIPAL, {"account_id": account_id})).all()
    if not rows or not rows[0].is_active:
        raise AccountDisabled()
    roles = tuple((row.role, row.org_id) for row in rows if row.role is not None)
    member_id = rows[0].id
    if member_id is None:
        return Principal(account_id=account_id, member_id=None, roles=roles)
    return MemberPrincipal(account_id=account_id, member_id=member_id, roles=roles)


class Requires:
    """Authenticates the caller (an active account) and checks they hold ``permission``
    somewhere; what lies outside their scope is then filtered by the service and answers
    404."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission
        self.raises: tuple[type[AppError], ...] = (
            MissingToken,
            InvalidToken,
            TokenExpired,
            AccountDisabled,
            DatabaseUnavailable,
            *(() if permission is Permission.SELF else (Forbidden,)),
        )

    async def __call__(self, runtime: RuntimeDep, credentials: Credentials) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise MissingToken()
        claims = decode_access_token(runtime.settings, credentials.credentials)
        # A read connection of its own, given back before the route takes its own: a request
        # never holds two connections at once, so a full pool cannot deadlock on itself. A
        # connection, not a session: one Core statement, on every signed-in request (the
        # session's bookkeeping was 3% of a check-in, bench/README.md).
        async with runtime.read_engine.connect() as connection:
            principal = await load_principal(connection, claims.account_id)
        if self.permission is not Permission.SELF and principal.scope(self.permission).is_empty:
            raise Forbidden()
        return principal

    def __repr__(self) -> str:
        return f"Requires({self.permission.value})"


CurrentPrincipal = Annotated[Principal, Depends(Requires(Permission.SELF))]


class RequiresMember(Requires):
    """``Requires(Permission.SELF)`` of a caller whose account is linked to a member record;
    403 ``auth.not_a_member`` otherwise. A subclass rather than a dependency on
    ``CurrentPrincipal``: one dependency fewer to solve on the members' busiest routes."""

    def __init__(self) -> None:
        super().__init__(Permission.SELF)
        self.raises = (*self.raises, NotAMember)

    async def __call__(self, runtime: RuntimeDep, credentials: Credentials) -> MemberPrincipal:
        principal = await super().__call__(runtime, credentials)
        if not isinstance(principal, MemberPrincipal):
            raise NotAMember()
        return principal

    def __repr__(self) -> str:
        return "RequiresMember()"


# The caller, whose account is linked to a member record (403 auth.not_a_member otherwise).
CurrentMember = Annotated[MemberPrincipal, Depends(RequiresMember())]
OrgsReader = Annotated[Principal, Depends(Requires(Permission.ORGS_READ))]
OrgsWriter = Annotated[Principal, Depends(Requires(Permission.ORGS_WRITE))]
MembersReader = Annotated[Principal, Depends(Requires(Permission.MEMBERS_READ))]
MembersWriter = Annotated[Principal, Depends(Requires(Permission.MEMBERS_WRITE))]
MembersEraser = Annotated[Principal, Depends(Requires(Permission.MEMBERS_ERASE))]
SensitiveReader = Annotated[Principal, Depends(Requires(Permission.MEMBERS_READ_SENSITIVE))]
RolesManager = Annotated[Principal, Depends(Requires(Permission.ROLES_MANAGE))]
ActivitiesManager = Annotated[Principal, Depends(Requires(Permission.ACTIVITIES_MANAGE))]
AttendanceReader = Annotated[Principal, Depends(Requires(Permission.ATTENDANCE_READ))]
MinutesReviewer = Annotated[Principal, Depends(Requires(Permission.MINUTES_REVIEW))]
NewsWriter = Annotated[Principal, Depends(Requires(Permission.NEWS_WRITE))]
NotifyManager = Annotated[Principal, Depends(Requires(Permission.NOTIFY_MANAGE))]
StudyManager = Annotated[Principal, Depends(Requires(Permission.STUDY_MANAGE))]
StudyReader = Annotated[Principal, Depends(Requires(Permission.STUDY_READ))]
PointsManager = Annotated[Principal, Depends(Requires(Permission.POINTS_MANAGE))]
QaAnswerer = Annotated[Principal, Depends(Requires(Permission.QA_ANSWER))]
QaReviewer = Annotated[Principal, Depends(Requires(Permission.QA_REVIEW))]
QaManager = Annotated[Principal, Depends(Requires(Permission.QA_MANAGE))]
