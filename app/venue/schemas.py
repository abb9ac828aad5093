"""Requests and responses of the venue checklist."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.kit.time import ShownTime
from app.kit.validation import MultiLine, RequestModel, line
from app.models import OrgKind, VenueItem

READ = ConfigDict(from_attributes=True)


class ItemWrite(RequestModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    met: bool = Field(description="Whether the venue has it (有/无)")
    note: Annotated[str, line(500, min_length=0), MultiLine] | None = Field(
        default=None, description="What was seen, or what is lacking"
    )


class CheckerRead(BaseModel):
    model_config = READ

    account_id: int
    name: str | None = Field(description="The member record linked to the account, if any")


class PhotoRead(BaseModel):
    id: int
    item: VenueItem
    filename: str
    content_type: str
    size_bytes: int
    url: str = Field(description="Where the photo downloads from (with the caller's token)")
    uploaded_by_account_id: int | None
    created_at: ShownTime


class ItemRead(BaseModel):
    model_config = READ

    item: VenueItem
    label: str = Field(description="场所, 设施, 标志, 党旗, 书报 or 制度")
    checked: bool = Field(description="Someone has checked it; an unchecked item is not met")
    met: bool
    note: str | None
    checked_by: CheckerRead | None
    checked_at: ShownTime | None
    photos: list[PhotoRead]


class ChecklistRead(BaseModel):
    org_id: int
    name: str
    kind: OrgKind
    met_count: int = Field(description="How many of the six items are met")
    items: list[ItemRead] = Field(description="The six items, always all six, in order")


class ChecklistRow(BaseModel):
    org_id: int
    name: str
    kind: OrgKind
    parent_name: str | None
    met_count: int = Field(description="How many of the six items are met (0 to 6)")
    missing: list[VenueItem] = Field(description="The items not met, unchecked ones included")
    last_checked_at: ShownTime | None


class ChecklistPage(BaseModel):
    org_id: int
    name: str
    organizations: int = Field(description="Venue organizations of the subtree (no filter)")
    complete: int = Field(description="Of those, how many meet all six")
    incomplete: int = Field(description="Of those, how many miss at least one")
    items: list[ChecklistRow]
    next_cursor: str | None = None
