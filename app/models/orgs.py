"""The organization tree: committees, general branches, branches and the social
organizations each covered by a branch. Subtree reads go through the closure table."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, str_enum


class OrgKind(enum.StrEnum):
    COMMITTEE = "committee"  # 综合党委, 两新工委, 街道工委
    GENERAL_BRANCH = "general_branch"  # 党总支
    BRANCH = "branch"  # 党支部
    JOINT_BRANCH = "joint_branch"  # 联合党支部
    SOCIAL_ORG = "social_org"  # 社会组织


PARTY_ORG_KINDS = frozenset(
    {OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.JOINT_BRANCH}
)
BRANCH_KINDS = frozenset({OrgKind.BRANCH, OrgKind.JOINT_BRANCH})

# Which kinds may sit under which: a social organization sits under the branch that covers
# it, or directly under the committee that oversees it while no branch covers it.
ALLOWED_PARENTS: dict[OrgKind, frozenset[OrgKind | None]] = {
    OrgKind.COMMITTEE: frozenset({None, OrgKind.COMMITTEE}),
    OrgKind.GENERAL_BRANCH: frozenset({OrgKind.COMMITTEE}),
    OrgKind.BRANCH: frozenset({OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH}),
    OrgKind.JOINT_BRANCH: frozenset({OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH}),
    OrgKind.SOCIAL_ORG: frozenset(
        {OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.JOINT_BRANCH}
    ),
}


class SocialOrgType(enum.StrEnum):
    SOCIAL_GROUP = "social_group"  # 社会团体
    FOUNDATION = "foundation"  # 基金会
    SOCIAL_SERVICE_AGENCY = "social_service_agency"  # 社会服务机构 (民办非企业单位)


class AffiliationMode(enum.StrEnum):
    TERRITORIAL = "territorial"  # 属地
    BUSINESS_SUPERVISOR = "business_supervisor"  # 业务主管
    ATTACHED = "attached"  # 挂靠
    FALLBACK = "fallback"  # 托底


class Rating(enum.StrEnum):
    NONE = "none"
    A1 = "1A"
    A2 = "2A"
    A3 = "3A"
    A4 = "4A"
    A5 = "5A"


class Organization(TimestampMixin, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("staff_count IS NULL OR staff_count >= 0", name="staff_count_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, "org_kind"))
    name: Mapped[str] = mapped_column(String(100))
    depth: Mapped[int] = mapped_column(default=0)

    # Social organizations only.
    social_org_type: Mapped[SocialOrgType | None] = mapped_column(
        str_enum(SocialOrgType, "social_org_type")
    )
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    registration_authority: Mapped[str | None] = mapped_column(String(100))
    affiliation_mode: Mapped[AffiliationMode | None] = mapped_column(
        str_enum(AffiliationMode, "affiliation_mode")
    )
    rating: Mapped[Rating | None] = mapped_column(str_enum(Rating, "rating"))
    staff_count: Mapped[int | None]


class OrgClosure(Base):
    """Every (ancestor, descendant) pair, the node with itself included at depth 0."""

    __tablename__ = "org_closure"
    __table_args__ = (Index("ix_org_closure_descendant_id", "descendant_id", "ancestor_id"),)

    ancestor_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    descendant_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    depth: Mapped[int]
