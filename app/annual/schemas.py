"""The annual report's request and responses (年度报告 党建部分)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from app.kit.time import ShownTime
from app.kit.validation import MultiLine, RequestModel, line
from app.models import ActivityType, NormType, OrgKind, RosterChangeKind
from app.oversight.definitions import Coverage

NOTE_MAX = 2000  # characters per section
NoteText = Annotated[str, line(NOTE_MAX, min_length=0), MultiLine]


class MembersSection(BaseModel):
    as_of: date = Field(description="The day counted: the year's last day, or today")
    staff_count: int | None = Field(description="从业人员数 as the organization records it now")
    party_members_working: int = Field(description="Full and probationary, working there")
    formal_members_working: int = Field(description="Of them, full members")
    probationary_members_working: int = Field(description="Of them, probationary members")
    relation_here: int = Field(description="Of them, relation at its parent branch")
    transfer_in_rate: float | None = Field(
        description="relation_here ÷ party_members_working, to 4 places; null when 0"
    )
    changes: dict[RosterChangeKind, int] = Field(
        description="The party members' roster-ledger rows of the year per kind (every kind)"
    )
    added: int = Field(description="joined + transferred_in")
    removed: int = Field(description="Every other kind")


class PersonRead(BaseModel):
    member_id: int
    name: str


class PartyOrganizationSection(BaseModel):
    coverage: Coverage
    coverage_label: str
    branch_id: int | None = Field(description="The parent branch or joint branch; else null")
    branch_name: str | None
    branch_kind: OrgKind | None
    secretaries: list[PersonRead] = Field(
        description="Who holds the secretary role on that branch today"
    )
    instructors: list[PersonRead] = Field(
        description="Who holds the instructor role on the organization itself"
    )


class ActivitiesSection(BaseModel):
    branch_id: int = Field(description="The branch whose activities these are")
    branch_name: str
    shared: bool = Field(
        description="A joint branch: its activities serve every organization it covers"
    )
    held: dict[ActivityType, int] = Field(description="Held in the year, per type (every type)")
    expected: dict[NormType, int] = Field(description="Expected in the year from the norms")
    held_total: int
    compliant: bool = Field(description="held ≥ expected for every norm type")
    hollow: bool = Field(description="Nothing held in the year")
    last_held_on: date | None
    attendance_rate: float | None = Field(
        description="Over the held activities: expected attendees present or late ÷ expected"
    )


class StudySection(BaseModel):
    members: int = Field(description="The party members working there at as_of")
    studying_members: int = Field(description="Of them, those with any study time")
    self_study_seconds: int
    in_person_seconds: int
    total_seconds: int
    total_minutes: float = Field(description="total_seconds in minutes, to one decimal")
    average_minutes: float | None = Field(
        description="total_minutes ÷ members, to one decimal; null when nobody is counted"
    )


class NotesRead(BaseModel):
    highlights: str | None = Field(description="工作亮点")
    problems: str | None = Field(description="存在问题")
    plans: str | None = Field(description="下一步计划")
    version: int = Field(description="Saves so far (0: never saved); a save names it")
    updated_at: ShownTime | None = Field(description="When they were last saved")
    updated_by_account_id: int | None
    updated_by_name: str | None = Field(description="The name of who saved last, as it is now")


class AnnualReportRead(BaseModel):
    org_id: int
    name: str
    credit_code: str | None
    year: int
    complete: bool = Field(description="The year is over (false: counted up to today)")
    generated_at: ShownTime
    members: MembersSection
    party_organization: PartyOrganizationSection
    activities: ActivitiesSection | None = Field(
        description="Null when the organization has no branch or joint branch as parent"
    )
    study: StudySection
    notes: NotesRead


class NotesWrite(RequestModel):
    """Every section at once (PUT): an absent or null section is cleared."""

    highlights: NoteText | None = Field(default=None, description="工作亮点")
    problems: NoteText | None = Field(default=None, description="存在问题")
    plans: NoteText | None = Field(default=None, description="下一步计划")
    version: int = Field(
        ge=0,
        le=2_147_483_647,
        description="The version the edit started from (0 when none was saved yet)",
    )


class AnnualReportLine(BaseModel):
    model_config = {"from_attributes": True}

    org_id: int
    name: str
    credit_code: str | None
    coverage: Coverage
    branch_id: int | None = Field(description="The parent branch or joint branch; else null")
    branch_name: str | None
    party_members_working: int
    formal_members_working: int
    relation_here: int
    transfer_in_rate: float | None
    held_total: int | None = Field(
        description="Activities the branch held in the year; null without a branch in the subtree"
    )
    compliant: bool | None
    hollow: bool | None
    study_minutes: float = Field(description="The party members working there, in the year")
    notes_version: int = Field(description="0: no notes saved for the year")
    notes_updated_at: ShownTime | None


class AnnualReportPage(BaseModel):
    org_id: int
    name: str
    year: int
    as_of: date
    complete: bool
    items: list[AnnualReportLine]
    next_cursor: str | None = None
