from __future__ import annotations

import enum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.kit.pagination import CursorKey
from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import (
    Lax,
    Moment,
    MultiLine,
    Reason200,
    RequestModel,
    Text50,
    Text100,
    line,
)
from app.minutes.schemas import MinutesWrite
from app.models.activities import (
    ActivityType,
    LeaveStatus,
    MassOrg,
    OutsideFencePolicy,
    RecordSource,
    SelfCheckInMethod,
    WalkInPolicy,
)
from app.models.groups import RsvpAnswer

Title = Text100
Latitude = Annotated[
    float, Field(ge=-90, le=90, description="WGS-84 (wx.getLocation type 'wgs84')")
]
Longitude = Annotated[
    float, Field(ge=-180, le=180, description="WGS-84 (wx.getLocation type 'wgs84')")
]


def _canonical_methods(methods: list[SelfCheckInMethod]) -> list[SelfCheckInMethod]:
    return [method for method in SelfCheckInMethod if method in methods]


CheckInMethods = Annotated[
    list[Annotated[SelfCheckInMethod, Lax]],
    Field(min_length=1, max_length=3),
    AfterValidator(_canonical_methods),
]


class Venue(RequestModel):
    venue_name: Text100 | None = None
    venue_latitude: Latitude | None = None
    venue_longitude: Longitude | None = None
    geofence_radius_m: int | None = Field(
        default=None, ge=10, le=5000, description="Check-in radius around the venue"
    )

    @model_validator(mode="after")
    def _coordinates_together(self) -> Venue:
        given = [self.venue_latitude is not None, self.venue_longitude is not None]
        if any(given) and not all(given):
            raise ValueError("venue_latitude and venue_longitude go together")
        return self


class ActivityFields(Venue):
    description: Annotated[str, StringConstraints(max_length=5000), MultiLine] | None = None
    host_member_id: DbId | None = None
    recorder_member_id: DbId | None = None
    lecturer_member_id: DbId | None = Field(default=None, description="党课 lecturer, a member")
    lecturer_name: Text50 | None = Field(default=None, description="党课 lecturer from outside")
    walk_in_policy: Annotated[WalkInPolicy, Lax] | None = None
    checkin_methods: CheckInMethods | None = Field(
        default=None,
        description="How members may check in by themselves (补签 is always possible); "
        "default all three",
    )
    location_required: bool | None = Field(
        default=None,
        description="A rotating-code check-in must send the member's point too "
        "(poster and location check-ins always do); needs the geofence. Default false",
    )
    outside_fence: Annotated[OutsideFencePolicy, Lax] | None = Field(
        default=None,
        description="A rotating-code check-in from outside the radius: refused, or accepted "
        "and flagged for review (default). Poster and location check-ins outside are refused",
    )
    co_hosts: list[Annotated[MassOrg, Lax]] | None = Field(
        default=None, max_length=3, description="工会, 妇联, 共青团"
    )
    party_group_id: DbId | None = Field(
        default=None, description="党小组会: the branch's party group (required of that type)"
    )


class ActivityCreate(ActivityFields):
    model_config = ConfigDict(extra="forbid")

    org_id: DbId
    type: Annotated[ActivityType, Lax]
    title: Title
    starts_at: Moment
    ends_at: Moment
    expected_member_ids: list[DbId] | None = Field(
        default=None,
        max_length=2000,
        description="Default: the organization's members; of a 支部委员会 the committee's "
        "seat holders, of a 党小组会 the group's members",
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> ActivityCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class ActivityUpdate(ActivityFields):
    model_config = ConfigDict(extra="forbid")

    type: Annotated[ActivityType, Lax] | None = None
    title: Title | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None


class CancelRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason200


class ExpectedChange(RequestModel):
    model_config = ConfigDict(extra="forbid")

    member_ids: list[DbId] = Field(min_length=1, max_length=500)


class ActivityRead(BaseModel):
    # Read from an Activity that activities_service.shown() prepared.
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    type: ActivityType
    title: str
    description: str | None
    status: str = Field(
        validation_alias="shown_status", description="draft, published, ended or cancelled"
    )
    starts_at: ShownTime
    ends_at: ShownTime
    host_member_id: int | None
    recorder_member_id: int | None
    lecturer_member_id: int | None
    lecturer_name: str | None
    venue_name: str | None
    venue_latitude: float | None
    venue_longitude: float | None
    geofence_radius_m: int | None
    walk_in_policy: WalkInPolicy
    checkin_methods: list[SelfCheckInMethod]
    location_required: bool
    outside_fence: OutsideFencePolicy
    co_hosts: list[MassOrg]
    party_group_id: int | None
    expected_count: int
    published_at: ShownTime | None
    cancelled_at: ShownTime | None
    cancel_reason: str | None
    source: RecordSource = Field(
        description="live: published beforehand and checked in at the time; backfill: 补录, "
        "recorded after it was held"
    )
    recorded_by_account_id: int | None = Field(description="Who recorded a 补录 (null if live)")
    recorded_at: ShownTime | None = Field(description="When a 补录 was recorded (null if live)")


class ExpectedMember(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    member_id: int
    name: str


class ShownStatus(enum.StrEnum):
    """The status readers see: "ended" is a published activity whose end has passed."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ENDED = "ended"
    CANCELLED = "cancelled"


class ActivityKey(CursorKey):
    """Where a page of the managers' list ends: (starts_at, id), its ascending order."""

    starts_at: Moment
    id: DbId


class RsvpSet(RequestModel):
    model_config = ConfigDict(extra="forbid")

    answer: Annotated[RsvpAnswer, Lax] = Field(
        description="attending (我会参加); to stay away, ask leave (请假) instead"
    )


class MyRsvp(BaseModel):
    """The signed-in member's answer; a leave request of theirs shows beside it."""

    activity_id: int
    answer: RsvpAnswer | None
    answered_at: ShownTime | None
    leave_status: LeaveStatus | None


class RsvpSummary(BaseModel):
    """The expected members, each counted once: leave first (approved, then requested),
    then those who said they will come, then those who have not answered."""

    activity_id: int
    expected: int
    attending: int
    leave_requested: int = Field(description="Leave asked for, not yet decided")
    leave_approved: int
    no_answer: int = Field(description="Neither attending nor on leave (a rejected leave too)")


# --- 补录 -------------------------------------------------------------------------------------

BackfillReason = Annotated[str, line(200, min_length=2), MultiLine]


class BackfillState(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"
    LEAVE = "leave"  # 请假, approved


class BackfillEntry(RequestModel):
    model_config = ConfigDict(extra="forbid")

    member_id: DbId
    state: Annotated[BackfillState, Lax]
    reason: BackfillReason | None = Field(
        default=None,
        description="present or late: this row's 补签 reason (default: the request's reason); "
        "leave: the reason for the leave (required); absent: none",
    )

    @model_validator(mode="after")
    def _reason_fits_state(self) -> BackfillEntry:
        if self.state is BackfillState.LEAVE and self.reason is None:
            raise ValueError("a leave entry needs its reason")
        if self.state is BackfillState.ABSENT and self.reason is not None:
            raise ValueError("an absent entry carries no reason")
        return self


class ActivityBackfill(RequestModel):
    """补录: an activity already held, with who came and its minutes."""

    model_config = ConfigDict(extra="forbid")

    org_id: DbId
    type: Annotated[ActivityType, Lax]
    title: Title
    description: Annotated[str, StringConstraints(max_length=5000), MultiLine] | None = None
    starts_at: Moment
    ends_at: Moment = Field(
        description="Must have passed, with the check-in window after it (until then, "
        "check in or 补签 as usual); the start no earlier than a year ago"
    )
    venue_name: Text100 | None = None
    host_member_id: DbId | None = None
    recorder_member_id: DbId | None = None
    lecturer_member_id: DbId | None = Field(default=None, description="党课 lecturer, a member")
    lecturer_name: Text50 | None = Field(default=None, description="党课 lecturer from outside")
    co_hosts: list[Annotated[MassOrg, Lax]] | None = Field(
        default=None, max_length=3, description="工会, 妇联, 共青团"
    )
    party_group_id: DbId | None = Field(
        default=None, description="党小组会: the branch's party group (required of that type)"
    )
    reason: BackfillReason = Field(
        description="Why it is recorded afterwards (e.g. held before the system was used); "
        "the 补签 reason of every present or late row that gives none"
    )
    attendance: list[BackfillEntry] = Field(
        max_length=2000,
        description="One entry per expected member at most (the organization's default "
        "expected list for the type); an expected member without an entry is absent",
    )
    minutes: MinutesWrite | None = Field(default=None, description="会议记录")
