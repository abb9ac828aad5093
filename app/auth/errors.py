"""Who the caller is and whether they may: the codes of authentication and permission."""

from __future__ import annotations

from app.errors import Forbidden, Unauthorized


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
