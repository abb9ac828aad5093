"""RSVP: an expected member says they will come, before the start. Staying away is a leave
request (app/leave), so the counts read both: each expected member counts once, leave before
an answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activities import service as activities_service
from app.activities.errors import (
    RsvpNotExpected,
    RsvpNotFound,
    RsvpNotOpen,
    RsvpOnLeave,
    RsvpTooLate,
)
from app.auth.scope import Scope
from app.kit.sql import insert_on_conflict
from app.models import (
    Activity,
    ActivityRsvp,
    ActivityStatus,
    ExpectedAttendee,
    LeaveRequest,
    LeaveStatus,
    RsvpAnswer,
)

_ON_LEAVE = (LeaveStatus.PENDING, LeaveStatus.APPROVED)


@dataclass(frozen=True)
class MyAnswer:
    activity_id: int
    answer: RsvpAnswer | None
    answered_at: datetime | None
    leave_status: LeaveStatus | None


@dataclass(frozen=True)
class Counts:
    activity_id: int
    expected: int
    attending: int
    leave_requested: int
    leave_approved: int
    no_answer: int


async def _open_to(
    session: AsyncSession, manage_scope: Scope, activity_id: int, member_id: int, now: datetime
) -> Activity:
    activity = await activities_service.get_visible_to_member(
        session, manage_scope, activity_id, member_id=member_id
    )
    if activity.status is not ActivityStatus.PUBLISHED:
        raise RsvpNotOpen()
    if now >= activity.starts_at:
        raise RsvpTooLate()
    expected = await session.scalar(
        select(
            exists().where(
                ExpectedAttendee.activity_id == activity.id, ExpectedAttendee.member_id == member_id
            )
        )
    )
    if not expected:
        raise RsvpNotExpected()
    return activity


async def _leave_status(
    session: AsyncSession, activity_id: int, member_id: int
) -> LeaveStatus | None:
    return await session.scalar(
        select(LeaveRequest.status).where(
            LeaveRequest.activity_id == activity_id, LeaveRequest.member_id == member_id
        )
    )


async def answer(
    session: AsyncSession,
    manage_scope: Scope,
    activity_id: int,
    answer: RsvpAnswer,
    *,
    member_id: int,
    now: datetime,
) -> MyAnswer:
    activity = await _open_to(session, manage_scope, activity_id, member_id, now)
    leave = await _leave_status(session, activity.id, member_id)
    if leave in _ON_LEAVE:
        raise RsvpOnLeave(details={"leave_status": leave.value if leave else None})
    # Answering again keeps the first time: the answer is the same.
    statement = (
        insert_on_conflict(session, ActivityRsvp)
        .values(activity_id=activity.id, member_id=member_id, answer=answer, answered_at=now)
        .on_conflict_do_nothing(index_elements=[ActivityRsvp.activity_id, ActivityRsvp.member_id])
    )
    await session.execute(statement)
    return await mine(session, manage_scope, activity.id, member_id=member_id)


async def withdraw(
    session: AsyncSession, manage_scope: Scope, activity_id: int, *, member_id: int, now: datetime
) -> None:
    activity = await _open_to(session, manage_scope, activity_id, member_id, now)
    removed = await session.scalar(
        delete(ActivityRsvp)
        .where(ActivityRsvp.activity_id == activity.id, ActivityRsvp.member_id == member_id)
        .returning(ActivityRsvp.member_id)
    )
    if removed is None:
        raise RsvpNotFound()


async def mine(
    session: AsyncSession, manage_scope: Scope, activity_id: int, *, member_id: int
) -> MyAnswer:
    activity = await activities_service.get_visible_to_member(
        session, manage_scope, activity_id, member_id=member_id
    )
    rsvp = await session.scalar(
        select(ActivityRsvp).where(
            ActivityRsvp.activity_id == activity.id, ActivityRsvp.member_id == member_id
        )
    )
    return MyAnswer(
        activity_id=activity.id,
        answer=rsvp.answer if rsvp else None,
        answered_at=rsvp.answered_at if rsvp else None,
        leave_status=await _leave_status(session, activity.id, member_id),
    )


async def counts(session: AsyncSession, manage_scope: Scope, activity_id: int) -> Counts:
    activity = await activities_service.get_in_scope(session, manage_scope, activity_id)
    leave = (
        select(LeaveRequest.status)
        .where(
            LeaveRequest.activity_id == ExpectedAttendee.activity_id,
            LeaveRequest.member_id == ExpectedAttendee.member_id,
        )
        .scalar_subquery()
    )
    answered = exists().where(
        ActivityRsvp.activity_id == ExpectedAttendee.activity_id,
        ActivityRsvp.member_id == ExpectedAttendee.member_id,
        ActivityRsvp.answer == RsvpAnswer.ATTENDING,
    )
    bucket = case(
        (leave == LeaveStatus.APPROVED, "leave_approved"),
        (leave == LeaveStatus.PENDING, "leave_requested"),
        (answered, "attending"),
        else_="no_answer",
    ).label("bucket")
    per_member = select(bucket).where(ExpectedAttendee.activity_id == activity.id).subquery()
    rows = await session.execute(
        select(per_member.c.bucket, func.count()).group_by(per_member.c.bucket)
    )
    found: dict[str, int] = {b: n for b, n in rows}  # noqa: C416 - a Result has keys()
    return Counts(
        activity_id=activity.id,
        expected=sum(found.values()),
        attending=found.get("attending", 0),
        leave_requested=found.get("leave_requested", 0),
        leave_approved=found.get("leave_approved", 0),
        no_answer=found.get("no_answer", 0),
    )
