"""Points (积分): the rules a committee sets and the append-only ledger.

``point_rules``
    A committee's rule for one kind of event, for its subtree: points per unit, the unit
    (per event, or per started ``unit_seconds`` of study) and the daily cap (the day in
    Asia/Shanghai; NULL: no cap). The nearest committee above the member's organization that
    has a rule for the kind wins; with none, the defaults in app/points/rules.py apply.

``point_entries``
    The ledger: one row per (member, kind, source event), and never updated. ``source``
    names the event that earned it ("attendance:12", "material:3:unit:2", ...), so every
    point traces to its event, and the unique key makes a second delivery of the same event
    count nothing. ``requested`` is what the rule gave and ``points`` what the daily cap
    let through (0 when the cap was reached: the event is still on record). A retraction is
    a second row of the same key with ``reversal`` true and the opposite points.
    ``day`` is the day in Asia/Shanghai the points count for: the daily cap, the periods of
    the totals and rankings read it through ``ix_point_entries_day_member_id``, which also
    carries the points, so a period's ranking is an index-only scan.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, str_enum


class PointKind(enum.StrEnum):
    ACTIVITY_ATTENDED = "activity_attended"  # 参加组织生活 (present or late)
    STUDY_TIME = "study_time"  # 每开始 5 分钟的有效学习
    MATERIAL_COMPLETED = "material_completed"  # 学完一份学习资料
    NEWS_READ = "news_read"  # 有效阅读一篇新闻
    ANSWER_ACCEPTED = "answer_accepted"  # 回答被采纳 (emitted by Q&A)


class PointRule(Base):
    __tablename__ = "point_rules"
    __table_args__ = (
        UniqueConstraint("org_id", "kind"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        CheckConstraint("daily_cap IS NULL OR daily_cap >= 0", name="cap_not_negative"),
        CheckConstraint("unit_seconds IS NULL OR unit_seconds > 0", name="unit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[PointKind] = mapped_column(str_enum(PointKind, "point_kind"))
    points: Mapped[int]
    unit_seconds: Mapped[int | None]  # study time only: points per started unit
    daily_cap: Mapped[int | None]
    updated_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime]


class PointEntry(Base):
    __tablename__ = "point_entries"
    __table_args__ = (
        UniqueConstraint("member_id", "kind", "source", "reversal"),
        Index("ix_point_entries_day_member_id", "day", "member_id", "points"),
        Index("ix_point_entries_member_id_day", "member_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[PointKind] = mapped_column(str_enum(PointKind, "point_kind"))
    source: Mapped[str] = mapped_column(String(100))
    reversal: Mapped[bool] = mapped_column(default=False)
    requested: Mapped[int]
    points: Mapped[int]
    day: Mapped[date]
    # The committee whose rule applied; NULL: the default rule.
    rule_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
