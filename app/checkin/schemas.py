from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import MultiLine, NoControlChars, RequestModel, line
from app.models.activities import CheckInMethod


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


class ManualCheckIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    member_id: DbId
    reason: Annotated[str, line(200, min_length=2), MultiLine]


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
    needs_review: bool
    review_reasons: list[str]
    distance_m: float | None
    checked_out_at: ShownTime | None
    duration_minutes: int | None
