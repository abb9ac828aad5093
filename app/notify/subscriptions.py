"""WeChat one-time subscription credits: each "accept" the mini-program reports allows one
subscribe message of that template to that member (wechat.md). Every change is one
conditional statement, so concurrent senders and reporters cannot over- or under-count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.sql import insert_on_conflict
from app.models import NotificationKind, SubscriptionCredit
from app.notify.channels.wechat_templates import WeChatTemplate
from app.notify.errors import UnknownTemplate

SubscribeResult = Literal["accept", "reject", "ban", "filter"]


@dataclass(frozen=True)
class TemplateCredits:
    template_id: str
    kinds: list[NotificationKind]
    credits: int


def kinds_by_template(
    templates: dict[NotificationKind, WeChatTemplate],
) -> dict[str, list[NotificationKind]]:
    """Several kinds may share one template; a credit serves whichever comes first."""
    served: dict[str, list[NotificationKind]] = {}
    for kind, template in templates.items():
        served.setdefault(template.template_id, []).append(kind)
    return served


async def record_results(
    session: AsyncSession,
    templates: dict[NotificationKind, WeChatTemplate],
    member_id: int,
    results: dict[str, SubscribeResult],
    now: datetime,
) -> None:
    """Adds one credit per accepted template. "reject", "ban" and "filter" add nothing and
    take nothing: earlier accepts stay usable until WeChat answers 43101."""
    known = kinds_by_template(templates)
    unknown = sorted(set(results) - set(known))
    if unknown:
        raise UnknownTemplate(details={"template_ids": unknown})
    for template_id, result in sorted(results.items()):
        if result == "accept":
            await _add_credit(session, member_id, template_id, now)


async def _add_credit(
    session: AsyncSession, member_id: int, template_id: str, now: datetime
) -> None:
    insert = insert_on_conflict(session, SubscriptionCredit).values(
        member_id=member_id, template_id=template_id, credits=1, updated_at=now
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[SubscriptionCredit.member_id, SubscriptionCredit.template_id],
            set_={"credits": SubscriptionCredit.credits + 1, "updated_at": now},
        )
    )


async def list_credits(
    session: AsyncSession, templates: dict[NotificationKind, WeChatTemplate], member_id: int
) -> list[TemplateCredits]:
    rows = await session.execute(
        select(SubscriptionCredit.template_id, SubscriptionCredit.credits).where(
            SubscriptionCredit.member_id == member_id
        )
    )
    held = {row.template_id: row.credits for row in rows}
    return [
        TemplateCredits(template_id, kinds, held.get(template_id, 0))
        for template_id, kinds in kinds_by_template(templates).items()
    ]


def _credit_row(member_id: int, template_id: str) -> tuple[ColumnElement[bool], ...]:
    return (
        SubscriptionCredit.member_id == member_id,
        SubscriptionCredit.template_id == template_id,
    )


async def take_credit(
    session: AsyncSession, member_id: int, template_id: str, now: datetime
) -> bool:
    """One credit, or False. The WHERE is the guard: of two senders racing for the last
    credit, the second finds ``credits > 0`` false once the first has committed."""
    taken = await session.execute(
        update(SubscriptionCredit)
        .where(*_credit_row(member_id, template_id), SubscriptionCredit.credits > 0)
        .values(credits=SubscriptionCredit.credits - 1, updated_at=now)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


async def give_back_credit(
    session: AsyncSession, member_id: int, template_id: str, now: datetime
) -> None:
    """WeChat spends the user's accept only on a sent message; a failed send keeps it."""
    await session.execute(
        update(SubscriptionCredit)
        .where(*_credit_row(member_id, template_id))
        .values(credits=SubscriptionCredit.credits + 1, updated_at=now)
    )


async def clear_credits(
    session: AsyncSession, member_id: int, template_id: str, now: datetime
) -> None:
    """43101: WeChat holds no accept for this template, whatever we counted."""
    await session.execute(
        update(SubscriptionCredit)
        .where(*_credit_row(member_id, template_id))
        .values(credits=0, updated_at=now)
    )
