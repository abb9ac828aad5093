"""Responses of the head-count routes (issue 13 item 3)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.kit.time import ShownTime
from app.models import PartyStatus, RosterChangeKind

READ = ConfigDict(from_attributes=True)


class HeadcountItem(BaseModel):
    model_config = READ

    org_id: int
    name: str
    credit_code: str | None
    staff_count: int | None = Field(description="从业人员数 as the organization records it")
    party_members_working: int = Field(description="Full and probationary, working there")
    formal_members_working: int = Field(description="Of them, full members")
    relation_here: int = Field(description="Of them, relation at its parent branch")
    transfer_in_rate: float | None = Field(
        description="relation_here ÷ party_members_working, to 4 places; null when 0"
    )


class HeadcountTotals(BaseModel):
    model_config = READ

    organizations: int = Field(description="Social organizations of the subtree, all pages")
    staff_count: int = Field(description="Sum over those with a staff count recorded")
    staff_unrecorded: int = Field(description="Organizations with no staff count recorded")
    party_members_working: int
    formal_members_working: int
    relation_here: int
    transfer_in_rate: float | None = Field(
        description="Σ relation_here ÷ Σ party_members_working, to 4 places; null when 0"
    )


class HeadcountRead(BaseModel):
    org_id: int
    name: str
    as_of: date = Field(description="The day counted (Beijing time); see the description")
    totals: HeadcountTotals
    items: list[HeadcountItem]
    next_cursor: str | None = None


class QuarterRead(BaseModel):
    period: str = Field(description="The quarter, as 2026-Q1")
    label: str = Field(description="The quarter in Chinese, as 2026年第一季度")
    first: date
    last: date
    as_of: date = Field(description="The day the totals are of: the quarter's last day, or today")
    totals: HeadcountTotals
    changes: dict[RosterChangeKind, int] = Field(
        description="The party members' ledger rows per kind whose day lies in the quarter"
    )
    added: int = Field(description="joined + transferred_in")
    removed: int = Field(description="Every other kind")


class TrendRead(BaseModel):
    org_id: int
    name: str
    from_: str = Field(serialization_alias="from")
    to: str
    kind_labels: dict[RosterChangeKind, str]
    items: list[QuarterRead]


class RosterChangeRead(BaseModel):
    model_config = READ

    change_id: int
    member_id: int
    member_name: str
    party_status: PartyStatus = Field(description="The member's status at the change")
    kind: RosterChangeKind
    kind_label: str
    direction: str = Field(description="addition (joined, transferred_in) or removal")
    direction_label: str
    reason: str | None = Field(description="The note recorded with the change")
    org_id: int = Field(description="The roster changed: the relation, else the workplace")
    org_name: str
    occurred_on: date = Field(description="The day it took effect (Beijing)")
    recorded_at: ShownTime = Field(description="When it was recorded, in Beijing time")
    source: str = Field(description="What wrote it: member:create, member:depart, transfer:…")


class RosterChangePage(BaseModel):
    org_id: int
    name: str
    items: list[RosterChangeRead]
    next_cursor: str | None = None
