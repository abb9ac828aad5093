"""Requests and responses of the oversight routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict

from app.kit.time import ShownTime
from app.kit.validation import RequestModel
from app.models import ActivityType, AffiliationMode, NormType, OrgKind, Rating
from app.oversight.compliance import NotHeld
from app.oversight.coverage import Affiliation, Contradiction
from app.oversight.definitions import Coverage

READ = ConfigDict(from_attributes=True)


# --- coverage -----------------------------------------------------------------------------


class CoverageRead(BaseModel):
    model_config = READ

    org_id: int
    name: str
    as_of: date = Field(description="The day counted (Beijing time); see the description")
    total: int = Field(description="Social organizations of the subtree")
    own_branch: int
    joint: int
    instructor_only: int
    uncovered: int


class CoverageOrgRead(BaseModel):
    org_id: int
    name: str
    credit_code: str | None
    parent_id: int
    parent_name: str
    parent_kind: OrgKind
    coverage: Coverage
    coverage_label: str
    affiliation_mode: AffiliationMode | None
    rating: Rating | None
    contradictions: list[Contradiction] = Field(
        description="How its recorded affiliation contradicts its coverage; empty: it does not"
    )


class CoverageOrgPage(BaseModel):
    items: list[CoverageOrgRead]
    next_cursor: str | None = None


class ModeRead(BaseModel):
    affiliation_mode: Affiliation = Field(description="unrecorded: no affiliation mode recorded")
    label: str
    total: int
    own_branch: int
    joint: int
    instructor_only: int
    uncovered: int


class CommitteeRef(BaseModel):
    model_config = READ

    org_id: int
    name: str


class AffiliationRead(BaseModel):
    org_id: int
    name: str
    as_of: date
    modes: list[ModeRead] = Field(description="Every affiliation mode, then unrecorded")
    contradictions: dict[Contradiction, int] = Field(
        description="How many organizations contradict their affiliation, per kind"
    )
    comprehensive_committees: list[CommitteeRef] = Field(
        description="The committees designated 综合党委 in the subtree (the root included)"
    )
    under_comprehensive_committee: bool = Field(
        description="The root itself lies in the subtree of a designated 综合党委 above it"
    )


class ComprehensiveRead(BaseModel):
    committee_id: int
    name: str
    designated_at: ShownTime


# --- the rating cap -----------------------------------------------------------------------


class RatingExceptionRead(BaseModel):
    model_config = READ

    rating: str | None = Field(description="The rating the reason was given for")
    reason: str
    recorded_at: ShownTime
    recorded_by_account_id: int | None
    recorded_by_name: str | None


class RatingCapItem(BaseModel):
    model_config = READ

    org_id: int
    name: str
    credit_code: str | None
    rating: Rating | None
    formal_members_working: int
    coverage: Coverage
    over_cap: bool = Field(description="Rated 4A or 5A")
    exception: RatingExceptionRead | None = Field(
        description="The latest reason recorded for rating it above 3A; null: none"
    )


class RatingCapRead(BaseModel):
    org_id: int
    name: str
    capped: int = Field(description="Capped organizations of the subtree, all pages")
    over_cap: int = Field(description="Of them, rated 4A or 5A")
    items: list[RatingCapItem]
    next_cursor: str | None = None


# --- compliance ---------------------------------------------------------------------------


class ComplianceCounts(BaseModel):
    model_config = READ

    branches: int
    compliant: int
    non_compliant: int
    hollow: int = Field(description="Held nothing in the period (counted as non-compliant too)")


class BranchComplianceRead(BaseModel):
    model_config = READ

    org_id: int
    name: str
    kind: OrgKind
    held: dict[ActivityType, int] = Field(description="Activities held, per type (every type)")
    expected: dict[NormType, int] = Field(description="Activities expected, per norm type")
    compliant: bool
    hollow: bool
    last_held_on: date | None = Field(
        description="The day its latest held activity ended, up to the period's end"
    )
    attendance_rate: float | None = Field(
        description="Over its held activities of the period: expected attendees present or "
        "late ÷ expected attendees; null when none was expected"
    )


class ComplianceRead(BaseModel):
    org_id: int
    name: str
    period: str
    first: date
    last: date
    counts: ComplianceCounts = Field(description="Every branch of the subtree, all pages")
    items: list[BranchComplianceRead]
    next_cursor: str | None = None


class ActivityHeldRead(BaseModel):
    model_config = READ

    activity_id: int
    title: str
    type: ActivityType
    type_label: str
    status: str = Field(description="draft, published, ended or cancelled")
    starts_at: ShownTime
    ends_at: ShownTime
    attendances: int = Field(description="Attendances present or late")
    has_minutes: bool
    held: bool
    not_held_because: NotHeld | None


class BranchActivitiesRead(BaseModel):
    branch_id: int
    name: str
    period: str
    first: date
    last: date
    items: list[ActivityHeldRead]
    next_cursor: str | None = None


# --- norms --------------------------------------------------------------------------------


class NormRead(BaseModel):
    model_config = READ

    activity_type: NormType
    label: str
    per_quarter: int = Field(description="What holds in the committee's subtree")
    own: int | None = Field(description="What this committee set; null: it inherits")
    decided_by_org_id: int | None = Field(
        description="The committee whose value holds (the nearest above that set one); null: "
        "the default"
    )


class NormsRead(BaseModel):
    committee_id: int
    name: str
    norms: list[NormRead]


PerQuarter = Annotated[int, Strict(), Field(ge=0, le=100)]


class NormsWrite(RequestModel):
    """The committee's own norms per quarter; a type absent or null inherits from the
    committee above, or the default."""

    model_config = ConfigDict(strict=True, extra="forbid")

    branch_general_meeting: PerQuarter | None = None
    branch_committee: PerQuarter | None = None
    party_group: PerQuarter | None = None
    party_lecture: PerQuarter | None = None
    themed_party_day: PerQuarter | None = None

    def per_type(self) -> dict[NormType, int | None]:
        return {kind: getattr(self, kind.value) for kind in NormType}
