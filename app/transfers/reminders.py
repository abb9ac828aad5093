"""The 3-day reminder: a transfer whose step has waited 3 days reminds whoever must act (the
secretaries of the branch deciding it, the admins of the committee deciding it, or the
starter of a transfer returned for edits), and again every further 3 days it stays so, once
per window. Only the role holders on the deciding organization itself are told, not those
above it: they are the ones the step waits for.

A round claims the due transfers as the house's jobs do, SELECT ... FOR UPDATE SKIP LOCKED
(PostgreSQL; SQLite has one writer at a time), and sets their ``last_reminded_at`` in the
transaction that writes the reminders to the outbox: two runs at once take disjoint
transfers, and one that looks after the other committed finds them no longer due. The
notification's source names the transfer, the wait (its start) and the window, so even a
second writer of the same reminder adds nothing. Registered with notify's worker at start-up
(``register``, called by ``app.main``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.time import shown
from app.models import (
    OPEN_TRANSFER_STATUSES,
    Member,
    NotificationKind,
    Transfer,
    TransferStatus,
)
from app.notify.outbox import notify
from app.notify.registry import NotifyRegistry
from app.transfers.schemas import STEP_LABELS
from app.transfers.service import DETAIL_PAGE, deciders, names_of, step_org, subject

REMIND_AFTER = timedelta(days=3)
BATCH = 100  # transfers a round claims; the next round takes the rest
RETURNED_PHRASE = "待修改"


def _due(now: datetime) -> ColumnElement[bool]:
    """SQL: open, waiting 3 days or more, not reminded in the last 3 days."""
    cutoff = now - REMIND_AFTER
    return and_(
        Transfer.status.in_(OPEN_TRANSFER_STATUSES),
        Transfer.step_since <= cutoff,
        or_(Transfer.last_reminded_at.is_(None), Transfer.last_reminded_at <= cutoff),
    )


def _who_acts(transfer: Transfer) -> Select[int]:
    if transfer.status is TransferStatus.RETURNED or transfer.step is None:
        if transfer.started_by_member_id is None:
            return select(Member.id).where(false())
        return select(Member.id).where(Member.id == transfer.started_by_member_id)
    return deciders(transfer, transfer.step)


async def remind_waiting(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Remind whoever must act on every due transfer (the longest waiting first, at most
    ``BATCH`` a round); answers how many transfers were reminded."""
    due = (
        await session.scalars(
            select(Transfer)
            .where(_due(now))
            .order_by(Transfer.step_since, Transfer.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not due:
        return 0
    await session.execute(
        update(Transfer)
        .where(Transfer.id.in_([transfer.id for transfer in due]))
        .values(last_reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    names = await names_of(session, due)
    for transfer in due:
        windows = (now - transfer.step_since) // REMIND_AFTER
        days = (now - transfer.step_since) // timedelta(days=1)
        phrase = STEP_LABELS[transfer.step] if transfer.step is not None else RETURNED_PHRASE
        member_name = names.member(transfer.member_id) or ""
        waiting = int(transfer.step_since.timestamp())
        await notify(
            session,
            settings,
            kind=NotificationKind.TRANSFER_REMINDER,
            source=f"transfer_reminder:{transfer.id}:{waiting}:{windows}",
            subject=subject(transfer.id),
            title=f"组织关系转接{phrase}提醒：{member_name}",
            body=f"该转接已等待{days}天，请尽快办理",
            recipients=_who_acts(transfer),
            now=now,
            org_id=step_org(transfer, transfer.step)
            if transfer.step is not None
            else (transfer.from_org_id or transfer.to_org_id),
            page=DETAIL_PAGE.format(id=transfer.id),
            data={
                "member_name": member_name,
                "from_name": names.from_name(transfer),
                "to_name": names.to_name(transfer),
                "step": phrase,
                "waiting_since": shown(transfer.step_since),
            },
        )
    return len(due)


def register(registry: NotifyRegistry) -> None:
    """Called by app.main at start-up."""
    registry.register_job("transfers.remind_waiting", remind_waiting)
