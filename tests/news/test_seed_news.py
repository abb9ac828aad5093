"""The demo seed's articles reach the demo member's feed, pinned first, and only theirs."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.config import Settings
from app.kit.clock import Clock
from app.models import NewsArticle, Notification, NotificationKind
from app.seed.demo import run_seed
from tests.news.conftest import FEED


@pytest.fixture
def clock() -> Clock:
    return Clock()  # login tokens must be valid now, not at the news tests' frozen time


async def test_the_demo_member_reads_the_seeded_news(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    assert await run_seed(settings) is True
    login = await client.post("/api/v1/auth/wechat/login", json={"code": "demo-member"})
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    response = await client.get(FEED, headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items[0]["pinned"] is True
    assert [i["category"] for i in items] == ["notice", "current_affairs", "policy", "practical"]
    async with app.state.runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(NewsArticle)) == 5
        # The seeded news is not pushed (the demo's Q&A notifies as its services do).
        pushed = select(func.count()).where(Notification.kind == NotificationKind.NEWS_PUBLISHED)
        assert await session.scalar(pushed) == 0
