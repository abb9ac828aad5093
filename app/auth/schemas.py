from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.integrations.wechat.fake import FAKE_UNIONID_PREFIX
from app.kit.validation import NoControlChars, RequestModel

# A wx.login() code is 32 characters. The bound leaves room and keeps what the development
# fake makes of a code (its unionid, FAKE_UNIONID_PREFIX + code) within its 64-character
# column, so no code answers a 500.
LOGIN_CODE_MAX = 64 - len(FAKE_UNIONID_PREFIX)
Token = Annotated[str, StringConstraints(min_length=1, max_length=256), NoControlChars]


class WechatLoginRequest(RequestModel):
    code: Annotated[
        str, StringConstraints(min_length=1, max_length=LOGIN_CODE_MAX), NoControlChars
    ] = Field(description="wx.login() code, single-use, 5 minutes")


class RefreshRequest(RequestModel):
    refresh_token: Token


class TokenPair(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str
    refresh_expires_in: int
    account_id: int
    member_id: int | None = Field(description="Null until the account is linked to a member record")
