"""Publishing: the push to the audience in the same transaction, scheduling through
publish_due on a frozen clock, and the organization's daily bulk cap."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.kit.time import DISPLAY_ZONE as BEIJING
from app.models import ArticleStatus, Delivery, NewsArticle, NewsAudience, Notification
from app.news.service import publish_due
from tests.news.conftest import ARTICLES, Scene, error_code

CAP_ONE = pytest.mark.parametrize("settings", [{"notify_org_daily_bulk_cap": 1}], indirect=True)


async def run_publish_due(scene: Scene) -> int:
    runtime = scene.app.state.runtime
    async with runtime.sessionmaker() as session, session.begin():
        return await publish_due(session, runtime.settings, scene.clock.now())


async def test_publishing_pushes_to_the_audience(scene: Scene) -> None:
    w = scene.world
    readers = [await scene.member(w.branch_a1), await scene.member(w.branch_a2)]
    outsider = await scene.member(w.joint_b)
    article_id = await scene.published(w.street_a, summary="一句话摘要")
    async with scene.app.state.runtime.sessionmaker() as session:
        notification = (await session.scalars(select(Notification))).one()
        deliveries = (await session.scalars(select(Delivery))).all()
    assert notification.source == f"article:{article_id}:published"
    assert notification.kind.value == "news_published"
    assert notification.org_id == w.street_a.id
    assert notification.body == "一句话摘要"
    assert notification.page == f"pages/news/detail?id={article_id}"
    assert {d.member_id for d in deliveries} == {r.member.id for r in readers}
    assert outsider.member.id not in {d.member_id for d in deliveries}
    # One per member and channel (inbox and console in tests), nothing per article.
    assert len(deliveries) == 2 * len(readers)


async def test_a_scheduled_article_is_published_when_due(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    article_id = await scene.write(scene.world.branch_a1)
    at = scene.clock.now() + timedelta(hours=1)
    response = await scene.publish(article_id, publish_at=at.isoformat())
    assert response.json()["status"] == "scheduled"
    assert response.json()["publish_at"] == at.astimezone(BEIJING).isoformat()

    scene.clock.advance(minutes=59)
    assert await run_publish_due(scene) == 0
    assert await scene.count(Notification) == 0
    assert await scene.feed_ids(reader) == []

    scene.clock.advance(minutes=1)
    assert await run_publish_due(scene) == 1
    assert await scene.feed_ids(reader) == [article_id]
    assert await scene.pushed_to(article_id) == {reader.member.id}
    article = (await scene.client.get(f"{ARTICLES}/{article_id}", headers=reader.headers)).json()
    assert article["status"] == "published"
    assert article["published_at"] == scene.clock.now().astimezone(BEIJING).isoformat()

    assert await run_publish_due(scene) == 0
    assert await scene.count(Notification) == 1


async def test_publish_due_pushes_once_even_if_an_article_is_claimed_twice(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    article_id = await scene.write(scene.world.branch_a1)
    await scene.publish(
        article_id, publish_at=(scene.clock.now() + timedelta(minutes=5)).isoformat()
    )
    scene.clock.advance(minutes=5)
    assert await run_publish_due(scene) == 1
    deliveries = await scene.count(Delivery)
    async with scene.app.state.runtime.sessionmaker() as session, session.begin():
        await session.execute(
            update(NewsArticle)
            .where(NewsArticle.id == article_id)
            .values(status=ArticleStatus.SCHEDULED, publish_at=scene.clock.now())
        )
    await run_publish_due(scene)
    assert await scene.count(Notification) == 1
    assert await scene.count(Delivery) == deliveries
    assert await scene.feed_ids(reader) == [article_id]


async def test_a_scheduled_article_can_be_called_off_or_moved(scene: Scene) -> None:
    first = await scene.write()
    second = await scene.write()
    soon = scene.clock.now() + timedelta(minutes=10)
    for article_id in (first, second):
        await scene.publish(article_id, publish_at=soon.isoformat())
    await scene.client.post(f"{ARTICLES}/{first}/retract", headers=scene.instructor.headers)
    later = soon + timedelta(days=1)
    moved = await scene.publish(second, publish_at=later.isoformat())
    assert moved.json()["status"] == "scheduled"
    scene.clock.advance(minutes=10)
    assert await run_publish_due(scene) == 0
    scene.clock.at = later
    assert await run_publish_due(scene) == 1


@CAP_ONE
async def test_the_daily_bulk_cap_refuses_with_409_and_writes_nothing(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    await scene.published(scene.world.branch_a1)
    notifications, deliveries = await scene.count(Notification), await scene.count(Delivery)
    second = await scene.write(scene.world.branch_a1)
    response = await scene.publish(second)
    assert response.status_code == 409
    assert error_code(response) == "notify.daily_cap_reached"
    assert await scene.count(Notification) == notifications
    assert await scene.count(Delivery) == deliveries
    async with scene.app.state.runtime.sessionmaker() as session:
        article = await session.get_one(NewsArticle, second)
        live = await session.scalar(
            select(NewsAudience.feed_at).where(NewsAudience.article_id == second).limit(1)
        )
    assert (article.status, article.published_at, live) == (ArticleStatus.DRAFT, None, None)
    assert len(await scene.feed_ids(reader)) == 1


@pytest.mark.parametrize("settings", [{"notify_org_daily_bulk_cap": 0}], indirect=True)
async def test_a_refused_publish_leaves_no_notification_rows(scene: Scene) -> None:
    await scene.member(scene.world.branch_a1)
    article_id = await scene.write(scene.world.branch_a1)
    response = await scene.publish(article_id)
    assert error_code(response) == "notify.daily_cap_reached"
    assert await scene.count(Notification) == 0
    assert await scene.count(Delivery) == 0


@CAP_ONE
async def test_a_scheduled_article_waits_while_its_org_is_capped(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    scheduled = await scene.write(scene.world.branch_a1)
    await scene.publish(
        scheduled, publish_at=(scene.clock.now() + timedelta(minutes=5)).isoformat()
    )
    await scene.published(scene.world.branch_a1)  # takes today's only slot
    scene.clock.advance(minutes=5)
    assert await run_publish_due(scene) == 0
    assert len(await scene.feed_ids(reader)) == 1
    scene.clock.advance(days=1)
    assert await run_publish_due(scene) == 1
    assert len(await scene.feed_ids(reader)) == 2


@pytest.mark.postgres_only
async def test_two_workers_never_publish_one_article_twice(scene: Scene) -> None:
    await scene.member(scene.world.branch_a1)
    for _ in range(5):
        article_id = await scene.write(scene.world.branch_a1)
        await scene.publish(
            article_id, publish_at=(scene.clock.now() + timedelta(minutes=1)).isoformat()
        )
    scene.clock.advance(minutes=1)
    counts = await asyncio.gather(*(run_publish_due(scene) for _ in range(4)))
    assert sum(counts) == 5
    assert await scene.count(Notification) == 5
