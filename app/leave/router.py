from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.activities.errors import ActivityNotFound
from app.auth.dependencies import ActivitiesManager, CurrentMember, CurrentPrincipal
from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit.pagination import Page, PageParams, paginate
from app.kit.types import IdPath
from app.leave import service
from app.leave.errors import (
    ActivityNotOpen,
    AlreadyRequested,
    LeaveNotFound,
    NotExpectedToAttend,
    NotPending,
    TooLate,
)
from app.leave.schemas import LeaveCreate, LeaveDecision, LeaveRead
from app.models import LeaveStatus
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1", tags=["leave"])


@router.post(
    "/activities/{activity_id}/leave",
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        ActivityNotFound, ActivityNotOpen, TooLate, NotExpectedToAttend, AlreadyRequested
    ),
)
async def request_leave(
    activity_id: IdPath,
    body: LeaveCreate,
    caller: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> LeaveRead:
    """Ask to be excused before the start; a rejected or withdrawn request is reopened."""
    leave = await service.request_leave(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        body,
        member_id=caller.member_id,
        now=runtime.clock.now(),
    )
    return LeaveRead.model_validate(leave)


@router.delete(
    "/activities/{activity_id}/leave",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ActivityNotFound, LeaveNotFound, TooLate),
)
async def withdraw_leave(
    activity_id: IdPath, caller: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Withdraw one's own pending or approved leave request before the activity starts."""
    await service.withdraw(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        member_id=caller.member_id,
        now=runtime.clock.now(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/activities/{activity_id}/leave-requests", responses=responses(ActivityNotFound))
async def list_leave_requests(
    activity_id: IdPath,
    caller: ActivitiesManager,
    session: ReadSession,
    page: PageParams,
    status: Annotated[LeaveStatus | None, Query(description="Only requests in this state")] = None,
) -> Page[LeaveRead]:
    """An activity's leave requests, with the members' names, oldest first."""
    leaves = await service.list_for_activity(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        status=status,
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(LeaveRead, leaves, page)


@router.post(
    "/activities/{activity_id}/leave-requests/{leave_id}/decision",
    responses=responses(ActivityNotFound, LeaveNotFound, NotPending),
)
async def decide_leave(
    activity_id: IdPath,
    leave_id: IdPath,
    body: LeaveDecision,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> LeaveRead:
    """Approve or reject a pending leave request; approved leave counts as excused."""
    leave = await service.decide(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        leave_id,
        body,
        settings=runtime.settings,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return LeaveRead.model_validate(leave)


@router.get("/me/leave-requests")
async def my_leave_requests(
    caller: CurrentPrincipal,
    session: ReadSession,
    page: PageParams,
    status: Annotated[LeaveStatus | None, Query(description="Only requests in this state")] = None,
) -> Page[LeaveRead]:
    """The signed-in member's leave requests, newest first."""
    if caller.member_id is None:  # an account not linked to a member has asked for nothing
        return Page[LeaveRead](items=[])
    leaves = await service.list_for_member(
        session, caller.member_id, status=status, after_id=page.after, limit=page.size + 1
    )
    return paginate(LeaveRead, leaves, page)
