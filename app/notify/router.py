"""The member's inbox and notification preferences, and the dead letters admins retry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.auth.dependencies import CurrentPrincipal, NotifyManager
from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.db import DbSession
from app.errors import Forbidden
from app.kit.pagination import Page, decode_cursor, encode_cursor
from app.kit.types import IdPath
from app.models import CRITICAL_KINDS
from app.notify import service
from app.notify.schemas import (
    DeadLetter,
    InboxItem,
    KindPreferences,
    MarkedRead,
    PreferencesRead,
    PreferencesWrite,
    QuietHoursBody,
    UnreadCount,
)
from app.runtime import RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["notifications"])
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


def _item(row: Any) -> InboxItem:
    message, notification = row.InboxMessage, row.Notification
    return InboxItem(
        id=message.id,
        notification_id=notification.id,
        kind=notification.kind,
        title=notification.title,
        body=notification.body,
        page=notification.page,
        data=notification.data or {},
        created_at=message.created_at,
        read_at=message.read_at,
    )


@router.get("/me/inbox")
async def my_inbox(
    caller: CurrentPrincipal,
    session: DbSession,
    runtime: RuntimeDep,
    cursor: Cursor = None,
    limit: Limit = None,
    unread_only: bool = False,
) -> Page[InboxItem]:
    """The signed-in member's in-app messages, newest first."""
    if caller.member_id is None:
        return Page[InboxItem](items=[])
    size = limit or runtime.settings.page_size_default
    rows = await service.inbox(
        session,
        caller.member_id,
        before_id=decode_cursor(cursor),
        unread_only=unread_only,
        limit=size + 1,
    )
    items = [_item(row) for row in rows[:size]]
    more = len(rows) > size
    return Page[InboxItem](items=items, next_cursor=encode_cursor(items[-1].id) if more else None)


@router.get("/me/inbox/unread-count")
async def my_unread_count(caller: CurrentPrincipal, session: DbSession) -> UnreadCount:
    """How many in-app messages the member has not read: the badge on the tab bar."""
    if caller.member_id is None:
        return UnreadCount(unread=0)
    return UnreadCount(unread=await service.unread_count(session, caller.member_id))


@router.post("/me/inbox/{message_id}/read")
async def mark_message_read(
    message_id: IdPath, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> InboxItem:
    """Mark one of one's own messages read; reading it again keeps the first time."""
    row = await service.mark_read(session, _member_id(caller), message_id, runtime.clock.now())
    return _item(row)


@router.post("/me/inbox/read-all")
async def mark_all_read(
    caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> MarkedRead:
    """Mark every unread message read."""
    marked = await service.mark_all_read(session, _member_id(caller), runtime.clock.now())
    return MarkedRead(marked=marked)


async def _preferences(session: DbSession, runtime: RuntimeDep, member_id: int) -> PreferencesRead:
    table, quiet = await service.preferences(session, runtime.settings, member_id)
    return PreferencesRead(
        kinds=[
            KindPreferences(kind=kind, critical=kind in CRITICAL_KINDS, channels=channels)
            for kind, channels in table.items()
        ],
        quiet_hours=QuietHoursBody.of(quiet) if quiet else None,
    )


@router.get("/me/notification-preferences")
async def my_preferences(
    caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> PreferencesRead:
    """Which channels each kind of notification reaches the member on, and quiet hours."""
    return await _preferences(session, runtime, _member_id(caller))


@router.put("/me/notification-preferences")
async def set_my_preferences(
    body: PreferencesWrite, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> PreferencesRead:
    """Turn channels on or off per kind (critical kinds and the inbox stay on) and set or
    clear quiet hours; pushes due in quiet hours wait until they end."""
    member_id = _member_id(caller)
    await service.save_preferences(
        session,
        runtime.settings,
        member_id,
        [(change.kind, change.channel, change.enabled) for change in body.changes],
        body.quiet_hours.as_times() if body.quiet_hours else None,
    )
    return await _preferences(session, runtime, member_id)


def _dead_letter(row: Any) -> DeadLetter:
    delivery, notification = row.Delivery, row.Notification
    return DeadLetter(
        id=delivery.id,
        notification_id=notification.id,
        kind=notification.kind,
        title=notification.title,
        org_id=notification.org_id,
        member_id=delivery.member_id,
        member_name=row.name,
        channel=delivery.channel,
        status=delivery.status,
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
    )


@router.get("/notify/dead-letters")
async def list_dead_letters(
    caller: NotifyManager,
    session: DbSession,
    runtime: RuntimeDep,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[DeadLetter]:
    """Deliveries that failed for good, newest first, for the organizations in scope."""
    size = limit or runtime.settings.page_size_default
    rows = await service.dead_letters(
        session,
        caller.scope(Permission.NOTIFY_MANAGE),
        before_id=decode_cursor(cursor),
        limit=size + 1,
    )
    items = [_dead_letter(row) for row in rows[:size]]
    more = len(rows) > size
    return Page[DeadLetter](items=items, next_cursor=encode_cursor(items[-1].id) if more else None)


@router.post("/notify/deliveries/{delivery_id}/retry")
async def retry_delivery(
    delivery_id: IdPath, caller: NotifyManager, session: DbSession, runtime: RuntimeDep
) -> DeadLetter:
    """Send a dead delivery again, from a fresh count of tries."""
    row = await service.retry_dead(
        session, caller.scope(Permission.NOTIFY_MANAGE), delivery_id, runtime.clock.now()
    )
    return _dead_letter(row)
