"""Sign-in with WeChat, refresh-token rotation with reuse detection (RFC 9700 §4.14), logout."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.errors import (
    AccountDisabled,
    RefreshTokenExpired,
    RefreshTokenInvalid,
    RefreshTokenReused,
    RefreshTokenRevoked,
    WeChatCodeInvalid,
    WeChatRiskyUser,
    WeChatUserRateLimited,
)
from app.auth.tokens import hash_refresh_secret, issue_access_token, new_refresh_secret
from app.config import Settings
from app.errors import AppError
from app.integrations.wechat import WeChatClient, WeChatError, WeChatSession, WeChatUnavailable
from app.integrations.wechat.errors import WeChatBusy, WeChatFailed
from app.models import Account, Member, RefreshToken

# Every code wechat_error_to_app_error answers, for the routes that call WeChat with a code
# from the mini-program (sign-in, phone binding).
WECHAT_SIGN_IN_ERRORS: tuple[type[AppError], ...] = (
    WeChatCodeInvalid,
    WeChatUserRateLimited,
    WeChatRiskyUser,
    WeChatBusy,
    WeChatFailed,
)


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int  # of the access token, in seconds
    refresh_token: str
    refresh_expires_in: int
    account_id: int
    member_id: int | None


def wechat_error_to_app_error(exc: WeChatError | WeChatUnavailable) -> AppError:
    if isinstance(exc, WeChatUnavailable):
        return WeChatBusy()
    if exc.errcode in (40029, 40163):
        return WeChatCodeInvalid()
    if exc.errcode == 45011:
        return WeChatUserRateLimited(headers={"Retry-After": "60"})
    if exc.errcode == 40226:
        return WeChatRiskyUser()
    return WeChatFailed(details={"errcode": exc.errcode})


async def exchange_login_code(wechat: WeChatClient, code: str) -> WeChatSession:
    try:
        return await wechat.code2session(code)
    except (WeChatError, WeChatUnavailable) as exc:
        raise wechat_error_to_app_error(exc) from exc


async def find_or_create_account(
    session: AsyncSession, wechat_session: WeChatSession, now: datetime
) -> Account:
    by_openid = select(Account).where(Account.openid == wechat_session.openid)
    account = await session.scalar(by_openid)
    if account is None:
        try:
            async with session.begin_nested():
                account = Account(
                    openid=wechat_session.openid,
                    unionid=wechat_session.unionid,
                    created_at=now,
                    updated_at=now,
                )
                session.add(account)
        except IntegrityError:
            # A concurrent first login of the same user created it a moment ago.
            account = (await session.scalars(by_openid)).one()
    elif wechat_session.unionid and account.unionid != wechat_session.unionid:
        account.unionid = wechat_session.unionid
    if not account.is_active:
        raise AccountDisabled()
    account.last_login_at = now
    account.updated_at = now
    await session.flush()
    return account


async def _issue(
    session: AsyncSession, settings: Settings, account_id: int, family_id: str, now: datetime
) -> IssuedTokens:
    secret = new_refresh_secret()
    lifetime = timedelta(days=settings.refresh_token_days)
    session.add(
        RefreshToken(
            id=str(uuid.uuid4()),
            account_id=account_id,
            family_id=family_id,
            token_hash=hash_refresh_secret(secret),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    member_id = await session.scalar(select(Member.id).where(Member.account_id == account_id))
    await session.flush()
    return IssuedTokens(
        access_token=issue_access_token(settings, account_id, now),
        expires_in=settings.access_token_minutes * 60,
        refresh_token=secret,
        refresh_expires_in=int(lifetime.total_seconds()),
        account_id=account_id,
        member_id=member_id,
    )


async def start_session(
    session: AsyncSession, settings: Settings, account: Account, now: datetime
) -> IssuedTokens:
    return await _issue(session, settings, account.id, str(uuid.uuid4()), now)


async def rotate_refresh_token(
    session: AsyncSession, settings: Settings, secret: str, now: datetime
) -> IssuedTokens:
    token_hash = hash_refresh_secret(secret)
    # One conditional UPDATE is the race guard: of two requests with the same token, exactly
    # one sees a row change; the other is treated as reuse.
    claimed = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == token_hash,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
    if token is None:
        raise RefreshTokenInvalid()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        if token.used_at is not None:
            await revoke_family(session, token.family_id, now)
            raise RefreshTokenReused()
        if token.revoked_at is not None:
            raise RefreshTokenRevoked()
        raise RefreshTokenExpired()
    active = await session.scalar(select(Account.is_active).where(Account.id == token.account_id))
    if not active:
        raise AccountDisabled()
    return await _issue(session, settings, token.account_id, token.family_id, now)


async def revoke_family(session: AsyncSession, family_id: str, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


async def logout(session: AsyncSession, account_id: int, secret: str, now: datetime) -> None:
    family_id = await session.scalar(
        select(RefreshToken.family_id).where(
            RefreshToken.token_hash == hash_refresh_secret(secret),
            RefreshToken.account_id == account_id,
        )
    )
    if family_id is not None:
        await revoke_family(session, family_id, now)
