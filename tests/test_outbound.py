"""The app's own outbound clients are guarded (reliability 19): a bot configured on a
loopback address dead-letters with a clear reason and nothing leaves the app; the S3 store
on a private address is refused unless APP_S3_ALLOW_PRIVATE says it is ours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.config import Settings, StorageBackend
from app.kit.clock import Clock
from app.kit.storage import StorageError
from app.main import create_app
from app.models import DeliveryStatus, Member, NotificationKind
from app.notify.outbox import notify
from tests.fixtures.wechat import FakeWeChat
from tests.notify.channels.conftest import Upstream
from tests.notify.helpers import T0, deliveries, worker


@asynccontextmanager
async def app_sending_to(settings: Settings, upstream: Upstream) -> AsyncIterator[FastAPI]:
    instance = create_app(
        settings,
        wechat_transport=FakeWeChat().transport(),
        notify_transport=upstream.transport(),
        clock=Clock(),
        configure_logs=False,
    )
    async with instance.router.lifespan_context(instance):
        yield instance


@pytest.mark.parametrize(
    ("url", "allow_private", "status"),
    [
        ("http://[::ffff:127.0.0.1]:8080/send?key=k", False, DeliveryStatus.DEAD),
        ("http://127.0.0.1:8080/send?key=k", True, DeliveryStatus.DELIVERED),
    ],
)
async def test_a_bot_on_a_loopback_address_is_dead_lettered_with_the_reason(
    app: FastAPI,  # noqa: ARG001 - empties the tables first
    settings: Settings,
    url: str,
    allow_private: bool,
    status: DeliveryStatus,
) -> None:
    settings.notify_group_channels = ["wecom_bot"]
    settings.wecom_webhook_url = url
    settings.outbound_allow_private = allow_private
    upstream = Upstream()
    async with app_sending_to(settings, upstream) as bots:
        async with bots.state.runtime.sessionmaker.begin() as session:
            await notify(
                session,
                settings,
                kind=NotificationKind.ACTIVITY_PUBLISHED,
                source="test:ssrf",
                title="支部党员大会",
                body="时间：06月01日 10:00",
                recipients=select(Member.id).where(Member.id == -1),
                now=T0,
            )
        await worker(bots).tick()
        [delivery] = await deliveries(bots)

    assert delivery.status is status
    if allow_private:
        assert len(upstream.requests) == 1
    else:
        assert upstream.requests == []
        assert (
            delivery.last_error
            == "wecom: refused: ::ffff:127.0.0.1 resolves to non-public ::ffff:127.0.0.1"
        )


@pytest.mark.parametrize(
    ("allow_private", "reason"), [(False, "OutboundRefused"), (True, "ConnectError")]
)
async def test_s3_on_a_private_address_needs_its_switch(
    settings: Settings, allow_private: bool, reason: str
) -> None:
    s3 = settings.model_copy(
        update={
            "storage_backend": StorageBackend.S3,
            "s3_endpoint": "http://127.0.0.1:9",  # nothing listens on the discard port
            "s3_bucket": "dangjian",
            "s3_access_key": "ak",
            "s3_secret_key": "sk",
            "s3_allow_private": allow_private,
        }
    )
    app = create_app(s3, wechat_transport=FakeWeChat().transport(), configure_logs=False)
    async with app.router.lifespan_context(app):
        with pytest.raises(StorageError) as caught:
            await app.state.runtime.storage.put("a/b.pdf", b"%PDF", "application/pdf")
    assert caught.value.details == {"reason": reason}
