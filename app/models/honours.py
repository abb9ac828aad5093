"""Honours: nominations for the committee's 双强 awards and 党员示范岗, and its decision.

``honour_nominations``
    A secretary or committee admin nominates, within their scope and with a reason, a branch
    (双强党支部) or a member (双强党员, 党员示范岗) for a year. ``org_id`` is the branch
    itself or the member's branch (组织关系所在) when nominated, ``committee_id`` the nearest
    committee above it, which decides. A decision (approved or rejected, with a reason) is
    taken once: the status moves from pending only through a conditional update.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, str_enum


class HonourKind(enum.StrEnum):
    DOUBLE_STRONG_BRANCH = "double_strong_branch"  # 双强党支部 (a branch)
    DOUBLE_STRONG_MEMBER = "double_strong_member"  # 双强党员 (a member)
    MODEL_POST = "model_post"  # 党员示范岗 (a member)


HONOUR_KIND_LABELS: dict[HonourKind, str] = {
    HonourKind.DOUBLE_STRONG_BRANCH: "双强党支部",
    HonourKind.DOUBLE_STRONG_MEMBER: "双强党员",
    HonourKind.MODEL_POST: "党员示范岗",
}
BRANCH_HONOURS = frozenset({HonourKind.DOUBLE_STRONG_BRANCH})


class NominationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


NOMINATION_STATUS_LABELS: dict[NominationStatus, str] = {
    NominationStatus.PENDING: "待决定",
    NominationStatus.APPROVED: "已批准",
    NominationStatus.REJECTED: "未批准",
}


class Nomination(Base):
    __tablename__ = "honour_nominations"
    __table_args__ = (
        CheckConstraint(
            "(subject_org_id IS NULL) <> (subject_member_id IS NULL)", name="one_subject"
        ),
        CheckConstraint("year >= 2000 AND year <= 2100", name="year_range"),
        # One nomination of a subject for an honour and a year (NULLs are distinct).
        UniqueConstraint("kind", "year", "subject_org_id"),
        UniqueConstraint("kind", "year", "subject_member_id"),
        Index("ix_honour_nominations_committee_id_year", "committee_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[HonourKind] = mapped_column(str_enum(HonourKind, "honour_kind"))
    year: Mapped[int]
    subject_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    subject_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE")
    )
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    committee_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    nominated_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    nominated_at: Mapped[datetime]
    status: Mapped[NominationStatus] = mapped_column(
        str_enum(NominationStatus, "nomination_status"), default=NominationStatus.PENDING
    )
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    decided_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
