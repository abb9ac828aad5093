"""How much study time an in-person session (集中学习) credits a member: from check-in to
check-out, never more than the session's length; nothing without a check-out, nothing for a
check-in rejected in review. One rule, in SQL for the figures and in Python for the credit
written at check-out, kept side by side so they cannot drift apart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func
from sqlalchemy.orm import InstrumentedAttribute

from app.models import Activity, ActivityStatus, ActivityType, Attendance
from app.models.activities import ReviewStatus

_Moment = InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None]


def credited_seconds(
    checked_in_at: datetime, checked_out_at: datetime | None, starts_at: datetime, ends_at: datetime
) -> int:
    if checked_out_at is None:
        return 0
    stayed = (checked_out_at - checked_in_at).total_seconds()
    return int(max(0.0, min(stayed, (ends_at - starts_at).total_seconds())))


def _seconds(later: _Moment, earlier: _Moment) -> ColumnElement[int]:
    # Both databases store aware UTC times; epoch seconds subtract the same way in each.
    return cast(func.extract("epoch", later) - func.extract("epoch", earlier), Integer)


def credited_seconds_sql() -> ColumnElement[int]:
    """The same rule over a join of ``attendances`` and ``activities``; 0 where it credits
    nothing. Use with ``counts_as_session()`` in the WHERE clause."""
    stayed = _seconds(Attendance.checked_out_at, Attendance.checked_in_at)
    length = _seconds(Activity.ends_at, Activity.starts_at)
    return case(
        (Attendance.checked_out_at.is_(None), 0),
        (stayed > length, length),
        (stayed < 0, 0),
        else_=stayed,
    )


def counts_as_session() -> ColumnElement[bool]:
    """An attendance of a held 集中学习 that was not rejected in review."""
    return and_(
        Activity.type == ActivityType.GROUP_STUDY,
        Activity.status != ActivityStatus.CANCELLED,
        Attendance.review_status.is_distinct_from(ReviewStatus.REJECTED),
    )
