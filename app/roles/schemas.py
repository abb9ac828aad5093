from __future__ import annotations

from typing import Annotated

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import Lax, RequestModel
from app.models.members import Role


class RoleGrant(RequestModel):
    model_config = ConfigDict(extra="forbid")

    member_id: DbId
    role: Annotated[Role, Lax]


class RoleAssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    member_id: int
    member_name: str = Field(validation_alias=AliasPath("member", "name"))
    org_id: int | None
    role: Role
    created_at: ShownTime
