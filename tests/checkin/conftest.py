"""Check-in fixtures: a frozen clock at a 30-second step edge, a branch with a secretary,
and helpers that drive the API and read committed rows in short sessions of their own."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.config import Settings
from app.kit.clock import FrozenClock
from app.models import Activity, Attendance, Organization, Role
from tests.factories import Actor, Factory, World, build_world

# 2025-06-01 02:00:00 UTC: a whole minute, so a multiple of the 30-second step.
T0 = datetime(2025, 6, 1, 2, 0, 0, tzinfo=UTC)
STEP = 30
VENUE_LAT = 32.06
VENUE_LON = 118.78
RADIUS_M = 200
STARTS_AT = T0 + timedelta(minutes=10)
ENDS_AT = STARTS_AT + timedelta(hours=2)


@pytest.fixture
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Check-in tests fire many attempts for one member: the per-member limit is raised
    here and lowered again where the limit itself is under test (``rate_limited``), through
    ``@pytest.mark.parametrize("settings", [{...}], indirect=True)``."""
    settings.rate_limit_checkin = "100000/minute"
    for name, value in getattr(request, "param", {}).items():
        setattr(settings, name, value)
    return settings


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def new_nonce() -> str:
    return uuid.uuid4().hex


@dataclass
class Scene:
    client: httpx.AsyncClient
    app: FastAPI
    factory: Factory
    clock: FrozenClock
    world: World
    secretary: Actor

    @property
    def branch(self) -> Organization:
        return self.world.branch_a1

    async def member(self, relation: Organization | None = None, **fields: Any) -> Actor:
        """A signed-in plain member whose relation is ``relation`` (the branch by default)."""
        member = await self.factory.member(relation=relation or self.branch, **fields)
        account = await self.factory.account(member)
        return Actor(member=member, account=account, headers=self.factory.headers_for(account))

    async def members(self, count: int) -> list[Actor]:
        return [await self.member() for _ in range(count)]

    async def meeting(
        self, *, publish: bool = True, by: Actor | None = None, **fields: Any
    ) -> dict[str, Any]:
        """A meeting of the branch with a 200-m geofence, from T0+10 min for two hours;
        ``fields`` override the body (a value of None drops the field)."""
        body: dict[str, Any] = {
            "org_id": self.branch.id,
            "type": "branch_general_meeting",
            "title": "支部党员大会",
            "starts_at": STARTS_AT.isoformat(),
            "ends_at": ENDS_AT.isoformat(),
            "venue_name": "党群服务中心",
            "venue_latitude": VENUE_LAT,
            "venue_longitude": VENUE_LON,
            "geofence_radius_m": RADIUS_M,
        }
        body.update(fields)
        body = {k: v for k, v in body.items() if v is not None}
        headers = (by or self.secretary).headers
        created = await self.client.post("/api/v1/activities", json=body, headers=headers)
        assert created.status_code == 201, created.text
        activity: dict[str, Any] = created.json()
        if publish:
            published = await self.client.post(
                f"/api/v1/activities/{activity['id']}/publish", headers=headers
            )
            assert published.status_code == 200, published.text
            activity = published.json()
        return activity

    async def code(self, activity_id: int) -> dict[str, Any]:
        response = await self.client.get(
            f"/api/v1/activities/{activity_id}/checkin-code", headers=self.secretary.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def check_in(
        self, actor: Actor, activity_id: int, *, nonce: str | None = None, **body: Any
    ) -> httpx.Response:
        payload = {"client_nonce": nonce or new_nonce(), **body}
        return await self.client.post(
            f"/api/v1/activities/{activity_id}/check-ins", json=payload, headers=actor.headers
        )

    async def check_out(self, actor: Actor, activity_id: int) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/activities/{activity_id}/check-out", headers=actor.headers
        )

    async def secret(self, activity_id: int) -> bytes:
        async with self.app.state.runtime.sessionmaker() as session:
            secret = await session.scalar(
                select(Activity.checkin_secret).where(Activity.id == activity_id)
            )
        assert secret is not None
        return bytes(secret)

    async def attendances(self, activity_id: int | None = None) -> Sequence[Attendance]:
        query = select(Attendance).order_by(Attendance.id)
        if activity_id is not None:
            query = query.where(Attendance.activity_id == activity_id)
        async with self.app.state.runtime.sessionmaker() as session:
            return (await session.scalars(query)).all()

    def at(self, when: datetime) -> None:
        self.clock.at = when


@pytest.fixture
async def scene(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory, clock: FrozenClock
) -> Scene:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    return Scene(
        client=client, app=app, factory=factory, clock=clock, world=world, secretary=secretary
    )
