"""WeChat subscribe messages: one credit per send, taken atomically (reliability 12); errcodes
in HTTP 200 answers classified (reliability 11); 43101 clears the credits; other failures
give the credit back."""

from __future__ import annotations

import asyncio
import json
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.integrations.wechat.client import SUBSCRIBE_SEND_PATH
from app.integrations.wechat.fake import fake_wechat_handler
from app.models import NotificationKind, SubscriptionCredit
from app.notify.channels.base import Message, Outcome, Recipient
from app.notify.channels.wechat import WeChatSubscribeAdapter
from app.notify.channels.wechat_templates import WeChatTemplate
from tests.factories import Factory
from tests.fixtures.wechat import FakeWeChat
from tests.notify.channels.conftest import Handler, make_message, raising

TEMPLATE = WeChatTemplate(
    "tmpl-activity-changed",
    {
        "thing1": "title",
        "time2": "starts_at",
        "thing3": "place",
        "phrase4": "=已变更",
        "character_string5": "activity_id",
    },
)


def build_adapter(app: FastAPI) -> WeChatSubscribeAdapter:
    runtime = app.state.runtime
    return WeChatSubscribeAdapter(
        runtime.wechat,
        runtime.sessionmaker,
        templates={NotificationKind.ACTIVITY_CHANGED: TEMPLATE},
        zone=ZoneInfo("Asia/Shanghai"),
        clock=runtime.clock,
    )


async def recipient_with_credits(app: FastAPI, factory: Factory, credits: int) -> Recipient:
    actor = await factory.actor(None, None)
    if credits:
        async with app.state.runtime.sessionmaker() as session, session.begin():
            session.add(
                SubscriptionCredit(
                    member_id=actor.member.id,
                    template_id=TEMPLATE.template_id,
                    credits=credits,
                    updated_at=app.state.runtime.clock.now(),
                )
            )
    return Recipient(member_id=actor.member.id, openid=actor.account.openid)


async def credits_of(app: FastAPI, recipient: Recipient) -> int:
    async with app.state.runtime.sessionmaker() as session:
        value = await session.scalar(
            select(SubscriptionCredit.credits).where(
                SubscriptionCredit.member_id == recipient.member_id,
                SubscriptionCredit.template_id == TEMPLATE.template_id,
            )
        )
    return int(value or 0)


def sends(wechat: FakeWeChat) -> list[httpx.Request]:
    return wechat.calls_to(SUBSCRIBE_SEND_PATH)


def answering(status: int = 200, **body: object) -> Handler:
    return lambda _: httpx.Response(status, json=body)


async def test_sends_against_a_credit_with_fitted_fields(
    app: FastAPI, factory: Factory, wechat: FakeWeChat, message: Message
) -> None:
    recipient = await recipient_with_credits(app, factory, 1)
    long_title = make_message(
        title="关于召开二〇二五年度第一季度支部组织生活会暨民主评议党员大会的通知"
    )

    result = await build_adapter(app).send(long_title, recipient)

    assert result.outcome is Outcome.DELIVERED
    assert await credits_of(app, recipient) == 0
    [request] = sends(wechat)
    body = json.loads(request.content)
    assert body["touser"] == recipient.openid
    assert body["template_id"] == TEMPLATE.template_id
    assert body["page"] == message.page
    assert body["miniprogram_state"] == "formal"
    assert body["lang"] == "zh_CN"
    data = {key: value["value"] for key, value in body["data"].items()}
    assert len(data["thing1"]) == 20
    assert data["thing1"].endswith("…")
    assert data["time2"] == "2025年03月02日 14:00"  # 06:00 UTC shown in Asia/Shanghai
    assert data["thing3"] == "党群中心"
    assert data["phrase4"] == "已变更"
    assert data["character_string5"] == "3"


async def test_no_credit_means_no_call(
    app: FastAPI, factory: Factory, wechat: FakeWeChat, message: Message
) -> None:
    recipient = await recipient_with_credits(app, factory, 0)

    result = await build_adapter(app).send(message, recipient)

    assert result.outcome is Outcome.NOT_SUBSCRIBED
    assert sends(wechat) == []


async def test_without_openid_or_template_nothing_is_sent(
    app: FastAPI, factory: Factory, wechat: FakeWeChat, message: Message
) -> None:
    recipient = await recipient_with_credits(app, factory, 1)
    no_openid = Recipient(member_id=recipient.member_id, openid=None)
    other_kind = make_message(kind=NotificationKind.NEWS_PUBLISHED)

    assert (await build_adapter(app).send(message, no_openid)).outcome is Outcome.NOT_SUBSCRIBED
    assert (await build_adapter(app).send(other_kind, recipient)).outcome is Outcome.NOT_SUBSCRIBED
    assert sends(wechat) == []
    assert await credits_of(app, recipient) == 1


async def test_43101_clears_the_credits(
    app: FastAPI, factory: Factory, wechat: FakeWeChat, message: Message
) -> None:
    recipient = await recipient_with_credits(app, factory, 3)
    wechat.overrides[SUBSCRIBE_SEND_PATH] = answering(errcode=43101, errmsg="user refuse to accept")

    result = await build_adapter(app).send(message, recipient)

    assert result.outcome is Outcome.NOT_SUBSCRIBED
    assert "43101" in result.detail
    assert await credits_of(app, recipient) == 0


@pytest.mark.parametrize(
    ("errcode", "outcome"),
    [
        (47003, Outcome.PERMANENT),
        (40037, Outcome.PERMANENT),
        (40003, Outcome.PERMANENT),
        (41030, Outcome.PERMANENT),
        (45009, Outcome.RETRY),
        (-1, Outcome.RETRY),
        (99999, Outcome.RETRY),
    ],
)
async def test_errcodes_in_http_200_are_failures_and_keep_the_credit(
    app: FastAPI,
    factory: Factory,
    wechat: FakeWeChat,
    message: Message,
    errcode: int,
    outcome: Outcome,
) -> None:
    recipient = await recipient_with_credits(app, factory, 1)
    wechat.overrides[SUBSCRIBE_SEND_PATH] = answering(errcode=errcode, errmsg="refused")

    result = await build_adapter(app).send(message, recipient)

    assert result.outcome is outcome
    assert errcode == -1 or str(errcode) in result.detail  # -1 is "busy": no code kept
    assert await credits_of(app, recipient) == 1


@pytest.mark.parametrize(
    "failure",
    [
        answering(502),
        answering(503, errcode=0),
        raising(httpx.ReadTimeout),
        raising(httpx.ConnectError),
        lambda _: httpx.Response(200, text="<html>busy</html>"),
    ],
)
async def test_unavailable_wechat_is_retried_and_the_credit_given_back(
    app: FastAPI, factory: Factory, wechat: FakeWeChat, message: Message, failure: Handler
) -> None:
    recipient = await recipient_with_credits(app, factory, 1)
    wechat.overrides[SUBSCRIBE_SEND_PATH] = failure

    result = await build_adapter(app).send(message, recipient)

    assert result.outcome is Outcome.RETRY
    assert await credits_of(app, recipient) == 1


async def test_expired_token_is_refreshed_once_then_sent(
    app: FastAPI, factory: Factory, wechat: FakeWeChat, message: Message
) -> None:
    recipient = await recipient_with_credits(app, factory, 1)
    await app.state.runtime.wechat.fetch_stable_token()  # nothing cached yet: warm it
    first: list[str] = []

    def expire_first_token(request: httpx.Request) -> httpx.Response:
        token = str(request.url.params["access_token"])
        if not first or first[0] == token:
            first.append(token)
            return httpx.Response(200, json={"errcode": 42001, "errmsg": "access_token expired"})
        return fake_wechat_handler(request)

    wechat.overrides[SUBSCRIBE_SEND_PATH] = expire_first_token

    result = await build_adapter(app).send(message, recipient)

    assert result.outcome is Outcome.DELIVERED
    assert len(sends(wechat)) == 2
    assert await credits_of(app, recipient) == 0


@pytest.mark.parametrize(("credits", "senders"), [(1, 6), (2, 6)])
async def test_concurrent_sends_use_each_credit_once(
    app: FastAPI,
    factory: Factory,
    wechat: FakeWeChat,
    message: Message,
    credits: int,
    senders: int,
) -> None:
    recipient = await recipient_with_credits(app, factory, credits)
    adapter = build_adapter(app)

    results = await asyncio.gather(*(adapter.send(message, recipient) for _ in range(senders)))

    outcomes = sorted(result.outcome.value for result in results)
    assert outcomes.count("delivered") == credits
    assert outcomes.count("not_subscribed") == senders - credits
    assert len(sends(wechat)) == credits
    assert await credits_of(app, recipient) == 0
