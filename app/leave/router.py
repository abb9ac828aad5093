from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import ActivitiesManager, CurrentPrincipal
from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.db import DbSession
from app.errors import Forbidden
from app.kit.pagination import Page, decode_cursor, encode_cursor
from app.kit.types import IdPath
from app.leave import service
from app.leave.schemas import LeaveCreate, LeaveDecision, LeaveRead
from app.runtime import RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["leave"])
Limit = Annotated[int | None, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=200)]


def _member_id(caller: Principal) -> int:
    if caller.member_id is None:
        raise Forbidden(
            "auth.not_a_member",
            "账号尚未关联党员信息，请先绑定手机号",
            "Bind your phone to your member record first",
        )
    return caller.member_id


def _read(row: service.LeaveRow) -> LeaveRead:
    leave = row.LeaveRequest
    return LeaveRead(
        id=leave.id,
        activity_id=leave.activity_id,
        activity_title=row.title,
        activity_starts_at=row.starts_at,
        member_id=leave.member_id,
        member_name=row.member_name,
        reason=leave.reason,
        status=leave.status,
        decided_by_account_id=leave.decided_by_account_id,
        decided_at=leave.decided_at,
        decision_note=leave.decision_note,
        created_at=leave.created_at,
        updated_at=leave.updated_at,
    )


@router.post("/activities/{activity_id}/leave", status_code=status.HTTP_201_CREATED)
async def request_leave(
    activity_id: IdPath,
    body: LeaveCreate,
    caller: CurrentPrincipal,
    session: DbSession,
    runtime: RuntimeDep,
) -> LeaveRead:
    """Ask to be excused before the start; a rejected or withdrawn request is reopened."""
    leave_id = await service.request_leave(
        session,
        caller,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        _member_id(caller),
        body.reason,
        now=runtime.clock.now(),
    )
    return _read(await service.view(session, leave_id))


@router.delete("/activities/{activity_id}/leave", status_code=status.HTTP_204_NO_CONTENT)
async def withdraw_leave(
    activity_id: IdPath, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Withdraw one's own pending or approved leave request before the activity starts."""
    await service.withdraw(
        session,
        caller,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        _member_id(caller),
        now=runtime.clock.now(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/activities/{activity_id}/leave-requests")
async def list_leave_requests(
    activity_id: IdPath, caller: ActivitiesManager, session: DbSession
) -> list[LeaveRead]:
    """Every leave request of an activity, with the members' names, oldest first."""
    rows = await service.list_for_activity(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    return [_read(row) for row in rows]


@router.post("/activities/{activity_id}/leave-requests/{leave_id}/decision")
async def decide_leave(
    activity_id: IdPath,
    leave_id: IdPath,
    body: LeaveDecision,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> LeaveRead:
    """Approve or reject a pending leave request; approved leave counts as excused."""
    decided = await service.decide(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        leave_id,
        approve=body.approve,
        note=body.note,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return _read(await service.view(session, decided))


@router.get("/me/leave-requests")
async def my_leave_requests(
    caller: CurrentPrincipal,
    session: DbSession,
    runtime: RuntimeDep,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[LeaveRead]:
    """The signed-in member's leave requests, newest first."""
    if caller.member_id is None:
        return Page[LeaveRead](items=[])
    size = limit or runtime.settings.page_size_default
    rows = await service.list_for_member(
        session, caller.member_id, after_id=decode_cursor(cursor), limit=size + 1
    )
    items = [_read(row) for row in rows[:size]]
    return Page[LeaveRead](
        items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > size else None
    )
