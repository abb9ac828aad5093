from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.kit.time import ShownTime
from app.kit.validation import MultiLine, Reason500, RequestModel, line
from app.models import LeaveStatus


class LeaveCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason500


class LeaveDecision(RequestModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: Annotated[str, line(200, min_length=0), MultiLine] | None = Field(
        default=None, description="Shown to the member, e.g. why it was rejected"
    )


class LeaveRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    activity_id: int
    activity_title: str
    activity_starts_at: ShownTime
    member_id: int
    member_name: str
    reason: str
    status: LeaveStatus
    decided_by_account_id: int | None
    decided_at: ShownTime | None
    decision_note: str | None
    created_at: ShownTime
    updated_at: ShownTime
