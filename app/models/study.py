"""Study: materials, the tasks that assign them, and the study time the server credits.

The data model, and why it has this shape:

``study_materials``
    One row per material (article, video or PDF document), owned by an organization (the
    scope anchor, as for news), draft → published → archived. ``length_seconds`` is its
    reading or running time and ``required_seconds`` the credited time that makes it done
    (80 % of the length unless the author says otherwise). A published material is open to
    the members whose relation or workplace lies in its organization's subtree.

``study_tasks``, ``study_task_materials``, ``study_task_audience``
    A task assigns materials to an audience with a due time. The audience is news's model
    ("statuses as rows": one row per (task, organization subtree, party status)), computed
    by ``app.audience`` when needed; no per-member copy of a task exists.

``study_presence``
    One row per member: the material they last beat on and when. It is the lock every
    heartbeat of that member takes (SELECT ... FOR UPDATE), so however many beats race, each
    credits only the time since the one committed before it: the sum never exceeds the wall
    clock, and a beat on another material ends the stretch.

``study_progress``
    One row per (member, material): the credited seconds (self-study and in-person sessions
    naming the material), never more than 1.5 × the length, the completion time, and the
    position the video may resume from.

``study_daily``
    Self-study seconds per (member, day in Asia/Shanghai, material): what the figures of a
    period sum. In-person study time is not copied here; the figures read it from the
    sessions' attendances (check-in to check-out, capped by the session's length).

``study_session_materials``
    The materials an in-person session (集中学习, an activity) names: its credited time counts
    toward them at check-out.

Times come from the service's clock, never from a client or a column default.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, str_enum
from app.models.members import PartyStatus


class MaterialKind(enum.StrEnum):
    ARTICLE = "article"  # sanitized HTML, as news
    VIDEO = "video"  # a URL, or a stored file
    DOCUMENT = "document"  # a stored PDF


class MaterialStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"  # no longer open to study; figures keep it


class StudyMaterial(TimestampMixin, Base):
    __tablename__ = "study_materials"
    __table_args__ = (
        CheckConstraint("length_seconds > 0", name="length_positive"),
        CheckConstraint(
            "required_seconds > 0 AND required_seconds <= length_seconds",
            name="required_within_length",
        ),
        Index("ix_study_materials_org_id_status", "org_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    kind: Mapped[MaterialKind] = mapped_column(str_enum(MaterialKind, "study_material_kind"))
    title: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(50))
    summary: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)  # an article as the author wrote it
    body_html: Mapped[str | None] = mapped_column(Text)  # sanitized; what members are shown
    video_url: Mapped[str | None] = mapped_column(String(500))
    # A stored file (a video or the PDF) through app/kit/storage.py.
    storage_key: Mapped[str | None] = mapped_column(String(300))
    filename: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None]
    length_seconds: Mapped[int]
    required_seconds: Mapped[int]
    status: Mapped[MaterialStatus] = mapped_column(
        str_enum(MaterialStatus, "study_material_status"), default=MaterialStatus.DRAFT
    )
    created_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    published_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]


class StudyTask(TimestampMixin, Base):
    __tablename__ = "study_tasks"
    __table_args__ = (Index("ix_study_tasks_org_id_due_at", "org_id", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The assigning organization: whoever assigns study there manages the task.
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime]
    created_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    cancelled_at: Mapped[datetime | None]
    last_reminded_at: Mapped[datetime | None]


class StudyTaskMaterial(Base):
    __tablename__ = "study_task_materials"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("study_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    material_id: Mapped[int] = mapped_column(
        ForeignKey("study_materials.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)


class StudyTaskAudience(Base):
    """The task's audience, as news's: one row per (task, subtree root, party status)."""

    __tablename__ = "study_task_audience"
    __table_args__ = (
        Index("ix_study_task_audience_org_id_party_status", "org_id", "party_status"),
    )

    task_id: Mapped[int] = mapped_column(
        ForeignKey("study_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    party_status: Mapped[PartyStatus] = mapped_column(
        str_enum(PartyStatus, "party_status"), primary_key=True
    )


class StudyPresence(Base):
    """The member's one open stretch: the row every heartbeat of theirs locks."""

    __tablename__ = "study_presence"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    material_id: Mapped[int] = mapped_column(ForeignKey("study_materials.id", ondelete="CASCADE"))
    last_beat_at: Mapped[datetime]


class StudyProgress(Base):
    __tablename__ = "study_progress"
    __table_args__ = (
        CheckConstraint("credited_seconds >= 0", name="credited_not_negative"),
        Index("ix_study_progress_material_id_completed_at", "material_id", "completed_at"),
    )

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    material_id: Mapped[int] = mapped_column(
        ForeignKey("study_materials.id", ondelete="CASCADE"), primary_key=True
    )
    credited_seconds: Mapped[int] = mapped_column(default=0)
    position_seconds: Mapped[int | None]  # where the video may resume; the client's word
    first_studied_at: Mapped[datetime]
    last_credited_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class StudyDaily(Base):
    """Self-study seconds credited per member, day (Asia/Shanghai) and material."""

    __tablename__ = "study_daily"
    __table_args__ = (
        CheckConstraint("seconds >= 0", name="seconds_not_negative"),
        Index("ix_study_daily_day_member_id", "day", "member_id"),
    )

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(
        ForeignKey("study_materials.id", ondelete="CASCADE"), primary_key=True
    )
    seconds: Mapped[int] = mapped_column(default=0)


class StudySessionMaterial(Base):
    """A material an in-person study session (an activity) names."""

    __tablename__ = "study_session_materials"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    material_id: Mapped[int] = mapped_column(
        ForeignKey("study_materials.id", ondelete="CASCADE"), primary_key=True, index=True
    )
