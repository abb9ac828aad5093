"""Requests and responses of the nominations."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import Lax, Reason500, RequestModel
from app.models import HonourKind, NominationStatus

YEAR = Field(ge=2000, le=2100)


class NominationCreate(RequestModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Annotated[HonourKind, Lax] = Field(
        description="double_strong_branch 双强党支部 (names `org_id`), double_strong_member "
        "双强党员 or model_post 党员示范岗 (name `member_id`)"
    )
    year: Annotated[int, YEAR]
    org_id: DbId | None = Field(default=None, description="The branch nominated")
    member_id: DbId | None = Field(default=None, description="The member nominated")
    reason: Reason500 = Field(description="推荐理由")


class DecisionWrite(RequestModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    decision: Literal["approved", "rejected"]
    reason: Reason500 = Field(description="The committee's reason, for either decision")


class PersonRef(BaseModel):
    account_id: int
    name: str | None = Field(description="The member record linked to the account, if any")


class NominationRead(BaseModel):
    id: int
    kind: HonourKind
    kind_label: str
    year: int
    subject_org_id: int | None
    subject_member_id: int | None
    subject_name: str = Field(description="The branch's or the member's name")
    org_id: int = Field(description="The branch itself, or the member's branch when nominated")
    org_name: str
    committee_id: int = Field(description="The nearest committee above, which decides")
    committee_name: str
    reason: str
    nominated_by: PersonRef | None
    nominated_at: ShownTime
    status: NominationStatus
    status_label: str
    decision_reason: str | None
    decided_by: PersonRef | None
    decided_at: ShownTime | None


class NominationPage(BaseModel):
    items: list[NominationRead]
    next_cursor: str | None = None
