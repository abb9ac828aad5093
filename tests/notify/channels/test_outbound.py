"""Every channel that takes a URL or a host from settings refuses every spelling of a
loopback address, and a name that resolves to a private one, before anything is sent
(reliability 19, OWASP API7); the development switch lets a local fake through."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import ValidationError

from app.config import Settings
from app.kit.clock import FrozenClock
from app.notify.channels.base import Adapter, Message, Outcome, Recipient
from app.notify.channels.dingtalk import DingTalkBotAdapter
from app.notify.channels.sms import AliyunSmsAdapter
from app.notify.channels.webhook import WebhookAdapter
from app.notify.channels.wecom import WeComBotAdapter
from tests.notify.channels.conftest import SENT_AT, FakeResolver, Upstream

# Every way of writing 127.0.0.1 that some parser takes, as the host part of a URL.
LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "[::ffff:127.0.0.1]",
    "example.com@127.0.0.1",
    "0.0.0.0",  # noqa: S104 - a target here, not a bind
    "localhost",
]

AdapterFor = Callable[[httpx.AsyncClient, str], Adapter]


def wecom(http: httpx.AsyncClient, base: str) -> Adapter:
    return WeComBotAdapter(http, webhook_url=f"{base}/cgi-bin/webhook/send?key=k")


def dingtalk(http: httpx.AsyncClient, base: str) -> Adapter:
    return DingTalkBotAdapter(
        http,
        webhook_url=f"{base}/robot/send?access_token=t",
        secret="SECtest",
        clock=FrozenClock(SENT_AT),
    )


def webhook(http: httpx.AsyncClient, base: str) -> Adapter:
    return WebhookAdapter(http, url=f"{base}/hook", secret="s", clock=FrozenClock(SENT_AT))


def sms(http: httpx.AsyncClient, base: str) -> Adapter:
    return AliyunSmsAdapter(
        http,
        endpoint=base,
        access_key_id="id",
        access_key_secret="secret",
        sign_name="党建通知",
        template_code="SMS_1",
        template_params={"title": "title"},
        clock=FrozenClock(SENT_AT),
        zone=ZoneInfo("Asia/Shanghai"),
    )


CHANNELS = {"wecom": wecom, "dingtalk": dingtalk, "webhook": webhook, "sms": sms}
RECIPIENT = Recipient(member_id=1, phone="13800000001")


async def send_on(
    make: AdapterFor,
    base: str,
    message: Message,
    *,
    allow_private: bool = False,
    dns: FakeResolver | None = None,
) -> tuple[Upstream, Outcome, str]:
    upstream = Upstream(lambda _: httpx.Response(200, json={"errcode": 0, "Code": "OK"}))
    async with upstream.client(guarded=True, allow_private=allow_private, resolver=dns) as http:
        result = await make(http, base).send(message, RECIPIENT)
    return upstream, result.outcome, result.detail


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
@pytest.mark.parametrize("channel", CHANNELS)
async def test_every_spelling_of_loopback_is_refused_on_every_channel(
    channel: str, host: str, message: Message
) -> None:
    upstream, outcome, detail = await send_on(CHANNELS[channel], f"http://{host}", message)

    assert upstream.requests == []
    assert outcome is Outcome.PERMANENT
    assert detail.startswith(f"{channel}: ")
    assert "refused" in detail or "bad URL" in detail, detail


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_name_that_resolves_to_a_private_address_is_refused(
    channel: str, message: Message
) -> None:
    dns = FakeResolver(**{"bot.example.com": ["10.0.0.7"]})
    upstream, outcome, detail = await send_on(
        CHANNELS[channel], "https://bot.example.com", message, dns=dns
    )

    assert upstream.requests == []
    assert outcome is Outcome.PERMANENT
    assert "bot.example.com resolves to non-public 10.0.0.7" in detail


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_public_name_is_sent_to_its_checked_address(channel: str, message: Message) -> None:
    dns = FakeResolver(**{"bot.example.com": ["93.184.216.34"]})
    upstream, outcome, _ = await send_on(
        CHANNELS[channel], "https://bot.example.com", message, dns=dns
    )

    assert outcome is Outcome.DELIVERED
    [request] = upstream.requests
    assert request.url.host == "93.184.216.34"
    assert request.headers["host"] == "bot.example.com"
    assert request.extensions["sni_hostname"] == "bot.example.com"


@pytest.mark.parametrize("channel", CHANNELS)
async def test_the_development_switch_lets_a_local_fake_through(
    channel: str, message: Message
) -> None:
    upstream, outcome, _ = await send_on(
        CHANNELS[channel], "http://127.0.0.1:9000", message, allow_private=True
    )

    assert outcome is Outcome.DELIVERED
    assert [r.url.host for r in upstream.requests] == ["127.0.0.1"]


async def test_an_unresolvable_name_is_retried(message: Message) -> None:
    dns = FakeResolver(**{"gone.example.com": []})
    upstream, outcome, detail = await send_on(wecom, "https://gone.example.com", message, dns=dns)
    assert upstream.requests == []
    assert outcome is Outcome.RETRY
    assert detail == "wecom: ConnectError"


URL_SETTINGS = [
    "wecom_webhook_url",
    "dingtalk_webhook_url",
    "webhook_url",
    "sms_endpoint",
    "s3_endpoint",
    "wechat_base_url",
]


@pytest.mark.parametrize(
    "host", ["0177.0.0.1", "127.1", "2130706433", "0x7f000001", "example.com@127.0.0.1"]
)
@pytest.mark.parametrize("name", URL_SETTINGS)
def test_settings_refuse_an_ambiguous_url_naming_the_setting(name: str, host: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**{name: f"http://{host}/x"}, _env_file=None)  # type: ignore[call-arg, arg-type]

    [error] = caught.value.errors()
    assert error["loc"] == (name,)
    assert f"APP_{name.upper()}" in error["msg"]


@pytest.mark.parametrize("host", ["0177.0.0.1", "127.1", "2130706433", "0x7f000001"])
def test_settings_refuse_an_ambiguous_smtp_host(host: str) -> None:
    with pytest.raises(ValidationError, match="APP_SMTP_HOST"):
        Settings(smtp_host=host, _env_file=None)  # type: ignore[call-arg]


def test_settings_take_plain_urls() -> None:
    settings = Settings(
        webhook_url="https://hooks.example.com:8443/in",
        s3_endpoint="http://10.0.0.5:9000",
        smtp_host="smtp.example.org",
        _env_file=None,  # type: ignore[call-arg]
    )
    assert settings.webhook_url == "https://hooks.example.com:8443/in"
