"""One round of the worker: claim due deliveries, send each on its channel, record what
happened. Claims are leases: a worker that dies holding some loses them when the lease runs
out, and every acknowledgement is fenced by the claimant, so a late worker changes nothing."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.time import DISPLAY_ZONE
from app.models import (
    Account,
    Channel,
    Delivery,
    DeliveryStatus,
    Member,
    Notification,
    QuietHours,
)
from app.notify.channels.base import (
    Adapter,
    BatchAdapter,
    Message,
    Outcome,
    Recipient,
    SendResult,
)

log = logging.getLogger("app.notify")

# Pushes wait out quiet hours; the inbox makes no sound. The console stands in for a push
# in development, so it waits too: what a developer sees is what a member would get.
SILENT_CHANNELS = frozenset({Channel.INBOX})
SEND_CONCURRENCY = 32


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    channel: Channel
    attempts: int
    message: Message
    recipient: Recipient
    quiet: tuple[time, time] | None


def backoff(attempts: int, settings: Settings, rng: random.Random) -> float:
    """Exponential, capped, with jitter over its upper half so that a burst of failures
    does not come back as a burst."""
    ceiling = min(
        settings.notify_backoff_max_seconds,
        settings.notify_backoff_base_seconds * 2 ** max(attempts - 1, 0),
    )
    return rng.uniform(ceiling / 2, ceiling)


async def claim(
    session: AsyncSession, worker_id: str, now: datetime, settings: Settings
) -> list[int]:
    """Take up to a batch of due deliveries, and those whose claimant's lease ran out.
    On PostgreSQL, SKIP LOCKED lets several workers claim side by side without waiting on or
    taking each other's rows; SQLite has one writer at a time and renders no FOR UPDATE.
    Each kind is its own range of the (status, next_attempt_at) index, read in order and
    stopped after a batch; the two short lists are merged. One condition with OR would read
    and sort every row of the table on every claim."""
    size = settings.notify_batch_size
    pending = (
        select(Delivery.id, Delivery.next_attempt_at)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at)
        .limit(size)
        .with_for_update(skip_locked=True)
        .subquery()
    )
    expired = (
        select(Delivery.id, Delivery.next_attempt_at)
        .where(Delivery.status == DeliveryStatus.CLAIMED, Delivery.lease_expires_at < now)
        .order_by(Delivery.next_attempt_at)
        .limit(size)
        .with_for_update(skip_locked=True)
        .subquery()
    )
    both = union_all(
        select(pending.c.id, pending.c.next_attempt_at),
        select(expired.c.id, expired.c.next_attempt_at),
    ).subquery()
    due = select(both.c.id).order_by(both.c.next_attempt_at).limit(size)
    claimed = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()))
        .values(
            status=DeliveryStatus.CLAIMED,
            claimed_by=worker_id,
            lease_expires_at=now + timedelta(seconds=settings.notify_lease_seconds),
            attempts=Delivery.attempts + 1,
        )
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return [row[0] for row in claimed.all()]


async def load(session: AsyncSession, delivery_ids: Sequence[int]) -> list[Claimed]:
    """Everything the channels need for a batch, in one query."""
    rows = await session.execute(
        select(
            Delivery.id,
            Delivery.channel,
            Delivery.attempts,
            Delivery.member_id,
            Notification,
            Member.name,
            Member.phone,
            Member.email,
            Account.openid,
            QuietHours.starts,
            QuietHours.ends,
        )
        .join(Notification, Notification.id == Delivery.notification_id)
        .outerjoin(Member, Member.id == Delivery.member_id)
        .outerjoin(Account, Account.id == Member.account_id)
        .outerjoin(QuietHours, QuietHours.member_id == Delivery.member_id)
        .where(Delivery.id.in_(delivery_ids))
        .order_by(Delivery.id)
    )
    batch = []
    for (
        delivery_id,
        channel,
        attempts,
        member_id,
        notification,
        name,
        phone,
        email,
        openid,
        quiet_starts,
        quiet_ends,
    ) in rows.all():
        batch.append(
            Claimed(
                delivery_id=delivery_id,
                channel=channel,
                attempts=attempts,
                message=Message(
                    notification_id=notification.id,
                    kind=notification.kind,
                    title=notification.title,
                    body=notification.body,
                    page=notification.page,
                    data=dict(notification.data or {}),
                    created_at=notification.created_at,
                    org_id=notification.org_id,
                ),
                recipient=Recipient(
                    member_id=member_id, name=name, openid=openid, phone=phone, email=email
                ),
                quiet=(quiet_starts, quiet_ends) if quiet_starts is not None else None,
            )
        )
    return batch


def quiet_until(quiet: tuple[time, time], now: datetime, zone: ZoneInfo) -> datetime | None:
    """When the member's quiet hours end, if ``now`` lies in them."""
    starts, ends = quiet
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    spans_midnight = starts > ends
    inside = (starts <= clock or clock < ends) if spans_midnight else starts <= clock < ends
    if not inside or starts == ends:
        return None
    end = local.replace(hour=ends.hour, minute=ends.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end


async def _send(adapter: Adapter | None, item: Claimed) -> SendResult:
    if adapter is None:
        return SendResult(Outcome.NOT_SUBSCRIBED, f"channel {item.channel.value} is not configured")
    try:
        return await adapter.send(item.message, item.recipient)
    except Exception as exc:  # a channel's own bug must not take the batch down with it
        log.exception("channel %s raised on delivery %s", item.channel.value, item.delivery_id)
        return SendResult(Outcome.RETRY, f"{type(exc).__name__} in the {item.channel} channel")


async def _send_many(adapter: BatchAdapter, items: Sequence[Claimed]) -> list[SendResult]:
    try:
        results = await adapter.send_many(items[0].message, [item.recipient for item in items])
    except Exception as exc:
        log.exception("channel %s raised on %d deliveries", adapter.channel.value, len(items))
        failed = SendResult(Outcome.RETRY, f"{type(exc).__name__} in the {adapter.channel} channel")
        return [failed] * len(items)
    if len(results) != len(items):  # a channel's bug: trust none of its answers
        log.error("channel %s answered %d of %d", adapter.channel.value, len(results), len(items))
        return [SendResult(Outcome.RETRY, "channel answered the wrong count")] * len(items)
    return results


async def send_all(
    adapters: Mapping[Channel, Adapter], items: Sequence[Claimed]
) -> list[SendResult]:
    """Each item's result, in order. A batch channel gets one call per notification for up to
    its ``max_batch`` recipients (one text to a whole branch is one request); every other
    channel one call per item. At most SEND_CONCURRENCY calls are in flight."""
    gate = asyncio.Semaphore(SEND_CONCURRENCY)
    results: list[SendResult | None] = [None] * len(items)
    batched: dict[tuple[Channel, int], list[int]] = {}
    calls = []

    async def one(index: int) -> None:
        async with gate:
            results[index] = await _send(adapters.get(items[index].channel), items[index])

    async def many(adapter: BatchAdapter, indexes: list[int]) -> None:
        async with gate:
            answers = await _send_many(adapter, [items[i] for i in indexes])
        for index, answer in zip(indexes, answers, strict=True):
            results[index] = answer

    batching = {c for c, adapter in adapters.items() if isinstance(adapter, BatchAdapter)}
    for index, item in enumerate(items):
        if item.channel in batching:
            batched.setdefault((item.channel, item.message.notification_id), []).append(index)
        else:
            calls.append(one(index))
    for (channel, _), indexes in batched.items():
        adapter = cast(BatchAdapter, adapters[channel])
        for start in range(0, len(indexes), adapter.max_batch):
            calls.append(many(adapter, indexes[start : start + adapter.max_batch]))
    await asyncio.gather(*calls)
    return cast(list[SendResult], results)  # every index was filled by one call above


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    adapters: Mapping[Channel, Adapter],
    settings: Settings,
    worker_id: str,
    now: datetime,
    rng: random.Random,
) -> int:
    """Claim, send and acknowledge one batch; answers how many deliveries it handled."""
    async with sessionmaker.begin() as session:
        ids = await claim(session, worker_id, now, settings)
    if not ids:
        return 0
    async with sessionmaker() as session:
        batch = await load(session, ids)
    zone = DISPLAY_ZONE
    deferred: dict[int, datetime] = {}
    to_send: list[Claimed] = []
    for item in batch:
        until = (
            quiet_until(item.quiet, now, zone)
            if item.quiet and item.channel not in SILENT_CHANNELS
            else None
        )
        if until is not None:
            deferred[item.delivery_id] = until
        else:
            to_send.append(item)
    results = await send_all(adapters, to_send)
    async with sessionmaker.begin() as session:
        await acknowledge(session, worker_id, now, settings, rng, to_send, results, deferred)
    return len(batch)


def _mine(worker_id: str, ids: Sequence[int]) -> ColumnElement[bool]:
    return and_(
        Delivery.id.in_(ids),
        Delivery.claimed_by == worker_id,
        Delivery.status == DeliveryStatus.CLAIMED,
    )


async def acknowledge(
    session: AsyncSession,
    worker_id: str,
    now: datetime,
    settings: Settings,
    rng: random.Random,
    sent: Sequence[Claimed],
    results: Sequence[SendResult],
    deferred: Mapping[int, datetime],
) -> None:
    """Record the outcomes; rows another worker has since reclaimed are left alone."""
    delivered = [item.delivery_id for item, result in zip(sent, results, strict=True)
                 if result.outcome is Outcome.DELIVERED]  # fmt: skip
    if delivered:
        await session.execute(
            update(Delivery)
            .where(_mine(worker_id, delivered))
            .values(
                status=DeliveryStatus.DELIVERED,
                delivered_at=now,
                claimed_by=None,
                lease_expires_at=None,
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )
    for item, result in zip(sent, results, strict=True):
        if result.outcome is Outcome.DELIVERED:
            continue
        released = (
            update(Delivery)
            .where(_mine(worker_id, [item.delivery_id]))
            .values(claimed_by=None, lease_expires_at=None, last_error=result.detail[:500])
            .execution_options(synchronize_session=False)
        )
        if result.outcome is Outcome.NOT_SUBSCRIBED:
            released = released.values(status=DeliveryStatus.SKIPPED)
        elif result.outcome is Outcome.PERMANENT or item.attempts >= settings.notify_max_attempts:
            released = released.values(status=DeliveryStatus.DEAD)
            log.warning("delivery %s is dead: %s", item.delivery_id, result.detail)
        else:
            wait = max(backoff(item.attempts, settings, rng), result.retry_after or 0.0)
            released = released.values(
                status=DeliveryStatus.PENDING, next_attempt_at=now + timedelta(seconds=wait)
            )
        await session.execute(released)
    for delivery_id, until in deferred.items():
        # Waiting out quiet hours is not a failed try: give the attempt back.
        await session.execute(
            update(Delivery)
            .where(_mine(worker_id, [delivery_id]))
            .values(
                status=DeliveryStatus.PENDING,
                next_attempt_at=until,
                attempts=Delivery.attempts - 1,
                claimed_by=None,
                lease_expires_at=None,
            )
            .execution_options(synchronize_session=False)
        )
