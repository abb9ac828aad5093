from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status

from app.auth import service
from app.auth.dependencies import CurrentPrincipal, public
from app.auth.schemas import RefreshRequest, TokenPair, WechatLoginRequest
from app.db import DbSession
from app.kit.net import client_ip
from app.runtime import RuntimeDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _pair(issued: service.IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=issued.access_token,
        expires_in=issued.access_expires_in,
        refresh_token=issued.refresh_token,
        refresh_expires_in=issued.refresh_expires_in,
        account_id=issued.account_id,
        member_id=issued.member_id,
    )


@router.post("/wechat/login", dependencies=[Depends(public)])
async def wechat_login(
    body: WechatLoginRequest, request: Request, session: DbSession, runtime: RuntimeDep
) -> TokenPair:
    """Sign in with a wx.login() code; answers an access token and a refresh token."""
    settings = runtime.settings
    ip = client_ip(request, trust_forwarded_for=settings.trust_forwarded_for)
    await runtime.limiter.check(settings.rate_limit_login, "login-ip", ip)
    wechat_session = await service.exchange_login_code(runtime.wechat, body.code)
    await runtime.limiter.check(
        settings.rate_limit_login_per_openid, "login-openid", wechat_session.openid
    )
    now = runtime.clock.now()
    account = await service.find_or_create_account(session, wechat_session, now)
    return _pair(await service.start_session(session, settings, account, now))


@router.post("/refresh", dependencies=[Depends(public)])
async def refresh(body: RefreshRequest, session: DbSession, runtime: RuntimeDep) -> TokenPair:
    """Trade a refresh token for a new pair; a reused token ends the whole session family."""
    issued = await service.rotate_refresh_token(
        session, runtime.settings, body.refresh_token, runtime.clock.now()
    )
    return _pair(issued)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    body: RefreshRequest, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> Response:
    """End this session: its refresh-token family is revoked."""
    await service.logout(session, caller.account_id, body.refresh_token, runtime.clock.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
