"""WeCom and DingTalk group bots: an HTTP 200 with a non-zero errcode is a failure, classified
by the bot's codes (reliability 11); DingTalk's signature matches one computed elsewhere."""

from __future__ import annotations

import json
from typing import Literal
from urllib.parse import parse_qs

import httpx
import pytest

from app.kit.clock import FrozenClock
from app.notify.channels.base import Message, Outcome, Recipient
from app.notify.channels.dingtalk import DingTalkBotAdapter, sign
from app.notify.channels.wecom import WeComBotAdapter
from tests.notify.channels.conftest import SENT_AT, Handler, Upstream, answer, make_message, raising

WECOM_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test-key"
DINGTALK_URL = "https://oapi.dingtalk.com/robot/send?access_token=test-token"
# printf '1700000000000\nSECtest-secret' | openssl dgst -sha256 -hmac 'SECtest-secret' -binary
#   | base64
OPENSSL_SIGN = "LC7hxZ4wslL+P7j7gu1hoQ+wzByekL+yWgiUMekZs0g="


async def wecom_send(
    handler: Handler, message: Message, msgtype: Literal["markdown", "text"] = "markdown"
) -> Upstream:
    upstream = Upstream(handler)
    async with upstream.client() as http:
        adapter = WeComBotAdapter(http, webhook_url=WECOM_URL, msgtype=msgtype)
        upstream.result = await adapter.send(message, Recipient())  # type: ignore[attr-defined]
    return upstream


async def dingtalk_send(handler: Handler, message: Message) -> Upstream:
    upstream = Upstream(handler)
    clock = FrozenClock(SENT_AT)
    async with upstream.client() as http:
        adapter = DingTalkBotAdapter(
            http, webhook_url=DINGTALK_URL, secret="SECtest-secret", clock=clock
        )
        upstream.result = await adapter.send(message, Recipient())  # type: ignore[attr-defined]
    return upstream


@pytest.mark.parametrize(
    ("handler", "outcome"),
    [
        (answer(errcode=0, errmsg="ok"), Outcome.DELIVERED),
        (answer(errcode=45009, errmsg="api freq out of limit"), Outcome.RETRY),
        (answer(errcode=93000, errmsg="invalid webhook url"), Outcome.PERMANENT),
        (answer(errcode=40008, errmsg="invalid message type"), Outcome.PERMANENT),
        (answer(errcode=44004, errmsg="empty content"), Outcome.PERMANENT),
        (answer(errcode=-1, errmsg="system busy"), Outcome.RETRY),
        (answer(502), Outcome.RETRY),
        (answer(404), Outcome.PERMANENT),
        (raising(httpx.ReadTimeout), Outcome.RETRY),
        (raising(httpx.ConnectError), Outcome.RETRY),
        (lambda _: httpx.Response(200, text="<html>"), Outcome.RETRY),
    ],
)
async def test_wecom_classifies_answers(
    handler: Handler, outcome: Outcome, message: Message
) -> None:
    upstream = await wecom_send(handler, message)
    assert upstream.result.outcome is outcome  # type: ignore[attr-defined]
    assert len(upstream.requests) == 1


async def test_wecom_rate_limit_waits_a_minute(message: Message) -> None:
    upstream = await wecom_send(answer(errcode=45009, errmsg="freq"), message)
    assert upstream.result.retry_after == 60.0  # type: ignore[attr-defined]
    assert "45009" in upstream.result.detail  # type: ignore[attr-defined]


async def test_wecom_markdown_and_text_bodies_within_byte_limits() -> None:
    long = make_message(body="党" * 3000)
    markdown = await wecom_send(answer(errcode=0), long)
    text = await wecom_send(answer(errcode=0), long, msgtype="text")
    sent_md = json.loads(markdown.requests[0].content)
    sent_text = json.loads(text.requests[0].content)
    assert sent_md["msgtype"] == "markdown"
    assert sent_md["markdown"]["content"].startswith(f"**{long.title}**")
    assert len(sent_md["markdown"]["content"].encode()) <= 4096
    assert sent_text["msgtype"] == "text"
    assert len(sent_text["text"]["content"].encode()) <= 2048
    assert str(markdown.requests[0].url) == WECOM_URL


def test_dingtalk_signature_matches_openssl() -> None:
    assert sign(1700000000000, "SECtest-secret") == OPENSSL_SIGN


async def test_dingtalk_request_carries_encoded_timestamp_and_sign(message: Message) -> None:
    upstream = await dingtalk_send(answer(errcode=0, errmsg="ok"), message)

    assert upstream.result.outcome is Outcome.DELIVERED  # type: ignore[attr-defined]
    url = upstream.requests[0].url
    query = parse_qs(url.query.decode())
    timestamp = int(SENT_AT.timestamp() * 1000)
    assert query["access_token"] == ["test-token"]
    assert query["timestamp"] == [str(timestamp)]
    assert query["sign"] == [sign(timestamp, "SECtest-secret")]
    assert b"+" not in url.query
    assert b"/" not in url.query.split(b"sign=")[1]
    body = json.loads(upstream.requests[0].content)
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == message.title


@pytest.mark.parametrize(
    ("handler", "outcome"),
    [
        (answer(errcode=0, errmsg="ok"), Outcome.DELIVERED),
        (answer(errcode=130101, errmsg="send too fast"), Outcome.RETRY),
        (answer(errcode=410100, errmsg="send too fast"), Outcome.RETRY),
        (answer(errcode=310000, errmsg="sign not match"), Outcome.PERMANENT),
        (answer(errcode=400013, errmsg="group disbanded"), Outcome.PERMANENT),
        (answer(errcode=430102, errmsg="unsafe text"), Outcome.PERMANENT),
        (answer(errcode=-1, errmsg="busy"), Outcome.RETRY),
        (answer(503), Outcome.RETRY),
        (answer(429), Outcome.RETRY),
        (answer(403), Outcome.PERMANENT),
        (raising(httpx.ConnectTimeout), Outcome.RETRY),
    ],
)
async def test_dingtalk_classifies_answers(
    handler: Handler, outcome: Outcome, message: Message
) -> None:
    upstream = await dingtalk_send(handler, message)
    assert upstream.result.outcome is outcome  # type: ignore[attr-defined]
