from __future__ import annotations

from datetime import date

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from app.attendance.service import PersonState
from app.checkin.schemas import AttendanceRead
from app.kit.time import ShownTime
from app.models import ActivityType, LeaveStatus, OrgKind, PartyStatus

RATE = "出席率: the expected who came over the expected (leave is not attendance); null if none"

# Read from the service's results; a field taken from an object a result holds (its
# activity, member, organization or period) names where with AliasPath.
READ = ConfigDict(from_attributes=True)


class Figures(BaseModel):
    model_config = READ

    expected: int
    present: int = Field(
        description="Everyone checked in, walk-ins included; a check-in rejected in review "
        "counts as absent"
    )
    late: int
    excused: int = Field(description="Approved leave, not present")
    absent: int = Field(description="Expected, neither present nor excused, after check-in closed")
    pending: int = Field(description="Expected and not here yet while check-in is still open")
    walk_ins: int
    needs_review: int = Field(
        description="Flagged check-ins waiting for review (outside the fence, poor accuracy, "
        "walk-in)"
    )
    rate: float | None = Field(description=RATE)


class RosterEntry(BaseModel):
    model_config = READ

    member_id: int
    name: str
    party_status: PartyStatus
    expected: bool
    state: PersonState
    leave_status: LeaveStatus | None
    attendance: AttendanceRead | None


class ActivityAttendance(BaseModel):
    model_config = READ

    activity_id: int = Field(validation_alias=AliasPath("activity", "id"))
    title: str = Field(validation_alias=AliasPath("activity", "title"))
    type: ActivityType = Field(validation_alias=AliasPath("activity", "type"))
    status: str = Field(description="draft, published, ended or cancelled")
    starts_at: ShownTime = Field(validation_alias=AliasPath("activity", "starts_at"))
    ends_at: ShownTime = Field(validation_alias=AliasPath("activity", "ends_at"))
    closed: bool = Field(description="Check-in has closed: whoever is not here is absent")
    summary: Figures
    people: list[RosterEntry]


class HistoryEntry(BaseModel):
    model_config = READ

    activity_id: int = Field(validation_alias=AliasPath("activity", "id"))
    title: str = Field(validation_alias=AliasPath("activity", "title"))
    type: ActivityType = Field(validation_alias=AliasPath("activity", "type"))
    org_id: int = Field(validation_alias=AliasPath("activity", "org_id"))
    org_name: str
    starts_at: ShownTime = Field(validation_alias=AliasPath("activity", "starts_at"))
    ends_at: ShownTime = Field(validation_alias=AliasPath("activity", "ends_at"))
    expected: bool
    state: PersonState
    leave_status: LeaveStatus | None
    attendance: AttendanceRead | None


class MemberAttendance(BaseModel):
    model_config = READ

    member_id: int = Field(validation_alias=AliasPath("member", "id"))
    name: str = Field(validation_alias=AliasPath("member", "name"))
    from_: date = Field(validation_alias=AliasPath("period", "first"), serialization_alias="from")
    to: date = Field(validation_alias=AliasPath("period", "last"))
    summary: Figures = Field(
        description="The rate counts only activities whose check-in has closed, as the "
        "organization's figures do; those still open show as pending"
    )
    activities: list[HistoryEntry]


class Tally(BaseModel):
    model_config = READ

    activities: int
    expected: int
    present: int = Field(description="Expected members who came")
    late: int
    excused: int
    absent: int
    rate: float | None = Field(description=RATE)


class TypeTally(Tally):
    type: ActivityType


class ChildTally(Tally):
    org_id: int = Field(validation_alias=AliasPath("org", "id"))
    name: str = Field(validation_alias=AliasPath("org", "name"))
    kind: OrgKind = Field(validation_alias=AliasPath("org", "kind"))


class OrgAttendance(BaseModel):
    model_config = READ

    org_id: int = Field(validation_alias=AliasPath("org", "id"))
    name: str = Field(validation_alias=AliasPath("org", "name"))
    from_: date = Field(validation_alias=AliasPath("period", "first"), serialization_alias="from")
    to: date = Field(validation_alias=AliasPath("period", "last"))
    total: Tally = Field(description="Every finished, published activity in the subtree")
    own: Tally = Field(description="The organization's own activities")
    by_type: list[TypeTally]
    by_child: list[ChildTally] = Field(
        description="Each direct child's subtree; zeros where nothing was held"
    )
