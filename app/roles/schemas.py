from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from app.kit.types import DbId
from app.models.members import Role


class RoleGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: DbId
    role: Role


class RoleAssignmentRead(BaseModel):
    id: int
    member_id: int
    member_name: str
    org_id: int | None
    role: Role
    created_at: datetime
