"""Attendance figures. Per activity: expected, present (of whom late), excused (approved
leave, not present), absent (expected, neither present nor excused), walk-ins."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Attendance, ExpectedAttendee, LeaveRequest, LeaveStatus


@dataclass(frozen=True)
class ActivitySummary:
    expected: int
    present: int
    late: int
    excused: int
    absent: int
    walk_ins: int


async def activity_summary(session: AsyncSession, activity_id: int) -> ActivitySummary:
    expected_present = (
        select(
            func.count(ExpectedAttendee.member_id).label("expected"),
            func.count(Attendance.id).label("present"),
            func.count(LeaveRequest.id).filter(Attendance.id.is_(None)).label("excused"),
        )
        .select_from(ExpectedAttendee)
        .outerjoin(
            Attendance,
            and_(
                Attendance.activity_id == ExpectedAttendee.activity_id,
                Attendance.member_id == ExpectedAttendee.member_id,
            ),
        )
        .outerjoin(
            LeaveRequest,
            and_(
                LeaveRequest.activity_id == ExpectedAttendee.activity_id,
                LeaveRequest.member_id == ExpectedAttendee.member_id,
                LeaveRequest.status == LeaveStatus.APPROVED,
            ),
        )
        .where(ExpectedAttendee.activity_id == activity_id)
    )
    expected, present, excused = (await session.execute(expected_present)).one()
    all_present = select(
        func.count(Attendance.id).label("present"),
        func.count(Attendance.id).filter(Attendance.late.is_(True)).label("late"),
        func.count(Attendance.id).filter(Attendance.walk_in.is_(True)).label("walk_ins"),
    ).where(Attendance.activity_id == activity_id)
    total_present, late, walk_ins = (await session.execute(all_present)).one()
    return ActivitySummary(
        expected=expected,
        present=total_present,
        late=late,
        excused=excused,
        absent=expected - present - excused,
        walk_ins=walk_ins,
    )
