from __future__ import annotations

from typing import Annotated

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from app.kit.time import ShownTime
from app.kit.validation import MultiLine, RequestModel, line


class MinutesWrite(RequestModel):
    model_config = ConfigDict(extra="forbid")

    content: Annotated[str, line(20000), MultiLine]
    decisions: Annotated[str, line(10000, min_length=0), MultiLine] | None = Field(
        default=None, description="决议: what the meeting decided"
    )


class AccountRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    account_id: int
    name: str | None = Field(description="The member record linked to the account, if any")


class AttendanceSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    expected: int
    present: int
    late: int
    excused: int = Field(description="Approved leave, not present")
    absent: int = Field(description="Expected, neither present nor excused, once check-in closed")
    pending: int = Field(description="Expected and not here yet while check-in is still open")
    walk_ins: int


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    activity_id: int
    filename: str
    content_type: str
    size_bytes: int
    uploaded_by_account_id: int | None
    created_at: ShownTime


class MinutesRead(BaseModel):
    # Read from minutes_service.MinutesView.
    model_config = ConfigDict(from_attributes=True)

    activity_id: int = Field(validation_alias=AliasPath("minutes", "activity_id"))
    content: str = Field(validation_alias=AliasPath("minutes", "content"))
    decisions: str | None = Field(validation_alias=AliasPath("minutes", "decisions"))
    written_by: AccountRef | None
    updated_at: ShownTime = Field(validation_alias=AliasPath("minutes", "updated_at"))
    reviewed_at: ShownTime | None = Field(validation_alias=AliasPath("minutes", "reviewed_at"))
    reviewed_by: AccountRef | None
    editable: bool = Field(
        description="The caller may still change the minutes and their attachments"
    )
    attendance: AttendanceSummary
    attachments: list[AttachmentRead]
