"""Organizational life: meetings and activities, who is expected, leave, attendance,
minutes, and the events the notification system picks up."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression

from app.models.base import Base, TimestampMixin, str_enum
from app.models.members import PartyStatus


class ActivityType(enum.StrEnum):
    BRANCH_GENERAL_MEETING = "branch_general_meeting"  # 支部党员大会
    BRANCH_COMMITTEE = "branch_committee"  # 支部委员会
    PARTY_GROUP = "party_group"  # 党小组会
    PARTY_LECTURE = "party_lecture"  # 党课
    THEMED_PARTY_DAY = "themed_party_day"  # 主题党日
    ORG_LIFE_MEETING = "org_life_meeting"  # 组织生活会
    MEMBER_APPRAISAL = "member_appraisal"  # 民主评议党员
    GROUP_STUDY = "group_study"  # 集中学习
    VOLUNTEER = "volunteer"  # 志愿服务
    OTHER = "other"


class ActivityStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    # "ended" is not stored: a published activity whose end has passed reads as ended.


class CheckInMethod(enum.StrEnum):
    ROTATING_CODE = "rotating_code"
    POSTER = "poster"
    GEOFENCE = "geofence"
    MANUAL = "manual"  # 补签 by the secretary


class SelfCheckInMethod(enum.StrEnum):
    """The ways members check in by themselves, which an activity may allow or not; 补签
    (manual) is the secretary's and always possible."""

    ROTATING_CODE = CheckInMethod.ROTATING_CODE.value
    POSTER = CheckInMethod.POSTER.value
    GEOFENCE = CheckInMethod.GEOFENCE.value


ALL_SELF_METHODS = [method.value for method in SelfCheckInMethod]
ALL_SELF_METHODS_JSON = '["rotating_code", "poster", "geofence"]'


class ReviewStatus(enum.StrEnum):
    PENDING = "pending"  # flagged at check-in, not decided yet
    CONFIRMED = "confirmed"
    REJECTED = "rejected"  # counts as absent everywhere


class WalkInPolicy(enum.StrEnum):
    REFUSE = "refuse"
    ACCEPT_FLAGGED = "accept_flagged"


class OutsideFencePolicy(enum.StrEnum):
    """What a rotating-code check-in from outside the radius gets. A poster or location
    check-in outside is always refused: there the point is the only proof of presence."""

    REFUSE = "refuse"
    REVIEW = "review"  # accepted, flagged for the secretary to confirm or reject


class RecordSource(enum.StrEnum):
    """How an activity or an attendance came to be recorded."""

    LIVE = "live"  # published before it happened, checked in (or 补签) at the time
    BACKFILL = "backfill"  # 补录: recorded by the secretary after it was held


class MassOrg(enum.StrEnum):
    UNION = "union"  # 工会
    WOMENS_FEDERATION = "womens_federation"  # 妇联
    YOUTH_LEAGUE = "youth_league"  # 共青团


class Activity(TimestampMixin, Base):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "geofence_radius_m IS NULL OR geofence_radius_m > 0", name="radius_positive"
        ),
        Index("ix_activities_org_id_starts_at", "org_id", "starts_at"),
        # Compliance (app/oversight/compliance.py): a period's activities by their end, and
        # a branch's latest held one read backwards.
        Index("ix_activities_org_id_ends_at", "org_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    type: Mapped[ActivityType] = mapped_column(str_enum(ActivityType, "activity_type"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ActivityStatus] = mapped_column(
        str_enum(ActivityStatus, "activity_status"), default=ActivityStatus.DRAFT
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    host_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    recorder_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    lecturer_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    lecturer_name: Mapped[str | None] = mapped_column(String(50))
    venue_name: Mapped[str | None] = mapped_column(String(100))
    # WGS-84, as wx.getLocation returns by default.
    venue_latitude: Mapped[float | None] = mapped_column(Float)
    venue_longitude: Mapped[float | None] = mapped_column(Float)
    geofence_radius_m: Mapped[int | None]
    walk_in_policy: Mapped[WalkInPolicy] = mapped_column(
        str_enum(WalkInPolicy, "walk_in_policy"), default=WalkInPolicy.ACCEPT_FLAGGED
    )
    # The check-in rules the organizer chose. Rows from before the rules existed keep what
    # they did then: every method, no location needed, a code outside the fence reviewed.
    checkin_methods: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: list(ALL_SELF_METHODS), server_default=ALL_SELF_METHODS_JSON
    )
    location_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    outside_fence: Mapped[OutsideFencePolicy] = mapped_column(
        str_enum(OutsideFencePolicy, "outside_fence_policy"),
        default=OutsideFencePolicy.REVIEW,
        server_default=OutsideFencePolicy.REVIEW.value,
    )
    # Per-activity HMAC key for the rotating check-in code; never leaves the server.
    checkin_secret: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    # 党小组会: the party group it is for (required of that type, by the service).
    party_group_id: Mapped[int | None] = mapped_column(ForeignKey("party_groups.id"), index=True)
    # 补录 (app/activities/backfill.py): recorded after it was held, by created_by_account_id
    # at created_at; never published to anyone beforehand (published_at stays empty).
    source: Mapped[RecordSource] = mapped_column(
        str_enum(RecordSource, "record_source"),
        default=RecordSource.LIVE,
        server_default=RecordSource.LIVE.value,
    )

    # Shown with an activity, never stored: activities_service.shown() fills them for an answer.
    # "ended" depends on the clock, so the status readers see is not a column.
    shown_status: Mapped[str] = query_expression(expire_on_flush=False)
    co_hosts: Mapped[list[MassOrg]] = query_expression(expire_on_flush=False)
    expected_count: Mapped[int] = query_expression(expire_on_flush=False)

    @property
    def recorded_by_account_id(self) -> int | None:
        """Who recorded a 补录 (None for a live activity)."""
        return self.created_by_account_id if self.source is RecordSource.BACKFILL else None

    @property
    def recorded_at(self) -> datetime | None:
        """When a 补录 was recorded (None for a live activity)."""
        return self.created_at if self.source is RecordSource.BACKFILL else None


class ActivityCoHost(Base):
    """党建带群建: a mass organization co-hosting the activity."""

    __tablename__ = "activity_co_hosts"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    mass_org: Mapped[MassOrg] = mapped_column(str_enum(MassOrg, "mass_org"), primary_key=True)


class ExpectedAttendee(Base):
    __tablename__ = "activity_expected"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class LeaveStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class LeaveRequest(TimestampMixin, Base):
    """请假: one per (activity, member); asking again replaces a rejected or withdrawn one."""

    __tablename__ = "leave_requests"
    __table_args__ = (UniqueConstraint("activity_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[LeaveStatus] = mapped_column(
        str_enum(LeaveStatus, "leave_status"), default=LeaveStatus.PENDING
    )
    decided_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(200))

    # Shown with a request, never stored: loaded by leave_service's queries (with_expression).
    member_name: Mapped[str] = query_expression()
    activity_title: Mapped[str] = query_expression()
    activity_starts_at: Mapped[datetime] = query_expression()


class Attendance(Base):
    """Exactly one per (activity, member): the unique constraint is the race guard."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("activity_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    method: Mapped[CheckInMethod] = mapped_column(str_enum(CheckInMethod, "checkin_method"))
    checked_in_at: Mapped[datetime]
    late: Mapped[bool] = mapped_column(default=False)
    walk_in: Mapped[bool] = mapped_column(default=False)
    # The one point of the check-in (WGS-84) and how far it lay from the venue; no trajectory.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    # Flagged at check-in (needs_review, with its reasons) and what the secretary decided;
    # a 补签 has no review status until it is undone (rejected).
    needs_review: Mapped[bool] = mapped_column(default=False)
    review_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    review_status: Mapped[ReviewStatus | None] = mapped_column(
        str_enum(ReviewStatus, "review_status")
    )
    reviewed_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(String(200))
    client_nonce: Mapped[str | None] = mapped_column(String(64))
    checked_out_at: Mapped[datetime | None]
    recorded_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    manual_reason: Mapped[str | None] = mapped_column(String(200))
    # 补录: a row recorded after the activity (by recorded_by_account_id, at recorded_at);
    # its checked_in_at is the activity's start, not a moment anyone checked in.
    source: Mapped[RecordSource] = mapped_column(
        str_enum(RecordSource, "record_source"),
        default=RecordSource.LIVE,
        server_default=RecordSource.LIVE.value,
    )
    recorded_at: Mapped[datetime | None]

    # Shown in the review queue, never stored: loaded there with with_expression.
    member_name: Mapped[str] = query_expression()
    party_status: Mapped[PartyStatus] = query_expression()

    @property
    def rejected(self) -> bool:
        """Rejected in review (or an undone 补签): absent in every figure."""
        return self.review_status is ReviewStatus.REJECTED

    @property
    def duration_minutes(self) -> int | None:
        if self.checked_out_at is None:
            return None
        return int((self.checked_out_at - self.checked_in_at).total_seconds() // 60)


class Minutes(TimestampMixin, Base):
    """会议记录: editable by the secretary until a committee admin marks them reviewed."""

    __tablename__ = "activity_minutes"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[str] = mapped_column(Text)
    decisions: Mapped[str | None] = mapped_column(Text)
    written_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None]
    reviewed_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )


class MinutesAttachment(Base):
    __tablename__ = "activity_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]


class ActivityEventKind(enum.StrEnum):
    PUBLISHED = "published"
    CHANGED = "changed"
    CANCELLED = "cancelled"
    REMINDER = "reminder"


class ActivityEvent(Base):
    """Recorded in the same transaction as the change, for the notification system to
    deliver; ``delivered_at`` stays empty until it does."""

    __tablename__ = "activity_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ActivityEventKind] = mapped_column(
        str_enum(ActivityEventKind, "activity_event_kind")
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    # When it should go out: now for changes, some time before the start for a reminder.
    due_at: Mapped[datetime] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None]
    # A reminder is superseded when the activity moves or is cancelled.
    superseded_at: Mapped[datetime | None]
