"""The flow tests/notify/test_wechat_rules.py will call at merge makes both transfer kinds,
each carrying every value the catalogue lists, rendered within WeChat's rules."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.kit.clock import FrozenClock
from app.models import Notification, NotificationKind
from app.notify.catalogue import KIND_VALUES
from app.notify.channels.wechat_templates import parse_templates, render
from tests.factories import Factory
from tests.notify.test_wechat_rules import full_configuration, message_of, refusals
from tests.transfers.notify_flow import a_transfer_decided_and_reminded

KINDS = {NotificationKind.TRANSFER_DECIDED, NotificationKind.TRANSFER_REMINDER}


async def test_the_flow_makes_both_kinds_wechat_accepts(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    await a_transfer_decided_and_reminded(app, client, factory, clock)
    async with app.state.runtime.sessionmaker() as session:
        made = (
            await session.scalars(select(Notification).where(Notification.kind.in_(KINDS)))
        ).all()
    assert {n.kind for n in made} == KINDS
    templates = parse_templates(full_configuration())
    for notification in made:
        message = message_of(notification)
        assert set(KIND_VALUES[message.kind]) <= set(message.data), message
        rendered = render(templates[message.kind], message, ZONE)
        assert refusals(rendered) == [], (message.kind, rendered)


ZONE = ZoneInfo("Asia/Shanghai")
