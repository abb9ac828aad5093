"""The channels this instance sends on, built from settings once per process."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.integrations.wechat import WeChatClient
from app.kit.clock import Clock
from app.models import Channel
from app.notify.channels.base import Adapter
from app.notify.channels.console import ConsoleAdapter
from app.notify.channels.inbox import InboxAdapter
from app.notify.channels.registry import build_adapters


def build_channels(
    settings: Settings,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    wechat: WeChatClient,
    clock: Clock,
) -> dict[Channel, Adapter]:
    adapters: dict[Channel, Adapter] = {Channel.INBOX: InboxAdapter(sessionmaker)}
    if Channel.CONSOLE in {*settings.notify_channels, *settings.notify_group_channels}:
        adapters[Channel.CONSOLE] = ConsoleAdapter()
    adapters.update(
        build_adapters(settings, http=http, sessionmaker=sessionmaker, wechat=wechat, clock=clock)
    )
    return adapters


def worker_in_process(settings: Settings) -> bool:
    if settings.notify_worker_in_process is not None:
        return settings.notify_worker_in_process
    return settings.is_sqlite
