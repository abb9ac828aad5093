from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.kit.masking import mask_phone
from app.kit.validation import NoControlChars, RequestModel
from app.members.schemas import MemberRead
from app.models.members import Role
from app.models.orgs import OrgKind


class PhoneBindRequest(RequestModel):
    code: Annotated[str, StringConstraints(min_length=1, max_length=128), NoControlChars] = Field(
        description="getPhoneNumber button code, single-use"
    )


class HeldRole(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: Role
    org_id: int | None
    org_name: str | None


class OwnBranch(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: OrgKind


class MeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    account_id: int
    phone: str | None = Field(description="Masked")
    member: MemberRead | None = Field(
        description="Null until the account is linked to a member record"
    )
    roles: list[HeldRole]
    branch: OwnBranch | None = Field(
        description="The branch the membership is registered in (组织关系所在支部); null "
        "without a member record, without a branch, or once the member has left"
    )

    @field_validator("phone")
    @classmethod
    def _mask_phone(cls, phone: str | None) -> str | None:
        return mask_phone(phone)
