"""Writing to the outbox. ``notify`` runs inside the caller's transaction: the notification
and every delivery row commit with the change that caused them, or not at all."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    insert,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.sql import insert_on_conflict
from app.kit.time import DISPLAY_ZONE
from app.models import (
    CRITICAL_KINDS,
    Channel,
    Delivery,
    DeliveryStatus,
    Member,
    Notification,
    NotificationKind,
    NotificationPreference,
    OrgDailySends,
)
from app.notify.errors import DailyCapReached


def member_channels(settings: Settings) -> list[Channel]:
    """The configured member channels, the inbox always among them."""
    channels = [Channel.INBOX]
    channels += [Channel(name) for name in settings.notify_channels if name != Channel.INBOX]
    return channels


def group_channels(settings: Settings) -> list[Channel]:
    return [Channel(name) for name in settings.notify_group_channels]


async def take_daily_slot(session: AsyncSession, org_id: int, day: date, cap: int) -> None:
    """One of the organization's bulk sends of the day, or a refusal. The conditional UPDATE
    is the guard: two publishers cannot both take the last slot."""
    if cap <= 0:
        raise DailyCapReached()
    taken = await session.execute(
        update(OrgDailySends)
        .where(
            OrgDailySends.org_id == org_id,
            OrgDailySends.day == day,
            OrgDailySends.count < cap,
        )
        .values(count=OrgDailySends.count + 1)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        return
    first = await session.execute(
        insert_on_conflict(session, OrgDailySends)
        .values(org_id=org_id, day=day, count=1)
        .on_conflict_do_nothing()
        .returning(OrgDailySends.count)
    )
    if first.first() is None:
        raise DailyCapReached()


def _wanted(kind: NotificationKind, channel: Channel, settings: Settings) -> ColumnElement[bool]:
    """Whether the member gets this channel for this kind, as SQL over their preference."""
    if channel is Channel.INBOX or kind in CRITICAL_KINDS:
        return true()
    if channel in settings.notify_opt_in_channels:
        return NotificationPreference.enabled.is_(True)
    return or_(NotificationPreference.enabled.is_(None), NotificationPreference.enabled.is_(True))


async def notify(
    session: AsyncSession,
    settings: Settings,
    *,
    kind: NotificationKind,
    source: str,
    title: str,
    body: str,
    recipients: Select[int],
    now: datetime,
    org_id: int | None = None,
    subject: str | None = None,
    page: str | None = None,
    data: dict[str, Any] | None = None,
    bulk: bool = False,
    not_before: datetime | None = None,
) -> int | None:
    """Record a notification for the members ``recipients`` selects (one column of member
    ids) on every channel they want, plus one delivery per group channel. ``source`` names
    the cause; a second call with the same source adds nothing and answers None. ``subject``
    names what it is about ("activity:12"): the inbox shows an older message about the same
    subject as superseded by the newest. ``data`` carries the values of the kind listed in
    ``app.notify.catalogue``, for other channels' templates. A bulk send
    takes one of the organization's daily slots. Delivery rows are written by INSERT ...
    SELECT in the database, never member by member."""
    created = await session.execute(
        insert_on_conflict(session, Notification)
        .values(
            kind=kind,
            source=source,
            subject=subject,
            org_id=org_id,
            title=title[:100],
            body=body,
            page=page,
            data=data or {},
            critical=kind in CRITICAL_KINDS,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[Notification.source])
        .returning(Notification.id)
    )
    notification_id = created.scalar_one_or_none()
    if notification_id is None:
        return None
    if bulk and org_id is not None:
        day = now.astimezone(DISPLAY_ZONE).date()
        await take_daily_slot(session, org_id, day, settings.notify_org_daily_bulk_cap)
    due = not_before or now
    people = recipients.subquery()
    member_id = people.c[next(iter(people.c.keys()))]
    channels = member_channels(settings)
    # Every member channel in one INSERT ... SELECT: the recipients times the channels, each
    # pair kept when the member wants that channel (one statement where one per channel
    # was a tenth of posting a question).
    offered = union_all(*(select(literal(c.value).label("channel")) for c in channels))
    offered_rows = offered.subquery("channels")
    channel = offered_rows.c.channel
    rows = (
        select(
            literal(notification_id),
            member_id,
            channel,
            literal(f"n{notification_id}:") + channel + literal(":") + cast(member_id, String),
            literal(DeliveryStatus.PENDING.value),
            literal(0),
            literal(due, type_=Delivery.next_attempt_at.type),
            literal(now, type_=Delivery.created_at.type),
        )
        .select_from(people)
        # Nobody who has left is notified (their pending deliveries end with the departure).
        .join(Member, and_(Member.id == member_id, Member.current()))
        .join(offered_rows, true())
        .outerjoin(
            NotificationPreference,
            and_(
                NotificationPreference.member_id == member_id,
                NotificationPreference.kind == kind,
                NotificationPreference.channel == channel,
            ),
        )
        .where(or_(*(and_(channel == c.value, _wanted(kind, c, settings)) for c in channels)))
        .distinct()
    )
    await session.execute(insert(Delivery).from_select(_DELIVERY_COLUMNS, rows))
    await _add_group_deliveries(session, notification_id, group_channels(settings), due, now)
    return int(notification_id)


_DELIVERY_COLUMNS = [
    "notification_id",
    "member_id",
    "channel",
    "dedupe_key",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
]


async def _add_group_deliveries(
    session: AsyncSession,
    notification_id: int,
    channels: Iterable[Channel],
    due: datetime,
    now: datetime,
) -> None:
    values = [
        {
            "notification_id": notification_id,
            "member_id": None,
            "channel": channel,
            "dedupe_key": f"n{notification_id}:{channel.value}",
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": due,
            "created_at": now,
        }
        for channel in channels
    ]
    if values:
        await session.execute(insert(Delivery), values)


async def withdraw(session: AsyncSession, source: str) -> int:
    """Call off what a cause has not sent yet (a retracted article): its pending deliveries
    are skipped. One already claimed by a worker may still go out."""
    pending = (
        select(Delivery.id)
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(Notification.source == source, Delivery.status == DeliveryStatus.PENDING)
    )
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(pending.scalar_subquery()))
        .values(status=DeliveryStatus.SKIPPED, last_error="withdrawn by its sender")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
