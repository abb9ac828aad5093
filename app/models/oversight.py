"""Oversight: what a committee decides for the figures of its subtree.

``meeting_norms``
    A committee's norm for one type of meeting: how many a branch of its subtree should hold
    per quarter (三会一课 and 主题党日). The nearest committee above a branch that set a value
    for the type wins; where none did, the defaults of docs/mission.md hold
    (app/oversight/norms.py).

``comprehensive_committees``
    The committees designated as a 社会组织综合党委, the body that takes on (托底) the social
    organizations no other body manages. A social organization recorded as 托底 is expected
    to lie in the subtree of one of them; the affiliation figure lists those that do not.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.models.activities import ActivityType
from app.models.base import Base, str_enum


class NormType(enum.StrEnum):
    """The types of meeting a norm is set for, each an ``ActivityType`` of the same value."""

    BRANCH_GENERAL_MEETING = ActivityType.BRANCH_GENERAL_MEETING.value  # 支部党员大会
    BRANCH_COMMITTEE = ActivityType.BRANCH_COMMITTEE.value  # 支部委员会
    PARTY_GROUP = ActivityType.PARTY_GROUP.value  # 党小组会
    PARTY_LECTURE = ActivityType.PARTY_LECTURE.value  # 党课
    THEMED_PARTY_DAY = ActivityType.THEMED_PARTY_DAY.value  # 主题党日


class MeetingNorm(Base):
    __tablename__ = "meeting_norms"
    __table_args__ = (
        CheckConstraint("per_quarter >= 0 AND per_quarter <= 100", name="per_quarter_range"),
    )

    committee_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    activity_type: Mapped[NormType] = mapped_column(
        str_enum(NormType, "norm_type"), primary_key=True
    )
    per_quarter: Mapped[int]
    updated_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime]


class ComprehensiveCommittee(Base):
    __tablename__ = "comprehensive_committees"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    designated_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    designated_at: Mapped[datetime]
