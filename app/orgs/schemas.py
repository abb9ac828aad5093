from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import CreditCode, Lax, Reason200, RequestModel, Text100
from app.models.orgs import AffiliationMode, OrgKind, Rating, SocialOrgType

OrgName = Text100
Authority = Text100


class SocialOrgFields(RequestModel):
    social_org_type: Annotated[SocialOrgType, Lax] | None = None
    credit_code: CreditCode | None = Field(
        default=None,
        description="统一社会信用代码, 18 characters, check character per GB 32100-2015",
    )
    registration_authority: Authority | None = None
    affiliation_mode: Annotated[AffiliationMode, Lax] | None = None
    rating: Annotated[Rating, Lax] | None = None
    staff_count: int | None = Field(default=None, ge=0, le=1_000_000)


class OrgCreate(SocialOrgFields):
    model_config = ConfigDict(extra="forbid")

    parent_id: DbId | None = Field(default=None, description="Null only for a top committee")
    kind: Annotated[OrgKind, Lax]
    name: OrgName


class OrgUpdate(SocialOrgFields):
    model_config = ConfigDict(extra="forbid")

    parent_id: DbId | None = Field(default=None, description="Moves the node and its subtree")
    name: OrgName | None = None
    rating_reason: Reason200 | None = Field(
        default=None,
        description="Why a rating above 3A is given to an organization under the rating cap "
        "(at least 3 formal members working there, no branch or joint branch of its own): "
        "without it such a rating is refused (org.rating_over_cap); with it the rating is "
        "saved and the reason recorded, readable in GET /api/v1/oversight/rating-cap. "
        "Ignored when the rating needs none.",
    )


class OrgRead(SocialOrgFields):
    model_config = ConfigDict(from_attributes=True, strict=False)

    id: int
    parent_id: int | None
    kind: OrgKind
    name: str
    depth: int
    created_at: ShownTime
    updated_at: ShownTime


class OrgTreeNode(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    kind: OrgKind
    name: str
    children: list[OrgTreeNode] = []


class OrgTree(BaseModel):
    roots: list[OrgTreeNode]
