"""The attendance of a 补录 (app/activities/backfill.py): who came to an activity held in the
past, written once, with the activity, by the secretary who records it.

Present and late become attendance rows as a 补签 does (method manual, the reason kept), and
besides say ``source = backfill`` with who recorded them and when; their ``checked_in_at``
is the activity's start, the only time the record knows. Leave becomes an approved leave
request decided by the recorder. Absent is no row: an expected member without an
attendance is absent once check-in has closed, which for a 补录 it always has.

No points and no study time: the points ledger (app/points/ledger.py) rewards an act at the
moment it happens, in that act's transaction and on that day's cap; a 补录 is a record made
afterwards by someone else, and points on a past day would change rankings already shown.
Nothing reaches the members either: nobody is told of a meeting that has happened."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.activities.schemas import BackfillEntry, BackfillState
from app.models import Activity, Attendance, CheckInMethod, LeaveRequest, LeaveStatus
from app.models.activities import RecordSource

LEAVE_DECISION_NOTE = "补录"


@dataclass(frozen=True)
class Recorded:
    present: int
    late: int
    leave: int
    absent: int  # of the expected


async def record(
    session: AsyncSession,
    activity: Activity,
    entries: Sequence[BackfillEntry],
    *,
    expected: Sequence[int],
    reason: str,
    account_id: int,
    now: datetime,
) -> Recorded:
    """Writes the rows of ``entries``: each names a member of ``expected``, once (the caller
    has checked both)."""
    for entry in entries:
        if entry.state in (BackfillState.PRESENT, BackfillState.LATE):
            session.add(
                Attendance(
                    activity_id=activity.id,
                    member_id=entry.member_id,
                    method=CheckInMethod.MANUAL,
                    checked_in_at=activity.starts_at,
                    late=entry.state is BackfillState.LATE,
                    walk_in=False,
                    needs_review=False,
                    review_reasons=[],
                    recorded_by_account_id=account_id,
                    manual_reason=entry.reason or reason,
                    source=RecordSource.BACKFILL,
                    recorded_at=now,
                )
            )
        elif entry.state is BackfillState.LEAVE:
            assert entry.reason is not None  # BackfillEntry asks it of leave
            session.add(
                LeaveRequest(
                    activity_id=activity.id,
                    member_id=entry.member_id,
                    reason=entry.reason,
                    status=LeaveStatus.APPROVED,
                    decided_by_account_id=account_id,
                    decided_at=now,
                    decision_note=LEAVE_DECISION_NOTE,
                    created_at=now,
                    updated_at=now,
                )
            )
    await session.flush()

    def count(state: BackfillState) -> int:
        return sum(1 for entry in entries if entry.state is state)

    present, late = count(BackfillState.PRESENT), count(BackfillState.LATE)
    leave = count(BackfillState.LEAVE)
    absent = len(expected) - present - late - leave
    return Recorded(present=present, late=late, leave=leave, absent=absent)
