from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WechatLoginRequest(BaseModel):
    code: str = Field(
        min_length=1, max_length=128, description="wx.login() code, single-use, 5 minutes"
    )


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=256)


class TokenPair(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str
    refresh_expires_in: int
    account_id: int
    member_id: int | None = Field(description="Null until the account is linked to a member record")
