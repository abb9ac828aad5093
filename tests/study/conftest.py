"""Study fixtures: build_world with a frozen clock (10:00 in Beijing), a secretary of branch
A1 who manages study there, and helpers that drive the API and read committed rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.kit.clock import FrozenClock
from app.models import Organization, PointEntry, Role, StudyDaily, StudyProgress
from tests.factories import Actor, Factory, World, build_world

T0 = datetime(2025, 6, 1, 2, 0, 0, tzinfo=UTC)  # 10:00 in Beijing
MATERIALS = "/api/v1/study/materials"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """Uploads go to the test's own folder."""
    return settings.model_copy(update={"storage_dir": str(tmp_path / "uploads")})


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def article(org: Organization, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "article",
        "org_id": org.id,
        "title": "学习党章第一章",
        "category": "党章党规",
        "body": "<p>第一章 党员</p><script>alert(1)</script>",
        "length_seconds": 600,
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


@dataclass
class Scene:
    client: httpx.AsyncClient
    app: FastAPI
    factory: Factory
    clock: FrozenClock
    world: World
    manager: Actor  # secretary of branch A1

    def sessions(self) -> async_sessionmaker[AsyncSession]:
        maker: async_sessionmaker[AsyncSession] = self.app.state.runtime.sessionmaker
        return maker

    async def member(self, relation: Organization | None = None, **fields: Any) -> Actor:
        member = await self.factory.member(relation=relation or self.world.branch_a1, **fields)
        account = await self.factory.account(member)
        return Actor(member=member, account=account, headers=self.factory.headers_for(account))

    async def material(
        self, *, publish: bool = True, by: Actor | None = None, **fields: Any
    ) -> dict[str, Any]:
        headers = (by or self.manager).headers
        body = article(fields.pop("org", self.world.branch_a1), **fields)
        created = await self.client.post(MATERIALS, json=body, headers=headers)
        assert created.status_code == 201, created.text
        material: dict[str, Any] = created.json()
        if publish:
            published = await self.client.post(
                f"{MATERIALS}/{material['id']}/publish", headers=headers
            )
            assert published.status_code == 200, published.text
            material = published.json()
        return material

    async def beat(
        self, actor: Actor, material_id: int, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        return await self.client.post(
            f"{MATERIALS}/{material_id}/heartbeats", json=body, headers=actor.headers
        )

    async def beats(self, actor: Actor, material_id: int, *, count: int, every: float) -> Any:
        """``count`` beats ``every`` seconds apart; the last answer's body."""
        answer: Any = None
        for i in range(count):
            if i:
                self.clock.advance(seconds=every)
            response = await self.beat(actor, material_id)
            assert response.status_code == 200, response.text
            answer = response.json()
        return answer

    async def progress(self, actor: Actor, material_id: int) -> StudyProgress | None:
        async with self.sessions()() as session:
            return await session.get(StudyProgress, (actor.member.id, material_id))

    async def points(self, actor: Actor) -> Sequence[PointEntry]:
        async with self.sessions()() as session:
            query = (
                select(PointEntry)
                .where(PointEntry.member_id == actor.member.id)
                .order_by(PointEntry.id)
            )
            return (await session.scalars(query)).all()

    async def daily(self, actor: Actor) -> Sequence[StudyDaily]:
        async with self.sessions()() as session:
            query = (
                select(StudyDaily)
                .where(StudyDaily.member_id == actor.member.id)
                .order_by(StudyDaily.day, StudyDaily.material_id)
            )
            return (await session.scalars(query)).all()


@pytest.fixture
async def scene(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory, clock: FrozenClock
) -> Scene:
    world = await build_world(factory)
    manager = await factory.actor(Role.SECRETARY, world.branch_a1)
    return Scene(client=client, app=app, factory=factory, clock=clock, world=world, manager=manager)
