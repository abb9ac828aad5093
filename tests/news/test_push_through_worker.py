"""End to end: a published article reaches its audience's inbox and the console channel
through the worker, a scheduled one is published by the worker when due, and nobody outside
the audience gets anything."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import Delivery, DeliveryStatus, InboxMessage
from app.notify.registry import registry_of
from app.notify.worker import Worker
from tests.news.conftest import T0, Scene


def worker(scene: Scene) -> Worker:
    runtime = scene.app.state.runtime
    return Worker(
        runtime.sessionmaker,
        registry_of(scene.app),
        runtime.settings,
        runtime.clock,
        worker_id="w",
    )


async def test_a_published_article_reaches_the_audiences_inbox_and_console(
    scene: Scene, caplog: pytest.LogCaptureFixture
) -> None:
    reader = await scene.member(scene.world.branch_a1)
    outsider = await scene.member(scene.world.joint_b)
    article_id = await scene.published(scene.world.street_a, title="学习贯彻全会精神")
    with caplog.at_level(logging.INFO, logger="app.notify.console"):
        await worker(scene).tick()
    inbox = await scene.client.get("/api/v1/me/inbox", headers=reader.headers)
    assert [item["title"] for item in inbox.json()["items"]] == ["学习贯彻全会精神"]
    assert inbox.json()["items"][0]["page"].endswith(f"id={article_id}")
    nothing = await scene.client.get("/api/v1/me/inbox", headers=outsider.headers)
    assert nothing.json()["items"] == []
    console = [r.getMessage() for r in caplog.records if r.name == "app.notify.console"]
    assert any(reader.member.name in line and "学习贯彻全会精神" in line for line in console)
    assert not any(outsider.member.name in line for line in console)


async def test_the_worker_publishes_a_scheduled_article_when_it_falls_due(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    article_id = await scene.write(scene.world.street_a, title="定时发布的通知")
    scheduled = await scene.publish(article_id, publish_at=(T0 + timedelta(hours=1)).isoformat())
    assert scheduled.status_code == 200
    assert scheduled.json()["status"] == "scheduled"
    await worker(scene).tick()
    assert await scene.feed_ids(reader) == []
    assert await scene.count(InboxMessage) == 0
    scene.clock.advance(hours=1)
    await worker(scene).tick()
    assert await scene.feed_ids(reader) == [article_id]
    inbox = await scene.client.get("/api/v1/me/inbox", headers=reader.headers)
    assert [item["title"] for item in inbox.json()["items"]] == ["定时发布的通知"]


async def test_retracting_calls_off_the_pushes_not_yet_sent(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    article_id = await scene.published(scene.world.street_a, title="发错的通知")
    retracted = await scene.client.post(
        f"/api/v1/news/articles/{article_id}/retract", headers=scene.instructor.headers
    )
    assert retracted.status_code == 200, retracted.text
    assert await worker(scene).tick() == 0
    inbox = await scene.client.get("/api/v1/me/inbox", headers=reader.headers)
    assert inbox.json()["items"] == []
    async with scene.app.state.runtime.sessionmaker() as session:
        statuses = set(await session.scalars(select(Delivery.status)))
    assert statuses == {DeliveryStatus.SKIPPED}
