"""Aliyun SMS: the RPC signature reproduces the documented example, the request is the
signed form, and each answer Code is classified (reliability 11)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.kit.clock import FrozenClock
from app.notify.channels.base import Message, Outcome, Recipient, SendResult
from app.notify.channels.sms import AliyunSmsAdapter, rpc_signature
from tests.notify.channels.conftest import SENT_AT, Handler, Upstream, answer, raising

SECRET = "test-secret"


def test_signature_reproduces_aliyun_documented_example() -> None:
    # The SendSms example of Aliyun's signature documentation (testId / testSecret).
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert rpc_signature("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def sms_adapter(http: httpx.AsyncClient) -> AliyunSmsAdapter:
    return AliyunSmsAdapter(
        http,
        endpoint="https://dysmsapi.aliyuncs.com",
        access_key_id="test-id",
        access_key_secret=SECRET,
        sign_name="党建通知",
        template_code="SMS_123",
        template_params={"title": "title", "place": "place", "time": "starts_at"},
        clock=FrozenClock(SENT_AT),
        zone=ZoneInfo("Asia/Shanghai"),
    )


async def send(handler: Handler, message: Message, phone: str | None = "13800000001") -> Upstream:
    upstream = Upstream(handler)
    async with upstream.client() as http:
        adapter = sms_adapter(http)
        result: SendResult = await adapter.send(message, Recipient(member_id=1, phone=phone))
        upstream.result = result  # type: ignore[attr-defined]
    return upstream


async def test_request_is_a_signed_form(message: Message) -> None:
    upstream = await send(answer(Code="OK", Message="OK", BizId="900^0"), message)

    assert upstream.result.outcome is Outcome.DELIVERED  # type: ignore[attr-defined]
    request = upstream.requests[0]
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
    signature = form.pop("Signature")
    assert signature == rpc_signature("POST", form, SECRET)
    assert form["Action"] == "SendSms"
    assert form["Version"] == "2017-05-25"
    assert form["PhoneNumbers"] == "13800000001"
    assert form["SignName"] == "党建通知"
    assert form["TemplateCode"] == "SMS_123"
    assert form["Timestamp"] == "2025-03-01T08:00:00Z"
    assert json.loads(form["TemplateParam"]) == {
        "title": message.title,
        "place": "党群中心",
        "time": "2025年3月2日 14:00",
    }
    # RFC 3986 encoding: a space would be %20, never "+".
    assert b"+" not in request.content


@pytest.mark.parametrize(
    ("handler", "outcome"),
    [
        (answer(Code="isv.BUSINESS_LIMIT_CONTROL", Message="触发分钟级流控"), Outcome.RETRY),
        (answer(Code="isv.AMOUNT_NOT_ENOUGH", Message="余额不足"), Outcome.RETRY),
        (answer(Code="isp.SYSTEM_ERROR", Message="system error"), Outcome.RETRY),
        (answer(400, Code="Throttling.User", Message="throttled"), Outcome.RETRY),
        (answer(Code="isv.MOBILE_NUMBER_ILLEGAL", Message="非法手机号"), Outcome.PERMANENT),
        (answer(Code="isv.SMS_TEMPLATE_ILLEGAL", Message="模板不合法"), Outcome.PERMANENT),
        (answer(400, Code="SignatureDoesNotMatch", Message="bad sign"), Outcome.PERMANENT),
        (answer(503), Outcome.RETRY),
        (lambda _: httpx.Response(502, text="bad gateway"), Outcome.RETRY),
        (lambda _: httpx.Response(404, text="not found"), Outcome.PERMANENT),
        (raising(httpx.ReadTimeout), Outcome.RETRY),
        (raising(httpx.ConnectError), Outcome.RETRY),
    ],
)
async def test_answers_are_classified(handler: Handler, outcome: Outcome, message: Message) -> None:
    upstream = await send(handler, message)
    assert upstream.result.outcome is outcome  # type: ignore[attr-defined]


async def test_flow_control_waits(message: Message) -> None:
    upstream = await send(answer(Code="isv.BUSINESS_LIMIT_CONTROL", Message="流控"), message)
    assert upstream.result.retry_after == 60.0  # type: ignore[attr-defined]


@pytest.mark.parametrize("phone", [None, "", "  "])
async def test_no_phone_is_not_subscribed_and_sends_nothing(
    phone: str | None, message: Message
) -> None:
    upstream = await send(answer(Code="OK"), message, phone=phone)
    assert upstream.result.outcome is Outcome.NOT_SUBSCRIBED  # type: ignore[attr-defined]
    assert upstream.requests == []


def numbers_of(request: httpx.Request) -> list[str]:
    return dict(parse_qsl(request.content.decode()))["PhoneNumbers"].split(",")


async def send_many(handler: Handler, message: Message, *phones: str | None) -> Upstream:
    upstream = Upstream(handler)
    async with upstream.client() as http:
        adapter = sms_adapter(http)
        recipients = [Recipient(member_id=n, phone=phone) for n, phone in enumerate(phones)]
        upstream.results = await adapter.send_many(message, recipients)  # type: ignore[attr-defined]
    return upstream


async def test_one_text_to_many_numbers_is_one_request(message: Message) -> None:
    upstream = await send_many(
        answer(Code="OK", BizId="901^0"), message, "13800000001", None, "13800000002"
    )

    assert [numbers_of(r) for r in upstream.requests] == [["13800000001", "13800000002"]]
    outcomes = [r.outcome for r in upstream.results]  # type: ignore[attr-defined]
    assert outcomes == [Outcome.DELIVERED, Outcome.NOT_SUBSCRIBED, Outcome.DELIVERED]


async def test_a_failed_batch_fails_every_number_in_it(message: Message) -> None:
    upstream = await send_many(
        answer(Code="isp.SYSTEM_ERROR"), message, "13800000001", "13800000002"
    )

    assert len(upstream.requests) == 1
    assert [r.outcome for r in upstream.results] == [Outcome.RETRY] * 2  # type: ignore[attr-defined]


async def test_one_bad_number_does_not_sink_the_others(message: Message) -> None:
    def gateway(request: httpx.Request) -> httpx.Response:
        if "1380000000X" in numbers_of(request):
            return httpx.Response(200, json={"Code": "isv.MOBILE_NUMBER_ILLEGAL"})
        return httpx.Response(200, json={"Code": "OK", "BizId": "902^0"})

    upstream = await send_many(gateway, message, "13800000001", "1380000000X", "13800000002")

    # The batch, then each number on its own.
    assert len(upstream.requests) == 4
    assert sorted(tuple(numbers_of(r)) for r in upstream.requests[1:]) == [
        ("13800000001",),
        ("13800000002",),
        ("1380000000X",),
    ]
    outcomes = [r.outcome for r in upstream.results]  # type: ignore[attr-defined]
    assert outcomes == [Outcome.DELIVERED, Outcome.PERMANENT, Outcome.DELIVERED]


async def test_a_lone_number_is_a_plain_send(message: Message) -> None:
    upstream = await send_many(answer(Code="OK"), message, "13800000001")
    assert [numbers_of(r) for r in upstream.requests] == [["13800000001"]]
    assert [r.outcome for r in upstream.results] == [Outcome.DELIVERED]  # type: ignore[attr-defined]
