"""Builds the adapters the settings name, once, at start. A named channel without its
settings stops the start (ValueError) rather than dead-lettering every message later."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.integrations.wechat import WeChatClient
from app.kit.clock import Clock
from app.kit.time import DISPLAY_ZONE
from app.models import GROUP_CHANNELS, Channel
from app.notify.channels.base import Adapter
from app.notify.channels.dingtalk import DingTalkBotAdapter
from app.notify.channels.email import SmtpEmailAdapter
from app.notify.channels.sms import AliyunSmsAdapter
from app.notify.channels.webhook import WebhookAdapter
from app.notify.channels.wechat import WeChatSubscribeAdapter
from app.notify.channels.wechat_templates import parse_templates
from app.notify.channels.wecom import WeComBotAdapter

# Built by app/notify/setup.py: the in-app inbox always, the console when it is named.
NOT_BUILT_HERE = frozenset({Channel.INBOX, Channel.CONSOLE})


def _require(settings: Settings, channel: Channel, *names: str) -> None:
    missing = [f"APP_{name.upper()}" for name in names if not getattr(settings, name)]
    if missing:
        raise ValueError(f"channel {channel.value} needs: {', '.join(missing)}")


def build_adapters(
    settings: Settings,
    *,
    http: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    wechat: WeChatClient,
    clock: Clock,
) -> dict[Channel, Adapter]:
    zone = DISPLAY_ZONE
    timeout = settings.notify_http_timeout_seconds
    s = settings

    def wechat_adapter() -> Adapter:
        _require(s, Channel.WECHAT, "wechat_templates")
        return WeChatSubscribeAdapter(
            wechat,
            sessionmaker,
            templates=parse_templates(s.wechat_templates),
            zone=zone,
            clock=clock,
            miniprogram_state=s.wechat_miniprogram_state,
            lang=s.wechat_message_lang,
        )

    def sms_adapter() -> Adapter:
        _require(
            s,
            Channel.SMS,
            *("sms_access_key_id", "sms_access_key_secret", "sms_sign_name", "sms_template_code"),
        )
        assert s.sms_access_key_id
        assert s.sms_access_key_secret
        assert s.sms_sign_name
        assert s.sms_template_code
        return AliyunSmsAdapter(
            http,
            endpoint=s.sms_endpoint,
            access_key_id=s.sms_access_key_id,
            access_key_secret=s.sms_access_key_secret,
            sign_name=s.sms_sign_name,
            template_code=s.sms_template_code,
            template_params=s.sms_template_params,
            clock=clock,
            zone=zone,
            timeout=timeout,
        )

    def email_adapter() -> Adapter:
        _require(s, Channel.EMAIL, "smtp_host", "smtp_from")
        assert s.smtp_host
        assert s.smtp_from
        return SmtpEmailAdapter(
            host=s.smtp_host,
            port=s.smtp_port,
            sender=s.smtp_from,
            security=s.smtp_security,
            username=s.smtp_username,
            password=s.smtp_password,
            timeout=s.smtp_timeout_seconds,
            allow_private=s.outbound_allow_private,
        )

    def wecom_adapter() -> Adapter:
        _require(s, Channel.WECOM_BOT, "wecom_webhook_url")
        assert s.wecom_webhook_url
        return WeComBotAdapter(
            http, webhook_url=s.wecom_webhook_url, msgtype=s.wecom_msgtype, timeout=timeout
        )

    def dingtalk_adapter() -> Adapter:
        _require(s, Channel.DINGTALK_BOT, "dingtalk_webhook_url", "dingtalk_secret")
        assert s.dingtalk_webhook_url
        assert s.dingtalk_secret
        return DingTalkBotAdapter(
            http,
            webhook_url=s.dingtalk_webhook_url,
            secret=s.dingtalk_secret,
            clock=clock,
            msgtype=s.dingtalk_msgtype,
            timeout=timeout,
        )

    def webhook_adapter() -> Adapter:
        _require(s, Channel.WEBHOOK, "webhook_url", "webhook_secret")
        assert s.webhook_url
        assert s.webhook_secret
        return WebhookAdapter(
            http,
            url=s.webhook_url,
            secret=s.webhook_secret,
            clock=clock,
            timeout=timeout,
        )

    builders: dict[Channel, Callable[[], Adapter]] = {
        Channel.WECHAT: wechat_adapter,
        Channel.SMS: sms_adapter,
        Channel.EMAIL: email_adapter,
        Channel.WECOM_BOT: wecom_adapter,
        Channel.DINGTALK_BOT: dingtalk_adapter,
        Channel.WEBHOOK: webhook_adapter,
    }
    adapters: dict[Channel, Adapter] = {}
    for channel in _named_channels(settings):
        if channel not in NOT_BUILT_HERE and channel not in adapters:
            adapters[channel] = builders[channel]()
    return adapters


def _named_channels(settings: Settings) -> list[Channel]:
    """Member channels and group channels each in their own list: a bot among the member
    channels would get one delivery per member, an SMS among the groups no recipient."""
    members = [Channel(name) for name in settings.notify_channels]  # unknown: ValueError
    groups = [Channel(name) for name in settings.notify_group_channels]
    misplaced = [c.value for c in members if c in GROUP_CHANNELS]
    misplaced += [c.value for c in groups if c not in GROUP_CHANNELS]
    if misplaced:
        raise ValueError(f"channels in the wrong list: {', '.join(misplaced)}")
    return [*members, *groups]
