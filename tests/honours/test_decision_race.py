"""Two decisions of one nomination at the same moment (two committee admins, approve and
reject): one is taken, the other answers 409, and the row holds the one taken."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from app.models import Nomination, Role
from tests.factories import Factory, build_world

pytestmark = pytest.mark.postgres_only
V1 = "/api/v1/honours/nominations"


@pytest.mark.parametrize("round_", range(5))
async def test_two_decisions_at_once_leave_one(
    client: httpx.AsyncClient, factory: Factory, round_: int
) -> None:
    world = await build_world(factory)
    street = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    city = await factory.actor(Role.COMMITTEE_ADMIN, world.city)
    created = await client.post(
        V1,
        json={
            "kind": "double_strong_branch",
            "year": 2026,
            "org_id": world.branch_a1.id,
            "reason": f"第{round_}轮",
        },
        headers=street.headers,
    )
    assert created.status_code == 201, created.text
    nomination_id = created.json()["id"]

    answers = await asyncio.gather(
        *(
            client.post(
                f"{V1}/{nomination_id}/decision",
                json={"decision": decision, "reason": f"{decision}的理由"},
                headers=actor.headers,
            )
            for actor, decision in ((street, "approved"), (city, "rejected"))
        )
    )

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    (winner,) = [a for a in answers if a.status_code == 200]
    (loser,) = [a for a in answers if a.status_code == 409]
    assert loser.json()["error"]["code"] == "honours.already_decided"
    assert loser.json()["error"]["details"]["status"] == winner.json()["status"]
    async with factory.runtime.sessionmaker() as session:
        row = await session.scalar(select(Nomination).where(Nomination.id == nomination_id))
    assert row is not None
    assert row.status.value == winner.json()["status"]
    assert row.decision_reason == f"{row.status.value}的理由"
    assert row.decided_by_account_id == winner.json()["decided_by"]["account_id"]


async def test_two_nominations_at_once_leave_one(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    street = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    body = {
        "kind": "double_strong_branch",
        "year": 2026,
        "org_id": world.branch_a1.id,
        "reason": "同时推荐",
    }
    answers = await asyncio.gather(
        *(client.post(V1, json=body, headers=actor.headers) for actor in (street, secretary))
    )
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    (loser,) = [a for a in answers if a.status_code == 409]
    assert loser.json()["error"]["code"] == "honours.already_nominated"
    async with factory.runtime.sessionmaker() as session:
        rows = (await session.scalars(select(Nomination))).all()
    assert len(rows) == 1
