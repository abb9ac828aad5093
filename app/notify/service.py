"""Reading and managing the outbox from the API: a member's inbox and preferences, and the
dead letters admins retry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.config import Settings
from app.errors import Conflict, NotFound, Unprocessable
from app.kit.sql import insert_on_conflict
from app.models import (
    CRITICAL_KINDS,
    Channel,
    Delivery,
    DeliveryStatus,
    InboxMessage,
    Member,
    Notification,
    NotificationKind,
    NotificationPreference,
    QuietHours,
)
from app.notify.outbox import member_channels


def message_not_found() -> NotFound:
    return NotFound("notify.message_not_found", "消息不存在", "Message not found")


async def inbox(
    session: AsyncSession, member_id: int, *, before_id: int | None, unread_only: bool, limit: int
) -> Sequence[Any]:
    query = (
        select(InboxMessage, Notification)
        .join(Notification, Notification.id == InboxMessage.notification_id)
        .where(InboxMessage.member_id == member_id)
        .order_by(InboxMessage.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(InboxMessage.id < before_id)
    if unread_only:
        query = query.where(InboxMessage.read_at.is_(None))
    return (await session.execute(query)).all()


async def unread_count(session: AsyncSession, member_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(InboxMessage)
        .where(InboxMessage.member_id == member_id, InboxMessage.read_at.is_(None))
    )
    return int(count or 0)


async def mark_read(session: AsyncSession, member_id: int, message_id: int, now: datetime) -> Any:
    row = (
        await session.execute(
            select(InboxMessage, Notification)
            .join(Notification, Notification.id == InboxMessage.notification_id)
            .where(InboxMessage.id == message_id, InboxMessage.member_id == member_id)
        )
    ).one_or_none()
    if row is None:
        raise message_not_found()
    if row.InboxMessage.read_at is None:
        row.InboxMessage.read_at = now
        await session.flush()
    return row


async def mark_all_read(session: AsyncSession, member_id: int, now: datetime) -> int:
    result = await session.execute(
        update(InboxMessage)
        .where(InboxMessage.member_id == member_id, InboxMessage.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def choosable_channels(settings: Settings) -> list[Channel]:
    """The member channels a member may switch: configured ones except the inbox."""
    return [channel for channel in member_channels(settings) if channel is not Channel.INBOX]


async def preferences(
    session: AsyncSession, settings: Settings, member_id: int
) -> tuple[dict[NotificationKind, dict[str, bool]], tuple[time, time] | None]:
    stored = {
        (row.kind, row.channel): row.enabled
        for row in await session.scalars(
            select(NotificationPreference).where(NotificationPreference.member_id == member_id)
        )
    }
    table: dict[NotificationKind, dict[str, bool]] = {}
    for kind in NotificationKind:
        table[kind] = {Channel.INBOX.value: True}
        for channel in choosable_channels(settings):
            default = channel.value not in settings.notify_opt_in_channels
            wanted = stored.get((kind, channel), default)
            table[kind][channel.value] = True if kind in CRITICAL_KINDS else wanted
    quiet = await session.get(QuietHours, member_id)
    return table, (quiet.starts, quiet.ends) if quiet else None


async def save_preferences(
    session: AsyncSession,
    settings: Settings,
    member_id: int,
    changes: Sequence[tuple[NotificationKind, Channel, bool]],
    quiet: tuple[time, time] | None,
) -> None:
    choosable = set(choosable_channels(settings))
    for kind, channel, enabled in changes:
        if channel is Channel.INBOX and not enabled:
            raise Unprocessable(
                "notify.inbox_always_on", "站内消息不能关闭", "The in-app inbox cannot be off"
            )
        if channel not in choosable and channel is not Channel.INBOX:
            raise Unprocessable(
                "notify.channel_unavailable",
                "该渠道未启用",
                "This channel is not in use here",
                details={"channel": channel.value},
            )
        if kind in CRITICAL_KINDS and not enabled:
            raise Unprocessable(
                "notify.kind_is_critical",
                "重要通知不能关闭",
                "Critical notifications cannot be turned off",
                details={"kind": kind.value},
            )
    for kind, channel, enabled in changes:
        if channel is Channel.INBOX:
            continue
        await session.execute(
            insert_on_conflict(session, NotificationPreference)
            .values(member_id=member_id, kind=kind, channel=channel, enabled=enabled)
            .on_conflict_do_update(
                index_elements=["member_id", "kind", "channel"], set_={"enabled": enabled}
            )
        )
    await session.execute(delete(QuietHours).where(QuietHours.member_id == member_id))
    if quiet is not None:
        session.add(QuietHours(member_id=member_id, starts=quiet[0], ends=quiet[1]))
    await session.flush()


def _in_scope(scope: Scope) -> Any:
    # A notification of no organization (system-wide) is the system admin's alone.
    if scope.everywhere:
        return Notification.id.is_not(None)
    return scope.covers(Notification.org_id)


async def dead_letters(
    session: AsyncSession, scope: Scope, *, before_id: int | None, limit: int
) -> Sequence[Any]:
    query = (
        select(Delivery, Notification, Member.name)
        .join(Notification, Notification.id == Delivery.notification_id)
        .outerjoin(Member, Member.id == Delivery.member_id)
        .where(Delivery.status == DeliveryStatus.DEAD, _in_scope(scope))
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(Delivery.id < before_id)
    return (await session.execute(query)).all()


async def retry_dead(session: AsyncSession, scope: Scope, delivery_id: int, now: datetime) -> Any:
    row = (
        await session.execute(
            select(Delivery, Notification, Member.name)
            .join(Notification, Notification.id == Delivery.notification_id)
            .outerjoin(Member, Member.id == Delivery.member_id)
            .where(Delivery.id == delivery_id, _in_scope(scope))
        )
    ).one_or_none()
    if row is None:
        raise NotFound("notify.delivery_not_found", "投递记录不存在", "Delivery not found")
    delivery = row.Delivery
    if delivery.status is not DeliveryStatus.DEAD:
        raise Conflict(
            "notify.not_dead",
            "只能重试失败的投递",
            "Only a dead delivery can be retried",
            details={"status": delivery.status.value},
        )
    # The same row goes round again: its dedupe key still guards against a second copy.
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.DEAD)
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(delivery)
    return row
