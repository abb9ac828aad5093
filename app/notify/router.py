"""The member's inbox and notification preferences, and the dead letters admins retry."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.dependencies import CurrentMember, CurrentPrincipal, NotifyManager
from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit.pagination import Page, PageParams, paginate
from app.kit.types import IdPath
from app.kit.validation import QueryFlag
from app.notify import committee_settings, service
from app.notify.errors import (
    ChannelUnavailable,
    CommitteeNotFound,
    DeliveryNotDead,
    DeliveryNotFound,
    InboxAlwaysOn,
    KindIsCritical,
    MessageNotFound,
)
from app.notify.schemas import (
    CommitteeSettingsRead,
    CommitteeSettingsWrite,
    DeadLetter,
    InboxItem,
    MarkedRead,
    PreferencesRead,
    PreferencesWrite,
    UnreadCount,
)
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1", tags=["notifications"])


@router.get("/me/inbox")
async def my_inbox(
    caller: CurrentPrincipal, session: ReadSession, page: PageParams, unread_only: QueryFlag = False
) -> Page[InboxItem]:
    """The signed-in member's in-app messages, newest first; an older message about an
    activity that changed since is marked superseded and carries the newest one."""
    if caller.member_id is None:  # an account of no member has an empty inbox, not a 403
        return Page[InboxItem](items=[])
    entries = await service.inbox(
        session,
        caller.member_id,
        after_id=page.after,
        unread_only=unread_only,
        limit=page.size + 1,
    )
    return paginate(InboxItem, entries, page, key=lambda entry: entry.notification_id)


@router.get("/me/inbox/unread-count")
async def my_unread_count(caller: CurrentPrincipal, session: ReadSession) -> UnreadCount:
    """How many in-app messages the member has not read: the badge on the tab bar."""
    if caller.member_id is None:
        return UnreadCount(unread=0)
    return UnreadCount(unread=await service.unread_count(session, caller.member_id))


@router.post("/me/inbox/{message_id}/read", responses=responses(MessageNotFound))
async def mark_message_read(
    message_id: IdPath, caller: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> InboxItem:
    """Mark one of one's own messages read; reading it again keeps the first time."""
    entry = await service.mark_read(session, caller.member_id, message_id, runtime.clock.now())
    return InboxItem.model_validate(entry)


@router.post("/me/inbox/read-all")
async def mark_all_read(
    caller: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> MarkedRead:
    """Mark every unread message read."""
    marked = await service.mark_all_read(session, caller.member_id, runtime.clock.now())
    return MarkedRead(marked=marked)


@router.get("/me/notification-preferences")
async def my_preferences(
    caller: CurrentMember, session: ReadSession, runtime: RuntimeDep
) -> PreferencesRead:
    """Which channels each kind of notification reaches the member on, and quiet hours."""
    found = await service.preferences(session, runtime.settings, caller.member_id)
    return PreferencesRead.model_validate(found)


@router.put(
    "/me/notification-preferences",
    responses=responses(InboxAlwaysOn, ChannelUnavailable, KindIsCritical),
)
async def set_my_preferences(
    body: PreferencesWrite, caller: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> PreferencesRead:
    """Turn channels on or off per kind (critical kinds and the inbox stay on) and set or
    clear quiet hours; pushes due in quiet hours wait until they end."""
    await service.save_preferences(session, runtime.settings, caller.member_id, body)
    found = await service.preferences(session, runtime.settings, caller.member_id)
    return PreferencesRead.model_validate(found)


@router.get("/notify/dead-letters")
async def list_dead_letters(
    caller: NotifyManager, session: ReadSession, page: PageParams
) -> Page[DeadLetter]:
    """Deliveries that failed for good, newest first, for the organizations in scope."""
    entries = await service.dead_letters(
        session,
        caller.scope(Permission.NOTIFY_MANAGE),
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(DeadLetter, entries, page)


@router.post(
    "/notify/deliveries/{delivery_id}/retry",
    responses=responses(DeliveryNotFound, DeliveryNotDead),
)
async def retry_delivery(
    delivery_id: IdPath, caller: NotifyManager, session: DbSession, runtime: RuntimeDep
) -> DeadLetter:
    """Send a dead delivery again, from a fresh count of tries."""
    entry = await service.retry_dead(
        session, caller.scope(Permission.NOTIFY_MANAGE), delivery_id, runtime.clock.now()
    )
    return DeadLetter.model_validate(entry)


@router.get("/notify/committees/{org_id}/settings", responses=responses(CommitteeNotFound))
async def get_committee_settings(
    org_id: IdPath, caller: NotifyManager, session: ReadSession
) -> CommitteeSettingsRead:
    """What holds for a committee's subtree (absence reminders), and which committee set it."""
    found = await committee_settings.effective(
        session, caller.scope(Permission.NOTIFY_MANAGE), org_id
    )
    return CommitteeSettingsRead.model_validate(found)


@router.put("/notify/committees/{org_id}/settings", responses=responses(CommitteeNotFound))
async def set_committee_settings(
    org_id: IdPath,
    body: CommitteeSettingsWrite,
    caller: NotifyManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> CommitteeSettingsRead:
    """Switch absence reminders on or off for a committee's subtree (the nearest committee
    up the tree that set a value wins), or null to inherit again."""
    found = await committee_settings.save(
        session,
        caller.scope(Permission.NOTIFY_MANAGE),
        org_id,
        body.absence_reminders,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return CommitteeSettingsRead.model_validate(found)
