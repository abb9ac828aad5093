"""请假: one request per (activity, member). A member asks before the start of a published
activity they are expected at; asking again reopens a rejected or withdrawn request. A
manager of the activity approves or rejects; approved leave counts as excused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Row, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activities import service as activities_service
from app.auth.scope import Principal, Scope
from app.errors import Conflict, NotFound
from app.kit.sql import insert_on_conflict
from app.models import Activity, ActivityStatus, ExpectedAttendee, LeaveRequest, LeaveStatus, Member

ACTIVE = (LeaveStatus.PENDING, LeaveStatus.APPROVED)
# A request with its member's name and its activity's title and start.
LeaveRow: TypeAlias = Row[LeaveRequest, str, str, datetime]


def leave_not_found() -> NotFound:
    return NotFound("leave.not_found", "请假申请不存在", "Leave request not found")


def _too_late() -> Conflict:
    return Conflict("leave.too_late", "活动已开始，不能再请假或撤回", "The activity has started")


def _refuse_unless_open(activity: Activity, now: datetime) -> None:
    if activity.status is not ActivityStatus.PUBLISHED:
        raise Conflict(
            "leave.activity_not_open",
            "活动未发布或已取消，无需请假",
            "The activity is not open for leave requests",
        )
    if now >= activity.starts_at:
        raise _too_late()


async def _lock_own(session: AsyncSession, activity_id: int, member_id: int) -> LeaveRequest | None:
    # FOR UPDATE on PostgreSQL; on SQLite the writer lock of BEGIN IMMEDIATE already serializes.
    return await session.scalar(
        select(LeaveRequest)
        .where(LeaveRequest.activity_id == activity_id, LeaveRequest.member_id == member_id)
        .with_for_update()
    )


async def _insert_once(session: AsyncSession, values: dict[str, Any]) -> int | None:
    statement = (
        insert_on_conflict(session, LeaveRequest)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[LeaveRequest.activity_id, LeaveRequest.member_id])
        .returning(LeaveRequest.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


def _already_requested(leave: LeaveRequest | None = None) -> Conflict:
    details = (
        {"leave_request": {"id": leave.id, "status": leave.status.value}}
        if leave is not None
        else None
    )
    return Conflict(
        "leave.already_requested", "您已提交过请假申请", "Leave already requested", details=details
    )


async def request_leave(
    session: AsyncSession,
    principal: Principal,
    manage_scope: Scope,
    activity_id: int,
    member_id: int,
    reason: str,
    *,
    now: datetime,
) -> int:
    """The id of the new or reopened request."""
    activity = await activities_service.get_visible_to_member(
        session, manage_scope, activity_id, member_id=principal.member_id
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
        raise Conflict(
            "leave.not_expected",
            "您不在本次活动的应到名单中，无需请假",
            "You are not on the expected list",
        )
    existing = await _lock_own(session, activity.id, member_id)
    if existing is None:
        inserted = await _insert_once(
            session,
            {
                "activity_id": activity.id,
                "member_id": member_id,
                "reason": reason,
                "status": LeaveStatus.PENDING,
            },
        )
        if inserted is None:  # a concurrent request of the same member got there first
            raise _already_requested()
        return inserted
    if existing.status in ACTIVE:
        raise _already_requested(existing)
    existing.status = LeaveStatus.PENDING
    existing.reason = reason
    existing.decided_by_account_id = None
    existing.decided_at = None
    existing.decision_note = None
    await session.flush()
    return existing.id


async def withdraw(
    session: AsyncSession,
    principal: Principal,
    manage_scope: Scope,
    activity_id: int,
    member_id: int,
    *,
    now: datetime,
) -> None:
    activity = await activities_service.get_visible_to_member(
        session, manage_scope, activity_id, member_id=principal.member_id
    )
    existing = await _lock_own(session, activity.id, member_id)
    if existing is None or existing.status not in ACTIVE:
        raise leave_not_found()
    if now >= activity.starts_at:
        raise _too_late()
    existing.status = LeaveStatus.WITHDRAWN
    await session.flush()


async def decide(
    session: AsyncSession,
    manage_scope: Scope,
    activity_id: int,
    leave_id: int,
    *,
    approve: bool,
    note: str | None,
    account_id: int,
    now: datetime,
) -> int:
    activity = await activities_service.get_in_scope(session, manage_scope, activity_id)
    leave = await session.scalar(
        select(LeaveRequest)
        .where(LeaveRequest.id == leave_id, LeaveRequest.activity_id == activity.id)
        .with_for_update()
    )
    if leave is None:
        raise leave_not_found()
    if leave.status is not LeaveStatus.PENDING:
        raise Conflict(
            "leave.not_pending",
            "该请假申请已处理或已撤回",
            "Only a pending request can be decided",
            details={"status": leave.status.value},
        )
    leave.status = LeaveStatus.APPROVED if approve else LeaveStatus.REJECTED
    leave.decided_by_account_id = account_id
    leave.decided_at = now
    leave.decision_note = note or None
    await session.flush()
    return leave.id


_VIEW = (
    select(LeaveRequest, Member.name.label("member_name"), Activity.title, Activity.starts_at)
    .join(Member, Member.id == LeaveRequest.member_id)
    .join(Activity, Activity.id == LeaveRequest.activity_id)
)


async def view(session: AsyncSession, leave_id: int) -> LeaveRow:
    return (await session.execute(_VIEW.where(LeaveRequest.id == leave_id))).one()


async def list_for_activity(
    session: AsyncSession, manage_scope: Scope, activity_id: int
) -> Sequence[LeaveRow]:
    activity = await activities_service.get_in_scope(session, manage_scope, activity_id)
    rows = await session.execute(
        _VIEW.where(LeaveRequest.activity_id == activity.id).order_by(LeaveRequest.id)
    )
    return rows.all()


async def list_for_member(
    session: AsyncSession, member_id: int, *, after_id: int | None, limit: int
) -> Sequence[LeaveRow]:
    query = _VIEW.where(LeaveRequest.member_id == member_id)
    if after_id is not None:
        query = query.where(LeaveRequest.id < after_id)
    return (await session.execute(query.order_by(LeaveRequest.id.desc()).limit(limit))).all()
