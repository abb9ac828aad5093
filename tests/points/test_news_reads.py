"""Reading news earns its points only for an effective read (issue 11.5): the reported
reading time reaches the threshold AND as long has passed on the server's clock since the
member first opened the article; a client claiming a minute in one report gets nothing."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.kit.clock import FrozenClock
from app.models import PointKind, Role
from tests.factories import Factory, build_world
from tests.news.conftest import ARTICLES
from tests.news.conftest import Scene as NewsScene
from tests.points.conftest import entries


@pytest.fixture
async def news(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory, clock: FrozenClock
) -> NewsScene:
    world = await build_world(factory)
    instructor = await factory.actor(Role.INSTRUCTOR, world.street_a)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.city)
    return NewsScene(client, app, factory, clock, world, instructor, admin)


async def report(news: NewsScene, headers: dict[str, str], article_id: int, seconds: int) -> None:
    response = await news.client.post(
        f"{ARTICLES}/{article_id}/reads", json={"seconds": seconds}, headers=headers
    )
    assert response.status_code == 200, response.text


async def test_one_big_report_earns_nothing_until_the_servers_clock_agrees(
    news: NewsScene,
) -> None:
    reader = await news.member(news.world.branch_a1)
    article_id = await news.published(news.world.branch_a1)
    opened = await news.client.get(f"{ARTICLES}/{article_id}", headers=reader.headers)
    assert opened.status_code == 200

    await report(news, reader.headers, article_id, 300)  # "five minutes", one second later
    assert await entries(news.app, reader.member.id) == []

    news.clock.advance(seconds=59)
    await report(news, reader.headers, article_id, 1)
    assert await entries(news.app, reader.member.id) == []

    news.clock.advance(seconds=1)  # a minute since the first open
    await report(news, reader.headers, article_id, 1)
    news.clock.advance(seconds=30)
    await report(news, reader.headers, article_id, 30)

    rows = await entries(news.app, reader.member.id)
    assert [(r.kind, r.source, r.points) for r in rows] == [
        (PointKind.NEWS_READ, f"article:{article_id}", 1)
    ]


async def test_time_alone_is_not_a_read(news: NewsScene) -> None:
    reader = await news.member(news.world.branch_a1)
    article_id = await news.published(news.world.branch_a1)
    await report(news, reader.headers, article_id, 10)
    news.clock.advance(hours=2)

    await report(news, reader.headers, article_id, 20)  # 30 s read in all

    assert await entries(news.app, reader.member.id) == []
