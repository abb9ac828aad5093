"""Requests and responses of the points routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict

from app.kit.time import ShownTime
from app.kit.validation import RequestModel
from app.models import PointKind

StrictInt = Annotated[int, Strict()]


class RuleWrite(RequestModel):
    points: StrictInt = Field(ge=0, le=100, description="Points per event, or per unit of study")
    unit_seconds: StrictInt | None = Field(
        default=None,
        ge=60,
        le=3600,
        description="Study time only: points per started unit of this many seconds (300 "
        "if absent); any other kind counts per event and must not send it",
    )
    daily_cap: StrictInt | None = Field(
        default=None, ge=0, le=1000, description="Points of this kind a day at most; null: none"
    )


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: PointKind
    label: str = Field(description="积分项目")
    points: int
    unit_seconds: int | None = Field(description="Study time's unit; null: per event")
    daily_cap: int | None = Field(description="Null: no daily cap")
    decided_by_org_id: int | None = Field(
        description="The committee whose rule holds (the nearest above that set one); null: "
        "the default"
    )
    own: bool = Field(description="This committee set it (DELETE inherits again)")


class RulesRead(BaseModel):
    org_id: int
    rules: list[RuleRead]


class KindPoints(BaseModel):
    kind: PointKind
    label: str
    points: int


class TotalsRead(BaseModel):
    week: int = Field(description="This ISO week (from Monday), in Beijing days")
    month: int
    year: int
    all_time: int
    period: str = Field(description="The period of by_kind: week, month, year or all")
    by_kind: list[KindPoints]


class EntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: PointKind
    label: str
    description: str = Field(description="The event that earned it, e.g. 活动签到：支部党员大会")
    points: int = Field(description="What counted: 0 when the daily cap was reached")
    requested: int = Field(description="What the rule gave")
    reversal: bool = Field(description="Takes back the points of the same event")
    day: date = Field(description="The day in Beijing the points count for")
    created_at: ShownTime


class RankItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rank: int = Field(description="Tied members share a rank (1, 1, 3)")
    member_id: int
    name: str
    org_name: str = Field(description="The member's branch")
    points: int


class StandingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    org_id: int
    org_name: str
    rank: int
    points: int
    members: int = Field(description="How many members are ranked")


class MyRankRead(BaseModel):
    period: str
    points: int
    branch: StandingRead | None = Field(description="Null: the caller belongs to no branch")
    committee: StandingRead | None = Field(description="In the nearest committee's subtree")
    top: list[RankItem] = Field(description="The top 10 of the caller's branch")
