from __future__ import annotations

from pydantic import BaseModel, Field

from app.members.schemas import MemberRead
from app.models.members import Role


class PhoneBindRequest(BaseModel):
    code: str = Field(
        min_length=1, max_length=128, description="getPhoneNumber button code, single-use"
    )


class HeldRole(BaseModel):
    role: Role
    org_id: int | None
    org_name: str | None


class MeRead(BaseModel):
    account_id: int
    phone: str | None = Field(description="Masked")
    member: MemberRead | None = Field(
        description="Null until the account is linked to a member record"
    )
    roles: list[HeldRole]
