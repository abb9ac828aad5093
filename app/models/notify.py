"""Notifications: the transactional outbox. A notification is written in the transaction of
the change that causes it; its deliveries, one per (notification, recipient, channel), are
claimed by the worker, retried with back-off, and dead-lettered after the last try. Times
come from the caller's clock (``now``), never from a column default."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, str_enum

if TYPE_CHECKING:
    from app.models.members import Member


class NotificationKind(enum.StrEnum):
    ACTIVITY_PUBLISHED = "activity_published"
    ACTIVITY_CHANGED = "activity_changed"
    ACTIVITY_CANCELLED = "activity_cancelled"
    ACTIVITY_REMINDER = "activity_reminder"
    NEWS_PUBLISHED = "news_published"
    ATTENDANCE_REJECTED = "attendance_rejected"  # a check-in or 补签 the secretary rejected
    LEAVE_DECIDED = "leave_decided"
    ABSENCE_REMINDER = "absence_reminder"
    STUDY_TASK_ASSIGNED = "study_task_assigned"
    STUDY_TASK_REMINDER = "study_task_reminder"  # the assigner reminds who has not finished
    QA_QUESTION_ROUTED = "qa_question_routed"  # to its instructor: new, reassigned, followed up
    QA_ANSWER_POSTED = "qa_answer_posted"  # to the asker, of each answer others can see
    QA_QUESTION_REMINDER = "qa_question_reminder"  # to its instructor: open for 24 h
    QA_REVIEW_DECIDED = "qa_review_decided"  # to the author of a text a reviewer decided
    TRANSFER_DECIDED = "transfer_decided"  # to the member and the starter, of each decision
    TRANSFER_REMINDER = "transfer_reminder"  # to whoever must act, after 3 days waiting


# A member may not turn these off: a moved or cancelled meeting must reach them.
CRITICAL_KINDS = frozenset({NotificationKind.ACTIVITY_CHANGED, NotificationKind.ACTIVITY_CANCELLED})


class Channel(enum.StrEnum):
    INBOX = "inbox"  # in-app, always on
    WECHAT = "wechat"  # one-time subscribe message
    SMS = "sms"
    EMAIL = "email"
    WECOM_BOT = "wecom_bot"  # a group, not a member
    DINGTALK_BOT = "dingtalk_bot"  # a group, not a member
    WEBHOOK = "webhook"  # a group, not a member
    CONSOLE = "console"  # development


GROUP_CHANNELS = frozenset({Channel.WECOM_BOT, Channel.DINGTALK_BOT, Channel.WEBHOOK})


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for next_attempt_at
    CLAIMED = "claimed"  # a worker holds it until lease_expires_at
    DELIVERED = "delivered"
    SKIPPED = "skipped"  # not subscribed, no address, channel off: nothing to send
    DEAD = "dead"  # permanent failure, or out of tries: listed for admins


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, "notification_kind"))
    # What caused it, e.g. "activity_event:12"; unique, so enqueueing twice is harmless.
    source: Mapped[str] = mapped_column(String(100), unique=True)
    # What it is about, e.g. "activity:12": a newer notification about the same subject
    # supersedes this one in the inbox (the meeting was moved, then cancelled).
    subject: Mapped[str | None] = mapped_column(String(50), index=True)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    # The mini-program page the message opens, with its query.
    page: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    critical: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        # The worker's claim: due pending rows, and claimed rows whose lease ran out.
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    # Empty for a group channel (a bot or webhook reaches a group, not one member).
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    notification: Mapped[Notification] = relationship(lazy="raise")
    member: Mapped[Member | None] = relationship(lazy="raise")

    @property
    def member_name(self) -> str | None:
        """None for a group channel's delivery."""
        return self.member.name if self.member is not None else None


class InboxMessage(Base):
    """The in-app inbox: written by the inbox channel when its delivery is dispatched."""

    __tablename__ = "inbox_messages"
    __table_args__ = (
        UniqueConstraint("member_id", "notification_id"),
        Index("ix_inbox_messages_member_id_read_at", "member_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]  # the notification's
    read_at: Mapped[datetime | None]


class SubscriptionCredit(Base):
    """WeChat one-time subscribe messages: each accept in the mini-program allows one send
    of that template to that member. A send takes one credit in a single UPDATE."""

    __tablename__ = "subscription_credits"
    __table_args__ = (CheckConstraint("credits >= 0", name="credits_not_negative"),)

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    template_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    credits: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]  # set by every change, from the sender's clock


class NotificationPreference(Base):
    """A member turning one channel on or off for one kind; no row means the channel's
    default in settings. Critical kinds and the inbox ignore "off"."""

    __tablename__ = "notification_preferences"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[NotificationKind] = mapped_column(
        str_enum(NotificationKind, "notification_kind"), primary_key=True
    )
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"), primary_key=True)
    enabled: Mapped[bool]


class QuietHours(Base):
    """A member's quiet hours in the display time zone; sends in them wait until the end.
    ``starts`` after ``ends`` spans midnight (22:00-07:00)."""

    __tablename__ = "quiet_hours"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    starts: Mapped[time]
    ends: Mapped[time]


class OrgDailySends(Base):
    """Bulk notifications an organization sent on a day, for its daily cap; raised with a
    conditional UPDATE so two publishers cannot both take the last one."""

    __tablename__ = "org_daily_sends"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class CommitteeSettings(Base):
    """What a committee decided for its subtree; the nearest committee above an
    organization that has a row wins, and no row anywhere means the default."""

    __tablename__ = "committee_settings"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    # Remind members who missed a meeting without approved leave (on when no committee says).
    absence_reminders: Mapped[bool]
    updated_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime]
