from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from app.activities import service
from app.activities.schemas import (
    ActivityCreate,
    ActivityRead,
    ActivityUpdate,
    CancelRequest,
    ExpectedChange,
    ExpectedMember,
)
from app.auth.dependencies import ActivitiesManager, CurrentPrincipal
from app.auth.permissions import Permission
from app.db import DbSession
from app.kit.pagination import Page, decode_cursor, encode_cursor
from app.kit.types import IdPath, IdQuery
from app.models import Activity
from app.runtime import Runtime, RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["activities"])
Limit = Annotated[int | None, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=200)]


async def _read_many(
    session: AsyncSession, runtime: Runtime, activities: Sequence[Activity]
) -> list[ActivityRead]:
    ids = [a.id for a in activities]
    co_hosts = await service.co_hosts_of(session, ids)
    counts = await service.expected_counts(session, ids)
    now = runtime.clock.now()
    return [
        ActivityRead(
            id=a.id,
            org_id=a.org_id,
            type=a.type,
            title=a.title,
            description=a.description,
            status=service.effective_status(a, now),
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            host_member_id=a.host_member_id,
            recorder_member_id=a.recorder_member_id,
            lecturer_member_id=a.lecturer_member_id,
            lecturer_name=a.lecturer_name,
            venue_name=a.venue_name,
            venue_latitude=a.venue_latitude,
            venue_longitude=a.venue_longitude,
            geofence_radius_m=a.geofence_radius_m,
            walk_in_policy=a.walk_in_policy,
            co_hosts=co_hosts[a.id],
            expected_count=counts.get(a.id, 0),
            published_at=a.published_at,
            cancelled_at=a.cancelled_at,
            cancel_reason=a.cancel_reason,
        )
        for a in activities
    ]


async def _read(session: AsyncSession, runtime: Runtime, activity: Activity) -> ActivityRead:
    return (await _read_many(session, runtime, [activity]))[0]


def _page(items: list[ActivityRead], fetched: int, size: int) -> Page[ActivityRead]:
    return Page[ActivityRead](
        items=items[:size],
        next_cursor=encode_cursor(items[size - 1].id) if fetched > size else None,
    )


@router.post("/activities", status_code=status.HTTP_201_CREATED)
async def create_activity(
    body: ActivityCreate, caller: ActivitiesManager, session: DbSession, runtime: RuntimeDep
) -> ActivityRead:
    """Create a draft activity; expected attendees default to the organization's members."""
    activity = await service.create(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        caller.scope(Permission.MEMBERS_READ),
        body.model_dump(),
        account_id=caller.account_id,
    )
    return await _read(session, runtime, activity)


@router.get("/activities")
async def list_activities(
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
    org_id: IdQuery = None,
    starts_from: AwareDatetime | None = None,
    starts_before: AwareDatetime | None = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[ActivityRead]:
    """Activities of the organizations the caller manages, newest first."""
    size = limit or runtime.settings.page_size_default
    found = await service.list_managed(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        org_id=org_id,
        starts_from=starts_from,
        starts_before=starts_before,
        after_id=decode_cursor(cursor),
        limit=size + 1,
    )
    return _page(await _read_many(session, runtime, found), len(found), size)


@router.get("/me/activities")
async def my_activities(
    caller: CurrentPrincipal,
    session: DbSession,
    runtime: RuntimeDep,
    when: Literal["upcoming", "past"] = "upcoming",
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[ActivityRead]:
    """The signed-in member's upcoming or past activities."""
    size = limit or runtime.settings.page_size_default
    if caller.member_id is None:
        return Page[ActivityRead](items=[])
    found = await service.list_for_member(
        session,
        caller.member_id,
        upcoming=when == "upcoming",
        now=runtime.clock.now(),
        after_id=decode_cursor(cursor),
        limit=size + 1,
    )
    return _page(await _read_many(session, runtime, found), len(found), size)


@router.get("/activities/{activity_id}")
async def get_activity(
    activity_id: IdPath, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> ActivityRead:
    """One activity: for those who manage it and for the members it concerns."""
    activity = await service.get_visible(
        session, caller, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    return await _read(session, runtime, activity)


@router.patch("/activities/{activity_id}")
async def update_activity(
    activity_id: IdPath,
    body: ActivityUpdate,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> ActivityRead:
    """Change an activity; moving a published one tells its members and reschedules the reminder."""
    activity = await service.update_activity(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        caller.scope(Permission.MEMBERS_READ),
        activity_id,
        body.model_dump(exclude_unset=True),
        now=runtime.clock.now(),
        reminder_minutes=runtime.settings.activity_reminder_minutes_before,
    )
    return await _read(session, runtime, activity)


@router.post("/activities/{activity_id}/publish")
async def publish_activity(
    activity_id: IdPath, caller: ActivitiesManager, session: DbSession, runtime: RuntimeDep
) -> ActivityRead:
    """Publish a draft: members see it, are notified, and get a reminder before it starts."""
    activity = await service.publish(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        now=runtime.clock.now(),
        reminder_minutes=runtime.settings.activity_reminder_minutes_before,
    )
    return await _read(session, runtime, activity)


@router.post("/activities/{activity_id}/cancel")
async def cancel_activity(
    activity_id: IdPath,
    body: CancelRequest,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> ActivityRead:
    """Cancel an activity with a reason; members of a published one are told."""
    activity = await service.cancel(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        body.reason,
        now=runtime.clock.now(),
    )
    return await _read(session, runtime, activity)


@router.get("/activities/{activity_id}/expected")
async def list_expected(
    activity_id: IdPath, caller: ActivitiesManager, session: DbSession
) -> list[ExpectedMember]:
    """Who is expected to attend."""
    activity = await service.get_managed(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    return [
        ExpectedMember(member_id=i, name=n)
        for i, n in await service.expected_members(session, activity.id)
    ]


@router.post("/activities/{activity_id}/expected", status_code=status.HTTP_204_NO_CONTENT)
async def add_expected(
    activity_id: IdPath,
    body: ExpectedChange,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """Add members to the expected list (流动党员 and guests from the caller's scope)."""
    await service.add_expected(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        caller.scope(Permission.MEMBERS_READ),
        activity_id,
        body.member_ids,
        now=runtime.clock.now(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/activities/{activity_id}/expected/{member_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def remove_expected(
    activity_id: IdPath,
    member_id: IdPath,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """Take a member off the expected list."""
    await service.remove_expected(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        member_id,
        now=runtime.clock.now(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
