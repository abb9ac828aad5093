"""Who the caller is and whether they may: the codes of authentication and permission."""

from __future__ import annotations

from app.errors import Forbidden, TooManyRequests, Unauthorized


class MissingToken(Unauthorized):
    code = "auth.missing_token"
    message_zh = "请先登录"
    message_en = "Sign in first"


class InvalidToken(Unauthorized):
    code = "auth.invalid_token"
    message_zh = "登录凭证无效"
    message_en = "Invalid access token"


class TokenExpired(Unauthorized):
    code = "auth.token_expired"
    message_zh = "登录已过期"
    message_en = "Access token expired"


class AccountDisabled(Unauthorized):
    """Refused at sign-in and on every request that carries the account's tokens: 401 both
    times, so the mini-program drops its tokens and shows the sign-in page."""

    code = "auth.account_disabled"
    message_zh = "账号不可用"
    message_en = "Account not available"


class NotAMember(Forbidden):
    code = "auth.not_a_member"
    message_zh = "账号尚未关联党员信息，请先绑定手机号"
    message_en = "Bind your phone to your member record first"


class RefreshTokenInvalid(Unauthorized):
    code = "auth.refresh_invalid"
    message_zh = "登录凭证无效"
    message_en = "Invalid refresh token"


class RefreshTokenReused(Unauthorized):
    """A spent refresh token came back: its whole family is revoked, and stays revoked
    although the request answers an error."""

    code = "auth.refresh_reused"
    message_zh = "登录凭证已被使用，请重新登录"
    message_en = "Refresh token reused; sign in again"
    persist_changes = True


class RefreshTokenRevoked(Unauthorized):
    code = "auth.refresh_revoked"
    message_zh = "登录已退出，请重新登录"
    message_en = "Signed out; sign in again"


class RefreshTokenExpired(Unauthorized):
    code = "auth.refresh_expired"
    message_zh = "登录已过期，请重新登录"
    message_en = "Refresh token expired"


class WeChatCodeInvalid(Unauthorized):
    """WeChat refused the wx.login() or getPhoneNumber code: invalid, used or expired."""

    code = "auth.wechat_code_invalid"
    message_zh = "登录码无效或已使用"
    message_en = "Invalid or used login code"


class WeChatUserRateLimited(TooManyRequests):
    """WeChat's errcode 45011: this user signs in too often; Retry-After says when to try."""

    code = "auth.wechat_rate_limited"
    message_zh = "请求过于频繁，请稍后再试"
    message_en = "Too many requests"


class WeChatRiskyUser(Forbidden):
    """WeChat's errcode 40226: WeChat's risk control flagged the user."""

    code = "auth.wechat_risky_user"
    message_zh = "微信判定该用户存在风险"
    message_en = "WeChat flagged this user"
