from __future__ import annotations

from fastapi import APIRouter

from app.auth.dependencies import CurrentPrincipal, load_principal
from app.auth.service import WECHAT_SIGN_IN_ERRORS
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.me import service
from app.me.schemas import MeRead, PhoneBindRequest
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/me", tags=["me"])


@router.get("")
async def get_me(caller: CurrentPrincipal, session: ReadSession) -> MeRead:
    """The signed-in account, its member record and the roles it holds."""
    return MeRead.model_validate(await service.view(session, caller))


@router.post("/phone", responses=responses(*WECHAT_SIGN_IN_ERRORS))
async def bind_phone(
    body: PhoneBindRequest, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> MeRead:
    """Bind the WeChat phone number; links the member record the branch entered with it."""
    # The service asks WeChat before its first statement on this writer session.
    await service.bind_phone(session, runtime.wechat, caller, body.code, now=runtime.clock.now())
    # Read again: the account may now be linked to a member record.
    principal = await load_principal(await session.connection(), caller.account_id)
    return MeRead.model_validate(await service.view(session, principal))
