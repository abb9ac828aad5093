"""Relation transfers (组织关系转接, issue 13 item 6).

``transfers``
    One member's relation moving out of a branch, into one, or both. A transfer inside the
    system passes out-branch approval, the committee's approval when the two branches lie
    under different committees, and in-branch acceptance; one to or from outside the system
    carries the letter number (介绍信编号) and the other side's name, and passes only the
    inside branch's step. ``step`` is the step waiting (set exactly while pending);
    ``step_since`` when it began waiting, for the reminders.

``transfer_events``
    The timeline: who did what at which step, when, and why.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, str_enum


class TransferKind(enum.StrEnum):
    INTERNAL = "internal"  # 系统内转接
    OUTBOUND = "outbound"  # 转出系统外
    INBOUND = "inbound"  # 从系统外转入


class TransferStatus(enum.StrEnum):
    PENDING = "pending"  # a step is waiting
    RETURNED = "returned"  # back with the starter for edits
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


OPEN_TRANSFER_STATUSES = frozenset({TransferStatus.PENDING, TransferStatus.RETURNED})


class TransferStep(enum.StrEnum):
    OUT_BRANCH = "out_branch"  # 转出支部审批
    COMMITTEE = "committee"  # 党委审批 (crossing committees only)
    IN_BRANCH = "in_branch"  # 转入支部接收


class TransferAction(enum.StrEnum):
    CREATED = "created"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"


class Transfer(TimestampMixin, Base):
    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("(status = 'pending') = (step IS NOT NULL)", name="step_while_pending"),
        CheckConstraint("from_org_id IS NOT NULL OR to_org_id IS NOT NULL", name="one_side_inside"),
        # One open transfer per member: two at once could move the relation twice.
        Index(
            "uq_transfers_open_member",
            "member_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'returned')"),
            sqlite_where=text("status IN ('pending', 'returned')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[TransferKind] = mapped_column(str_enum(TransferKind, "transfer_kind"))
    status: Mapped[TransferStatus] = mapped_column(str_enum(TransferStatus, "transfer_status"))
    step: Mapped[TransferStep | None] = mapped_column(str_enum(TransferStep, "transfer_step"))
    from_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    to_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The committee that approves a crossing: the nearest one above the in-branch.
    committee_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    from_outside_name: Mapped[str | None] = mapped_column(String(100))
    to_outside_name: Mapped[str | None] = mapped_column(String(100))
    letter_number: Mapped[str | None] = mapped_column(String(50))  # 介绍信编号
    reason: Mapped[str | None] = mapped_column(String(200))  # 转接原因
    # Who started it: an account number like the audit trail's actor, and their member.
    started_by_account_id: Mapped[int]
    started_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    step_since: Mapped[datetime]
    last_reminded_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class TransferEvent(Base):
    __tablename__ = "transfer_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(
        ForeignKey("transfers.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[TransferAction] = mapped_column(str_enum(TransferAction, "transfer_action"))
    step: Mapped[TransferStep | None] = mapped_column(str_enum(TransferStep, "transfer_step"))
    actor_account_id: Mapped[int | None]
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
