"""The review of flagged check-ins (outside the fence, poor accuracy, walk-in): the
activity's managers confirm or reject each, with a reason; a 补签 is undone the same way.
A rejected attendance counts as absent in every figure, its member is told, and every
decision is audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import with_expression

from app.checkin.errors import AlreadyReviewed, AttendanceNotFound, NotUnderReview
from app.checkin.schemas import ReviewDecision
from app.checkin.service import attendance_source
from app.config import Settings
from app.kit.pagination import PageRequest
from app.kit.time import shown
from app.models import Activity, Attendance, AuditEvent, Member, NotificationKind, PointKind
from app.models.activities import CheckInMethod, ReviewStatus
from app.notify.outbox import notify
from app.points import ledger


async def flagged(
    session: AsyncSession,
    activity: Activity,
    page: PageRequest,
    *,
    status: ReviewStatus | None,
) -> Sequence[Attendance]:
    """The activity's flagged check-ins in check-in order (by id), with whose they are."""
    query = (
        select(Attendance)
        .join(Member, Member.id == Attendance.member_id)
        .options(
            with_expression(Attendance.member_name, Member.name),
            with_expression(Attendance.party_status, Member.party_status),
        )
        .where(Attendance.activity_id == activity.id, Attendance.needs_review.is_(True))
        .order_by(Attendance.id)
        .limit(page.size + 1)
    )
    if status is not None:
        query = query.where(Attendance.review_status == status)
    if page.after is not None:
        query = query.where(Attendance.id > page.after)
    return (await session.scalars(query)).all()


def _judged(attendance: Attendance, decision: ReviewDecision) -> ReviewStatus:
    """The new status, or why the attendance cannot take this decision."""
    status = attendance.review_status
    if status in (ReviewStatus.CONFIRMED, ReviewStatus.REJECTED):
        raise AlreadyReviewed(details={"review_status": status.value})
    undoing_manual = attendance.method is CheckInMethod.MANUAL and status is None
    if decision is ReviewDecision.REJECT and (status is ReviewStatus.PENDING or undoing_manual):
        return ReviewStatus.REJECTED
    if decision is ReviewDecision.CONFIRM and status is ReviewStatus.PENDING:
        return ReviewStatus.CONFIRMED
    raise NotUnderReview()


async def decide(
    session: AsyncSession,
    settings: Settings,
    activity: Activity,
    attendance_id: int,
    decision: ReviewDecision,
    *,
    reason: str,
    account_id: int,
    request_id: str | None,
    now: datetime,
) -> Attendance:
    # Locked, so that two reviewers deciding at once cannot both pass the status check.
    attendance = await session.scalar(
        select(Attendance)
        .where(Attendance.id == attendance_id, Attendance.activity_id == activity.id)
        .with_for_update()
    )
    if attendance is None:
        raise AttendanceNotFound()
    was_manual = attendance.method is CheckInMethod.MANUAL and attendance.review_status is None
    attendance.review_status = _judged(attendance, decision)
    attendance.reviewed_by_account_id = account_id
    attendance.reviewed_at = now
    attendance.review_note = reason
    if was_manual:
        action = "attendance.manual_undo"
    else:
        action = f"attendance.review_{attendance.review_status.value}"
    session.add(
        AuditEvent(
            actor_account_id=account_id,
            action=action,
            object_type="attendance",
            object_id=attendance.id,
            org_id=activity.org_id,
            request_id=request_id,
            details={
                "activity_id": activity.id,
                "member_id": attendance.member_id,
                "review_reasons": list(attendance.review_reasons),
                "reason": reason,
            },
            created_at=now,
        )
    )
    if attendance.review_status is ReviewStatus.REJECTED:
        # Absent in every figure, so the points of attending are taken back too.
        await ledger.retract(
            await session.connection(),
            member_id=attendance.member_id,
            kind=PointKind.ACTIVITY_ATTENDED,
            source=attendance_source(attendance.id),
            now=now,
        )
        what = "补签已撤销" if was_manual else "签到未被认可"
        await notify(
            session,
            settings,
            kind=NotificationKind.ATTENDANCE_REJECTED,
            source=f"attendance:{attendance.id}:rejected",
            title=f"{what}：{activity.title}",
            body=f"您在「{activity.title}」的{what}，按缺席计。原因：{reason}",
            recipients=select(Member.id).where(Member.id == attendance.member_id),
            now=now,
            org_id=activity.org_id,
            page=f"pages/activity/detail?id={activity.id}",
            data={
                "activity_id": activity.id,
                "attendance_id": attendance.id,
                "activity_title": activity.title,
                "starts_at": shown(activity.starts_at),
                "status": what,
                "reason": reason,
            },
        )
    await session.flush()
    return attendance
