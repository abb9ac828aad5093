"""News fixtures: build_world with a frozen clock, authors on both streets, members placed
in and out of the usual audience, and helpers that drive the API and count committed rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.config import Settings
from app.kit.clock import FrozenClock
from app.models import Delivery, Notification, Organization, PartyStatus, Role
from tests.factories import Actor, Factory, World, build_world

T0 = datetime(2025, 6, 1, 2, 0, 0, tzinfo=UTC)
ARTICLES = "/api/v1/news/articles"
FEED = "/api/v1/news/feed"


@pytest.fixture
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Overridden per test with ``@pytest.mark.parametrize("settings", [{...}], indirect=True)``."""
    for name, value in getattr(request, "param", {}).items():
        setattr(settings, name, value)
    return settings


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def article_body(*orgs: Organization, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "学习贯彻党的二十届三中全会精神",
        "summary": "全会精神要点解读",
        "body": "## 要点\n\n一、**全面深化改革**。",
        "category": "policy",
        "audience_org_ids": [o.id for o in orgs],
    }
    body.update(fields)
    return body


@dataclass
class Scene:
    client: httpx.AsyncClient
    app: FastAPI
    factory: Factory
    clock: FrozenClock
    world: World
    instructor: Actor  # of street_a
    admin: Actor  # committee admin of the city

    async def member(
        self,
        relation: Organization | None = None,
        workplace: Organization | None = None,
        status: PartyStatus = PartyStatus.FULL_MEMBER,
    ) -> Actor:
        member = await self.factory.member(relation, workplace, party_status=status)
        account = await self.factory.account(member)
        return Actor(member=member, account=account, headers=self.factory.headers_for(account))

    async def write(self, *orgs: Organization, by: Actor | None = None, **fields: Any) -> int:
        response = await self.client.post(
            ARTICLES,
            json=article_body(*(orgs or (self.world.street_a,)), **fields),
            headers=(by or self.instructor).headers,
        )
        assert response.status_code == 201, response.text
        article_id: int = response.json()["id"]
        return article_id

    async def publish(
        self, article_id: int, by: Actor | None = None, **body: Any
    ) -> httpx.Response:
        return await self.client.post(
            f"{ARTICLES}/{article_id}/publish",
            json=body or None,
            headers=(by or self.instructor).headers,
        )

    async def published(self, *orgs: Organization, by: Actor | None = None, **fields: Any) -> int:
        article_id = await self.write(*orgs, by=by, **fields)
        response = await self.publish(article_id, by=by)
        assert response.status_code == 200, response.text
        return article_id

    async def feed_ids(self, actor: Actor, **params: Any) -> list[int]:
        response = await self.client.get(FEED, params=params, headers=actor.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    async def count(self, model: Any, *where: Any) -> int:
        async with self.app.state.runtime.sessionmaker() as session:
            found = await session.scalar(select(func.count()).select_from(model).where(*where))
        return int(found or 0)

    async def pushed_to(self, article_id: int) -> set[int]:
        """Members with a delivery of the article's push."""
        async with self.app.state.runtime.sessionmaker() as session:
            rows = await session.scalars(
                select(Delivery.member_id)
                .join(Notification, Notification.id == Delivery.notification_id)
                .where(Notification.source == f"article:{article_id}:published")
            )
            return {m for m in rows if m is not None}


@pytest.fixture
async def scene(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory, clock: FrozenClock
) -> Scene:
    world = await build_world(factory)
    instructor = await factory.actor(Role.INSTRUCTOR, world.street_a)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.city)
    return Scene(client, app, factory, clock, world, instructor, admin)
