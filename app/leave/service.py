"""请假: one request per (activity, member). A member asks before the start of a published
activity they are expected at; asking again reopens a rejected or withdrawn request. A
manager of the activity approves or rejects; approved leave counts as excused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import with_expression

from app.activities import service as activities_service
from app.auth.scope import Scope
from app.config import Settings
from app.kit.sql import insert_on_conflict
from app.kit.time import shown
from app.leave.errors import (
    ActivityNotOpen,
    AlreadyRequested,
    LeaveNotFound,
    NotExpectedToAttend,
    NotPending,
    TooLate,
)
from app.leave.schemas import LeaveCreate, LeaveDecision
from app.models import (
    Activity,
    ActivityStatus,
    ExpectedAttendee,
    LeaveRequest,
    LeaveStatus,
    Member,
    Notification,
    NotificationKind,
)
from app.notify import outbox

ACTIVE = (LeaveStatus.PENDING, LeaveStatus.APPROVED)


def _refuse_unless_open(activity: Activity, now: datetime) -> None:
    if activity.status is not ActivityStatus.PUBLISHED:
        raise ActivityNotOpen()
    if now >= activity.starts_at:
        raise TooLate()


async def _lock_own(session: AsyncSession, activity_id: int, member_id: int) -> LeaveRequest | None:
    # FOR UPDATE on PostgreSQL; on SQLite the writer lock of BEGIN IMMEDIATE already serializes.
    return await session.scalar(
        select(LeaveRequest)
        .where(LeaveRequest.activity_id == activity_id, LeaveRequest.member_id == member_id)
        .with_for_update()
    )


async def _insert_once(
    session: AsyncSession, *, activity_id: int, member_id: int, reason: str, now: datetime
) -> int | None:
    statement = (
        insert_on_conflict(session, LeaveRequest)
        .values(
            activity_id=activity_id,
            member_id=member_id,
            reason=reason,
            status=LeaveStatus.PENDING,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[LeaveRequest.activity_id, LeaveRequest.member_id])
        .returning(LeaveRequest.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


def _already_requested(leave: LeaveRequest) -> AlreadyRequested:
    return AlreadyRequested(
        details={"leave_request": {"id": leave.id, "status": leave.status.value}}
    )


async def request_leave(
    session: AsyncSession,
    manage_scope: Scope,
    activity_id: int,
    body: LeaveCreate,
    *,
    member_id: int,
    now: datetime,
) -> LeaveRequest:
    """The new or reopened request."""
    activity = await activities_service.get_visible_to_member(
        session, manage_scope, activity_id, member_id=member_id
    )
    _refuse_unless_open(activity, now)
    expected = await session.scalar(
        select(
            exists().where(
                ExpectedAttendee.activity_id == activity.id, ExpectedAttendee.member_id == member_id
            )
        )
    )
    if not expected:
        raise NotExpectedToAttend()
    existing = await _lock_own(session, activity.id, member_id)
    if existing is None:
        inserted = await _insert_once(
            session, activity_id=activity.id, member_id=member_id, reason=body.reason, now=now
        )
        if inserted is None:  # a concurrent request of the same member got there first
            raise AlreadyRequested()
        return await view(session, inserted)
    if existing.status in ACTIVE:
        raise _already_requested(existing)
    existing.status = LeaveStatus.PENDING
    existing.reason = body.reason
    existing.decided_by_account_id = None
    existing.decided_at = None
    existing.decision_note = None
    existing.updated_at = now
    await session.flush()
    return await view(session, existing.id)


async def withdraw(
    session: AsyncSession,
    manage_scope: Scope,
    activity_id: int,
    *,
    member_id: int,
    now: datetime,
) -> None:
    activity = await activities_service.get_visible_to_member(
        session, manage_scope, activity_id, member_id=member_id
    )
    existing = await _lock_own(session, activity.id, member_id)
    if existing is None or existing.status not in ACTIVE:
        raise LeaveNotFound()
    if now >= activity.starts_at:
        raise TooLate()
    existing.status = LeaveStatus.WITHDRAWN
    existing.updated_at = now
    await session.flush()


async def decide(
    session: AsyncSession,
    manage_scope: Scope,
    activity_id: int,
    leave_id: int,
    body: LeaveDecision,
    *,
    settings: Settings,
    account_id: int,
    now: datetime,
) -> LeaveRequest:
    """The decision, and a notification of it to the member in the same transaction."""
    activity = await activities_service.get_in_scope(session, manage_scope, activity_id)
    leave = await session.scalar(
        select(LeaveRequest)
        .where(LeaveRequest.id == leave_id, LeaveRequest.activity_id == activity.id)
        .with_for_update()
    )
    if leave is None:
        raise LeaveNotFound()
    if leave.status is not LeaveStatus.PENDING:
        raise NotPending(details={"status": leave.status.value})
    leave.status = LeaveStatus.APPROVED if body.approve else LeaveStatus.REJECTED
    leave.decided_by_account_id = account_id
    leave.decided_at = leave.updated_at = now
    leave.decision_note = body.note or None
    await session.flush()
    await _notify_decision(session, settings, activity, leave, now)
    return await view(session, leave.id)


async def _notify_decision(
    session: AsyncSession,
    settings: Settings,
    activity: Activity,
    leave: LeaveRequest,
    now: datetime,
) -> None:
    approved = leave.status is LeaveStatus.APPROVED
    decision = "已批准" if approved else "未批准"
    note = f"，说明：{leave.decision_note}" if leave.decision_note else ""
    subject = f"leave:{leave.id}"
    # A request reopened and decided again is told again: one source per decision, counted
    # under the request's row lock (taken by decide), so two decisions never share one.
    told = await session.scalar(
        select(func.count()).select_from(Notification).where(Notification.subject == subject)
    )
    await outbox.notify(
        session,
        settings,
        kind=NotificationKind.LEAVE_DECIDED,
        source=f"leave_decision:{leave.id}:{(told or 0) + 1}",
        subject=subject,
        title=f"请假{decision}：{activity.title}",
        body=f"您的请假申请{decision}{note}",
        recipients=select(Member.id).where(Member.id == leave.member_id),
        now=now,
        org_id=activity.org_id,
        page=f"pages/activity/detail?id={activity.id}",
        data={
            "activity_id": activity.id,
            "leave_request_id": leave.id,
            "activity_title": activity.title,
            "starts_at": shown(activity.starts_at),
            "decision": decision,
            "note": leave.decision_note or "无",
            "decided_at": shown(now),
        },
    )


def _viewed() -> Select[LeaveRequest]:
    """Requests with their member's name and their activity's title and start."""
    return (
        select(LeaveRequest)
        .join(Member, Member.id == LeaveRequest.member_id)
        .join(Activity, Activity.id == LeaveRequest.activity_id)
        .options(
            with_expression(LeaveRequest.member_name, Member.name),
            with_expression(LeaveRequest.activity_title, Activity.title),
            with_expression(LeaveRequest.activity_starts_at, Activity.starts_at),
        )
        # A request this transaction loaded or wrote is in the session already: fill it too.
        .execution_options(populate_existing=True)
    )


async def view(session: AsyncSession, leave_id: int) -> LeaveRequest:
    return (await session.scalars(_viewed().where(LeaveRequest.id == leave_id))).one()


async def list_for_activity(
    session: AsyncSession,
    manage_scope: Scope,
    activity_id: int,
    *,
    status: LeaveStatus | None,
    after_id: int | None,
    limit: int,
) -> Sequence[LeaveRequest]:
    activity = await activities_service.get_in_scope(session, manage_scope, activity_id)
    query = _viewed().where(LeaveRequest.activity_id == activity.id)
    if status is not None:
        query = query.where(LeaveRequest.status == status)
    if after_id is not None:
        query = query.where(LeaveRequest.id > after_id)
    return (await session.scalars(query.order_by(LeaveRequest.id).limit(limit))).all()


async def list_for_member(
    session: AsyncSession,
    member_id: int,
    *,
    status: LeaveStatus | None,
    after_id: int | None,
    limit: int,
) -> Sequence[LeaveRequest]:
    query = _viewed().where(LeaveRequest.member_id == member_id)
    if status is not None:
        query = query.where(LeaveRequest.status == status)
    if after_id is not None:
        query = query.where(LeaveRequest.id < after_id)
    return (await session.scalars(query.order_by(LeaveRequest.id.desc()).limit(limit))).all()
