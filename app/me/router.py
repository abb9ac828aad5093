from __future__ import annotations

from fastapi import APIRouter

from app.auth.dependencies import CurrentPrincipal, load_principal
from app.db import DbSession
from app.me import service
from app.me.schemas import MeRead, PhoneBindRequest
from app.runtime import RuntimeDep

router = APIRouter(prefix="/api/v1/me", tags=["me"])


@router.get("")
async def get_me(caller: CurrentPrincipal, session: DbSession) -> MeRead:
    """The signed-in account, its member record and the roles it holds."""
    return await service.view(session, caller)


@router.post("/phone")
async def bind_phone(
    body: PhoneBindRequest, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> MeRead:
    """Bind the WeChat phone number; links the member record the branch entered with it."""
    await service.bind_phone(session, runtime.wechat, caller, body.code)
    return await service.view(session, await load_principal(session, caller.account_id))
