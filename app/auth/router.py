from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status

from app.auth import service
from app.auth.dependencies import CurrentPrincipal, public
from app.auth.errors import (
    AccountDisabled,
    RefreshTokenExpired,
    RefreshTokenInvalid,
    RefreshTokenReused,
    RefreshTokenRevoked,
)
from app.auth.schemas import RefreshRequest, TokenPair, WechatLoginRequest
from app.db import DbSession
from app.errors import TooManyRequests, responses
from app.idempotency.route import IdempotentRoute
from app.kit.net import client_ip
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/auth", tags=["auth"])


@router.post(
    "/wechat/login",
    dependencies=[Depends(public)],
    responses=responses(TooManyRequests, AccountDisabled, *service.WECHAT_SIGN_IN_ERRORS),
)
async def wechat_login(
    body: WechatLoginRequest, request: Request, session: DbSession, runtime: RuntimeDep
) -> TokenPair:
    """Sign in with a wx.login() code; answers an access token and a refresh token."""
    settings = runtime.settings
    ip = client_ip(request, trust_forwarded_for=settings.trust_forwarded_for)
    await runtime.limiter.check(settings.rate_limit_login, "login-ip", ip)
    # WeChat before the first statement on the writer session: on SQLite that statement
    # takes the write lock, which no request should hold while WeChat answers.
    wechat_session = await service.exchange_login_code(runtime.wechat, body.code)
    await runtime.limiter.check(
        settings.rate_limit_login_per_openid, "login-openid", wechat_session.openid
    )
    now = runtime.clock.now()
    account = await service.find_or_create_account(session, wechat_session, now)
    issued = await service.start_session(session, settings, account, now)
    return TokenPair.model_validate(issued)


@router.post(
    "/refresh",
    dependencies=[Depends(public)],
    responses=responses(
        RefreshTokenInvalid,
        RefreshTokenReused,
        RefreshTokenRevoked,
        RefreshTokenExpired,
        AccountDisabled,
        TooManyRequests,
    ),
)
async def refresh(
    body: RefreshRequest, request: Request, session: DbSession, runtime: RuntimeDep
) -> TokenPair:
    """Trade a refresh token for a new pair; a reused token ends the whole session family."""
    settings = runtime.settings
    ip = client_ip(request, trust_forwarded_for=settings.trust_forwarded_for)
    await runtime.limiter.check(settings.rate_limit_refresh, "refresh-ip", ip)
    issued = await service.rotate_refresh_token(
        session, runtime.settings, body.refresh_token, runtime.clock.now()
    )
    return TokenPair.model_validate(issued)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    body: RefreshRequest, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> Response:
    """End this session: its refresh-token family is revoked."""
    await service.logout(session, caller.account_id, body.refresh_token, runtime.clock.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
