from __future__ import annotations

from datetime import date

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from app.models import PartyStatus

READ = ConfigDict(from_attributes=True)


class FigureTotals(BaseModel):
    model_config = READ

    members: int = Field(description="Current members counted in the subtree")
    studying_members: int = Field(description="Of them, those with study time in the period")
    self_study_seconds: int
    in_person_seconds: int
    total_seconds: int
    materials_completed: int
    points: int


class MemberFigure(BaseModel):
    model_config = READ

    member_id: int
    name: str
    org_id: int = Field(description="The member's relation organization, else their workplace")
    org_name: str
    party_status: PartyStatus
    self_study_seconds: int
    in_person_seconds: int
    total_seconds: int = Field(description="Self-study plus in-person seconds")
    materials_completed: int
    points: int


class MemberFigures(BaseModel):
    org_id: int
    name: str
    from_: date = Field(serialization_alias="from")
    to: date
    totals: FigureTotals = Field(description="Every counted member of the period, all pages")
    items: list[MemberFigure]
    next_cursor: str | None = None


class OrgFigure(BaseModel):
    model_config = READ

    org_id: int
    name: str
    members: int = Field(validation_alias=AliasPath("totals", "members"))
    studying_members: int = Field(validation_alias=AliasPath("totals", "studying_members"))
    total_seconds: int = Field(validation_alias=AliasPath("totals", "total_seconds"))
    average_seconds: int | None = Field(
        description="Total seconds per counted member; null where none is counted"
    )
    materials_completed: int = Field(validation_alias=AliasPath("totals", "materials_completed"))
    points: int = Field(validation_alias=AliasPath("totals", "points"))


class OrgFigures(BaseModel):
    from_: date = Field(serialization_alias="from")
    to: date
    total: OrgFigure = Field(description="The organization's whole subtree")
    by_child: list[OrgFigure] = Field(
        description="Each direct child's subtree, by id; zeros where nobody studied"
    )
