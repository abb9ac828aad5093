from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.attendance.service import PersonState
from app.checkin.schemas import AttendanceRead
from app.models import ActivityType, LeaveStatus, OrgKind, PartyStatus

RATE = "出席率: the expected who came over the expected (leave is not attendance); null if none"


class Figures(BaseModel):
    expected: int
    present: int = Field(description="Everyone checked in, walk-ins included")
    late: int
    excused: int = Field(description="Approved leave, not present")
    absent: int = Field(description="Expected, neither present nor excused, after check-in closed")
    pending: int = Field(description="Expected and not here yet while check-in is still open")
    walk_ins: int
    needs_review: int = Field(description="Check-ins flagged for review (poor accuracy, walk-in)")
    rate: float | None = Field(description=RATE)


class RosterEntry(BaseModel):
    member_id: int
    name: str
    party_status: PartyStatus
    expected: bool
    state: PersonState
    leave_status: LeaveStatus | None
    attendance: AttendanceRead | None


class ActivityAttendance(BaseModel):
    activity_id: int
    title: str
    type: ActivityType
    status: str = Field(description="draft, published, ended or cancelled")
    starts_at: datetime
    ends_at: datetime
    closed: bool = Field(description="Check-in has closed: whoever is not here is absent")
    summary: Figures
    people: list[RosterEntry]


class HistoryEntry(BaseModel):
    activity_id: int
    title: str
    type: ActivityType
    org_id: int
    org_name: str
    starts_at: datetime
    ends_at: datetime
    expected: bool
    state: PersonState
    leave_status: LeaveStatus | None
    attendance: AttendanceRead | None


class MemberAttendance(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    member_id: int
    name: str
    from_: date = Field(alias="from")
    to: date
    summary: Figures
    activities: list[HistoryEntry]


class Tally(BaseModel):
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
    org_id: int
    name: str
    kind: OrgKind


class OrgAttendance(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    org_id: int
    name: str
    from_: date = Field(alias="from")
    to: date
    total: Tally = Field(description="Every finished, published activity in the subtree")
    own: Tally = Field(description="The organization's own activities")
    by_type: list[TypeTally]
    by_child: list[ChildTally] = Field(
        description="Each direct child's subtree; zeros where nothing was held"
    )
