from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.kit.types import DbId
from app.kit.validation import CreditCode, NoControlChars
from app.models.orgs import AffiliationMode, OrgKind, Rating, SocialOrgType

_Text100 = StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
OrgName = Annotated[str, _Text100, NoControlChars]
Authority = Annotated[str, _Text100, NoControlChars]


class SocialOrgFields(BaseModel):
    social_org_type: SocialOrgType | None = None
    credit_code: CreditCode | None = Field(
        default=None,
        description="统一社会信用代码, 18 characters, check character per GB 32100-2015",
    )
    registration_authority: Authority | None = None
    affiliation_mode: AffiliationMode | None = None
    rating: Rating | None = None
    staff_count: int | None = Field(default=None, ge=0, le=1_000_000)


class OrgCreate(SocialOrgFields):
    model_config = ConfigDict(extra="forbid")

    parent_id: DbId | None = Field(default=None, description="Null only for a top committee")
    kind: OrgKind
    name: OrgName


class OrgUpdate(SocialOrgFields):
    model_config = ConfigDict(extra="forbid")

    parent_id: DbId | None = Field(default=None, description="Moves the node and its subtree")
    name: OrgName | None = None


class OrgRead(SocialOrgFields):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    kind: OrgKind
    name: str
    depth: int
    created_at: datetime
    updated_at: datetime


class OrgTreeNode(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    kind: OrgKind
    name: str
    children: list[OrgTreeNode] = []


class OrgTree(BaseModel):
    roots: list[OrgTreeNode]
