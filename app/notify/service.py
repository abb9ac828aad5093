"""Reading and managing the outbox from the API: a member's inbox and preferences, and the
dead letters admins retry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload

from app.auth.scope import Scope
from app.config import Settings
from app.kit.sql import insert_on_conflict
from app.models import (
    CRITICAL_KINDS,
    Channel,
    Delivery,
    DeliveryStatus,
    InboxMessage,
    Notification,
    NotificationKind,
    NotificationPreference,
    QuietHours,
)
from app.notify.errors import (
    ChannelUnavailable,
    DeliveryNotDead,
    DeliveryNotFound,
    InboxAlwaysOn,
    KindIsCritical,
    MessageNotFound,
)
from app.notify.outbox import member_channels
from app.notify.schemas import PreferencesWrite


@dataclass(frozen=True)
class Newer:
    """The newest notification about the subject of an older message: what is true now."""

    notification_id: int
    kind: NotificationKind
    title: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class InboxEntry:
    """One message of a member's inbox with the notification it carries, and, when a newer
    notification about the same subject exists, that one."""

    id: int
    notification_id: int
    kind: NotificationKind
    title: str
    body: str
    page: str | None
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None
    subject: str | None = None
    superseded_by: Newer | None = None

    @property
    def superseded(self) -> bool:
        return self.superseded_by is not None

    @classmethod
    def of(
        cls, message: InboxMessage, notification: Notification, newest: Newer | None = None
    ) -> InboxEntry:
        newer = newest if newest and newest.notification_id != notification.id else None
        return cls(
            id=message.id,
            notification_id=notification.id,
            kind=notification.kind,
            title=notification.title,
            body=notification.body,
            page=notification.page,
            data=notification.data or {},
            created_at=message.created_at,
            read_at=message.read_at,
            subject=notification.subject,
            superseded_by=newer,
        )


def _inbox_rows() -> Select[InboxMessage, Notification]:
    return select(InboxMessage, Notification).join(
        Notification, Notification.id == InboxMessage.notification_id
    )


async def _newest_by_subject(session: AsyncSession, subjects: set[str]) -> dict[str, Newer]:
    """The newest notification of each subject (a handful per activity or request)."""
    if not subjects:
        return {}
    newest: dict[str, Newer] = {}
    rows = await session.execute(
        select(Notification).where(Notification.subject.in_(subjects)).order_by(Notification.id)
    )
    for notification in rows.scalars():
        assert notification.subject is not None
        newest[notification.subject] = Newer(
            notification.id,
            notification.kind,
            notification.title,
            notification.body,
            notification.created_at,
        )
    return newest


async def _entries(
    session: AsyncSession, rows: Sequence[tuple[InboxMessage, Notification]]
) -> list[InboxEntry]:
    newest = await _newest_by_subject(session, {n.subject for _, n in rows if n.subject})
    return [
        InboxEntry.of(message, notification, newest.get(notification.subject or ""))
        for message, notification in rows
    ]


async def inbox(
    session: AsyncSession, member_id: int, *, after_id: int | None, unread_only: bool, limit: int
) -> list[InboxEntry]:
    """Newest notification first (the order things happened, whatever order the worker
    wrote them in); ``after_id`` is the last notification id of the page before. An older
    message about the same subject as a newer notification carries that newer one."""
    query = (
        _inbox_rows()
        .where(InboxMessage.member_id == member_id)
        .order_by(InboxMessage.notification_id.desc())
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(InboxMessage.notification_id < after_id)
    if unread_only:
        query = query.where(InboxMessage.read_at.is_(None))
    rows = [(message, notification) for message, notification in await session.execute(query)]
    return await _entries(session, rows)


async def unread_count(session: AsyncSession, member_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(InboxMessage)
        .where(InboxMessage.member_id == member_id, InboxMessage.read_at.is_(None))
    )
    return int(count or 0)


async def mark_read(
    session: AsyncSession, member_id: int, message_id: int, now: datetime
) -> InboxEntry:
    row = (
        await session.execute(
            _inbox_rows().where(InboxMessage.id == message_id, InboxMessage.member_id == member_id)
        )
    ).one_or_none()
    if row is None:
        raise MessageNotFound()
    message, notification = row
    if message.read_at is None:
        message.read_at = now
        await session.flush()
    return (await _entries(session, [(message, notification)]))[0]


async def mark_all_read(session: AsyncSession, member_id: int, now: datetime) -> int:
    result = await session.execute(
        update(InboxMessage)
        .where(InboxMessage.member_id == member_id, InboxMessage.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# Not the member's to switch: the inbox is always on, and the console is the developer's
# stand-in for a push, not something a member receives.
_NOT_CHOOSABLE = frozenset({Channel.INBOX, Channel.CONSOLE})


def choosable_channels(settings: Settings) -> list[Channel]:
    """The member channels a member may switch: configured ones but the inbox and console."""
    return [channel for channel in member_channels(settings) if channel not in _NOT_CHOOSABLE]


@dataclass(frozen=True)
class KindChannels:
    kind: NotificationKind
    channels: dict[str, bool]

    @property
    def critical(self) -> bool:
        return self.kind in CRITICAL_KINDS


@dataclass(frozen=True)
class Preferences:
    """Every kind with the channels it reaches the member on, and their quiet hours."""

    kinds: list[KindChannels]
    quiet_hours: QuietHours | None


async def preferences(session: AsyncSession, settings: Settings, member_id: int) -> Preferences:
    stored = {
        (row.kind, row.channel): row.enabled
        for row in await session.scalars(
            select(NotificationPreference).where(NotificationPreference.member_id == member_id)
        )
    }
    kinds = []
    for kind in NotificationKind:
        channels = {Channel.INBOX.value: True}
        for channel in choosable_channels(settings):
            default = channel.value not in settings.notify_opt_in_channels
            wanted = stored.get((kind, channel), default)
            channels[channel.value] = True if kind in CRITICAL_KINDS else wanted
        kinds.append(KindChannels(kind, channels))
    return Preferences(kinds, await session.get(QuietHours, member_id))


def _check_changes(settings: Settings, body: PreferencesWrite) -> None:
    choosable = set(choosable_channels(settings))
    for change in body.changes:
        if change.channel is Channel.INBOX and not change.enabled:
            raise InboxAlwaysOn()
        if change.channel not in choosable and change.channel is not Channel.INBOX:
            raise ChannelUnavailable(details={"channel": change.channel.value})
        if change.kind in CRITICAL_KINDS and not change.enabled:
            raise KindIsCritical(details={"kind": change.kind.value})


async def save_preferences(
    session: AsyncSession, settings: Settings, member_id: int, body: PreferencesWrite
) -> None:
    """Applies every change or none; the quiet hours are replaced (removed when null)."""
    _check_changes(settings, body)
    for change in body.changes:
        if change.channel is Channel.INBOX:
            continue
        await session.execute(
            insert_on_conflict(session, NotificationPreference)
            .values(
                member_id=member_id,
                kind=change.kind,
                channel=change.channel,
                enabled=change.enabled,
            )
            .on_conflict_do_update(
                index_elements=["member_id", "kind", "channel"], set_={"enabled": change.enabled}
            )
        )
    await session.execute(delete(QuietHours).where(QuietHours.member_id == member_id))
    if body.quiet_hours is not None:
        starts, ends = body.quiet_hours.as_times()
        session.add(QuietHours(member_id=member_id, starts=starts, ends=ends))
    await session.flush()


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    # A notification of no organization (system-wide) is the system admin's alone.
    if scope.everywhere:
        return Notification.id.is_not(None)
    return scope.covers(Notification.org_id)


def _dead_letters(scope: Scope) -> Select[Delivery]:
    """Deliveries with their notification and member loaded: what an admin judges them by."""
    return (
        select(Delivery)
        .join(Delivery.notification)
        .options(contains_eager(Delivery.notification), joinedload(Delivery.member))
        .where(_in_scope(scope))
    )


async def dead_letters(
    session: AsyncSession, scope: Scope, *, after_id: int | None, limit: int
) -> Sequence[Delivery]:
    """Newest first; ``after_id`` is the last delivery of the page before."""
    query = (
        _dead_letters(scope)
        .where(Delivery.status == DeliveryStatus.DEAD)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Delivery.id < after_id)
    return (await session.scalars(query)).all()


async def retry_dead(
    session: AsyncSession, scope: Scope, delivery_id: int, now: datetime
) -> Delivery:
    delivery = (
        await session.scalars(_dead_letters(scope).where(Delivery.id == delivery_id))
    ).one_or_none()
    if delivery is None:
        raise DeliveryNotFound()
    if delivery.status is not DeliveryStatus.DEAD:
        raise DeliveryNotDead(details={"status": delivery.status.value})
    # The same row goes round again: its dedupe key still guards against a second copy.
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.DEAD)
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(delivery, ["status", "attempts", "next_attempt_at", "last_error"])
    return delivery
