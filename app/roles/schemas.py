from __future__ import annotations

from datetime import datetime

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from app.kit.types import DbId
from app.models.members import Role


class RoleGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: DbId
    role: Role


class RoleAssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    member_id: int
    member_name: str = Field(validation_alias=AliasPath("member", "name"))
    org_id: int | None
    role: Role
    created_at: datetime
