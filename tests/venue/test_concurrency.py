"""Two first checks of one item at the same moment: both are answered, one row holds the
latest; uploads racing for the last free place of an item leave at most nine photos."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from app.models import Role, VenueCheck, VenuePhoto
from tests.factories import Factory, build_world
from tests.venue.test_checklist import PNG

pytestmark = pytest.mark.postgres_only
V1 = "/api/v1"


async def test_racing_first_checks_leave_one_row(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    url = f"{V1}/orgs/{world.branch_a1.id}/venue/items/site"
    answers = await asyncio.gather(
        *(client.put(url, json={"met": n % 2 == 0}, headers=admin.headers) for n in range(6))
    )
    assert [a.status_code for a in answers] == [200] * 6
    async with factory.runtime.sessionmaker() as session:
        rows = (await session.scalars(select(VenueCheck))).all()
    assert len(rows) == 1


async def test_racing_uploads_keep_the_limit(client: httpx.AsyncClient, factory: Factory) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    url = f"{V1}/orgs/{world.branch_a1.id}/venue/items/site/photos"
    for _ in range(7):
        added = await client.post(
            url, files={"file": ("a.png", PNG, "image/png")}, headers=admin.headers
        )
        assert added.status_code == 201
    answers = await asyncio.gather(
        *(
            client.post(url, files={"file": ("a.png", PNG, "image/png")}, headers=admin.headers)
            for _ in range(5)
        )
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 201, 409, 409, 409], [a.text for a in answers]
    async with factory.runtime.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(VenuePhoto))
    assert count == 9
