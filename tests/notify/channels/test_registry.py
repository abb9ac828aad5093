"""build_adapters: only the named channels, and a named channel without its settings stops
the start."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.models import Channel
from app.notify.channels.registry import build_adapters

COMPLETE: dict[str, Any] = {
    "wechat_templates": {"activity_changed": {"template_id": "t1", "thing1": "title"}},
    "sms_access_key_id": "id",
    "sms_access_key_secret": "secret",
    "sms_sign_name": "党建",
    "sms_template_code": "SMS_1",
    "smtp_host": "smtp.example.org",
    "smtp_from": "noreply@example.org",
    "wecom_webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
    "dingtalk_webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=t",
    "dingtalk_secret": "SEC1",
    "webhook_url": "https://hooks.example.com/in",
    "webhook_secret": "s",
}


def build(app: FastAPI, settings: Settings, **changes: Any) -> dict[Channel, Any]:
    runtime = app.state.runtime
    configured = settings.model_copy(update=changes)
    return build_adapters(
        configured,
        http=httpx.AsyncClient(),
        sessionmaker=runtime.sessionmaker,
        wechat=runtime.wechat,
        clock=runtime.clock,
    )


async def test_builds_only_the_named_channels(app: FastAPI, settings: Settings) -> None:
    adapters = build(
        app,
        settings,
        **COMPLETE,
        notify_channels=["inbox", "console", "wechat", "sms", "email"],
        notify_group_channels=["wecom_bot", "dingtalk_bot", "webhook"],
    )
    assert set(adapters) == {
        Channel.WECHAT,
        Channel.SMS,
        Channel.EMAIL,
        Channel.WECOM_BOT,
        Channel.DINGTALK_BOT,
        Channel.WEBHOOK,
    }
    assert all(adapter.channel is channel for channel, adapter in adapters.items())
    assert build(app, settings, **COMPLETE, notify_channels=["inbox", "sms"]).keys() == {
        Channel.SMS
    }


@pytest.mark.parametrize(
    ("channels", "groups", "missing"),
    [
        (["wechat"], [], "APP_WECHAT_TEMPLATES"),
        (["sms"], [], "APP_SMS_SIGN_NAME"),
        (["email"], [], "APP_SMTP_HOST"),
        ([], ["wecom_bot"], "APP_WECOM_WEBHOOK_URL"),
        ([], ["dingtalk_bot"], "APP_DINGTALK_SECRET"),
        ([], ["webhook"], "APP_WEBHOOK_SECRET"),
    ],
)
async def test_a_named_channel_without_settings_stops_the_start(
    app: FastAPI, settings: Settings, channels: list[str], groups: list[str], missing: str
) -> None:
    partial = {**COMPLETE, missing.removeprefix("APP_").lower(): None}
    if missing == "APP_WECHAT_TEMPLATES":
        partial["wechat_templates"] = {}
    with pytest.raises(ValueError, match=missing):
        build(app, settings, **partial, notify_channels=channels, notify_group_channels=groups)


@pytest.mark.parametrize(
    ("channels", "groups"),
    [(["pigeon"], []), (["webhook"], []), ([], ["sms"])],
)
async def test_unknown_or_misplaced_channels_are_refused(
    app: FastAPI, settings: Settings, channels: list[str], groups: list[str]
) -> None:
    with pytest.raises(ValueError, match=r"not a valid Channel|in the wrong list"):
        build(app, settings, **COMPLETE, notify_channels=channels, notify_group_channels=groups)


@pytest.mark.parametrize(
    "templates",
    [
        {"no_such_kind": {"template_id": "t", "thing1": "title"}},
        {"activity_changed": {"template_id": "t", "colour1": "title"}},
        {"activity_changed": {"template_id": "t"}},
    ],
)
async def test_bad_wechat_templates_are_refused(
    app: FastAPI, settings: Settings, templates: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"unknown notification kind|template field|maps no"):
        build(
            app, settings, **{**COMPLETE, "wechat_templates": templates}, notify_channels=["wechat"]
        )
