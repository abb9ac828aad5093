from __future__ import annotations

import enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import Lax, MultiLine, Name, NoControlChars, Reason200, RequestModel, line
from app.models.activities import CheckInMethod, RecordSource, ReviewStatus
from app.models.members import PartyStatus


class CheckInRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(min_length=1, max_length=64), NoControlChars] | None = (
        Field(
            default=None,
            description="The rotating code shown by the secretary, or the poster's scene",
        )
    )
    latitude: float | None = Field(
        default=None, ge=-90, le=90, description="WGS-84: wx.getLocation({type: 'wgs84'})"
    )
    longitude: float | None = Field(default=None, ge=-180, le=180, description="WGS-84")
    accuracy: float | None = Field(
        default=None, ge=0, le=100_000, description="Metres, from wx.getLocation"
    )
    client_nonce: Annotated[
        str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    ] = Field(
        description="A random id per check-in attempt; retrying with it replays the first answer"
    )


class GuestStatus(enum.StrEnum):
    """Who may come as a guest without an account: not party members."""

    ACTIVIST = PartyStatus.ACTIVIST.value  # 入党积极分子
    MASSES = PartyStatus.MASSES.value  # 群众


class Guest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    party_status: Annotated[GuestStatus, Lax]


class ManualCheckIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    member_id: DbId | None = Field(
        default=None, description="A member in the caller's scope, expected or not"
    )
    guest: Guest | None = Field(
        default=None,
        description="Or someone without an account (入党积极分子, 群众): a record of their own "
        "is made, the attendance marked as a walk-in",
    )
    reason: Annotated[str, line(200, min_length=2), MultiLine]

    @model_validator(mode="after")
    def _one_person(self) -> ManualCheckIn:
        if (self.member_id is None) == (self.guest is None):
            raise ValueError("give either member_id or guest")
        return self


class ReviewDecision(enum.StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"


class ReviewRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    decision: Annotated[ReviewDecision, Lax] = Field(
        description="confirm or reject a flagged check-in; reject also undoes a 补签"
    )
    reason: Reason200


class CheckInCode(BaseModel):
    activity_id: int
    token: str
    step: int
    expires_at: ShownTime = Field(
        description="When this code stops being accepted (end of the next step)"
    )
    refresh_at: ShownTime = Field(
        description="When the next code appears; show that one from then on"
    )


class AttendanceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    activity_id: int
    member_id: int
    method: CheckInMethod
    checked_in_at: ShownTime
    late: bool
    walk_in: bool
    needs_review: bool = Field(description="Flagged at check-in; review_status says the decision")
    review_reasons: list[str]
    review_status: ReviewStatus | None = Field(
        description="pending, confirmed or rejected (rejected counts as absent); null when "
        "never flagged"
    )
    reviewed_at: ShownTime | None
    review_note: str | None = Field(description="The reviewer's reason")
    distance_m: float | None
    checked_out_at: ShownTime | None
    duration_minutes: int | None
    manual_reason: str | None = Field(description="The reason of a 补签 or 补录 row")
    source: RecordSource = Field(
        description="live: checked in (or 补签) at the time; backfill: 补录, recorded after "
        "the activity by recorded_by_account_id at recorded_at"
    )
    recorded_by_account_id: int | None = Field(description="Who made a 补签 or 补录 row")
    recorded_at: ShownTime | None = Field(description="When a 补录 row was recorded")


class ReviewItem(AttendanceRead):
    """A flagged attendance with whose it is."""

    member_name: str
    party_status: PartyStatus
