"""The notes of a social organization's annual report (年度报告 党建部分), one row per
(organization, year). The figures of the report are not stored: app/annual computes them
from the data at each request; only what people write about them is kept here.

``version`` counts the saves (1 after the first): a save names the version it edits and is
refused if another save came in between (optimistic concurrency, app/annual/service.py)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin


class AnnualReportNotes(TimestampMixin, Base):
    __tablename__ = "annual_report_notes"
    __table_args__ = (
        CheckConstraint("year >= 2000 AND year <= 2100", name="year_range"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    highlights: Mapped[str | None] = mapped_column(Text)  # 工作亮点
    problems: Mapped[str | None] = mapped_column(Text)  # 存在问题
    plans: Mapped[str | None] = mapped_column(Text)  # 下一步计划
    version: Mapped[int]
    # Who saved last (shown by the name of the account's member); updated_at says when.
    updated_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )


__all__ = ["AnnualReportNotes"]
