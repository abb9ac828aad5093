"""The roster ledger is written by the member service itself: a new member is an addition
where they count, a relation edited by hand a removal from one roster and an addition to the
other, a departure a removal with its reason; an edit that moves nobody writes nothing."""

from __future__ import annotations

from datetime import date

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.models import Role, RosterChange
from tests.factories import Factory, build_world

MEMBERS = "/api/v1/members"


async def _ledger(app: FastAPI) -> list[tuple[int, int, str, str, str | None]]:
    async with app.state.runtime.sessionmaker() as session:
        rows = (await session.scalars(select(RosterChange).order_by(RosterChange.id))).all()
    return [(r.member_id, r.org_id, r.kind.value, r.source, r.note) for r in rows]


async def test_joining_moving_and_leaving_are_each_recorded_where_the_member_counts(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    before = await _ledger(app)  # the admin's own record: staff without an org write none

    created = await client.post(
        MEMBERS,
        headers=admin.headers,
        json={
            "name": "周新来",
            "party_status": "full_member",
            "relation_org_id": world.branch_a1.id,
            "workplace_org_id": world.social_a1.id,
        },
    )
    assert created.status_code == 201, created.text
    member_id = created.json()["id"]
    renamed = await client.patch(
        f"{MEMBERS}/{member_id}", headers=admin.headers, json={"name": "周新"}
    )
    moved = await client.patch(
        f"{MEMBERS}/{member_id}",
        headers=admin.headers,
        json={"relation_org_id": world.branch_a2.id},
    )
    left = await client.post(
        f"{MEMBERS}/{member_id}/departure",
        headers=admin.headers,
        json={"reason": "moved_away", "left_on": date.today().isoformat(), "note": "迁居外地"},
    )
    assert (renamed.status_code, moved.status_code, left.status_code) == (200, 200, 200), (
        moved.text,
        left.text,
    )

    assert (await _ledger(app))[len(before) :] == [
        (member_id, world.branch_a1.id, "joined", "member:create", None),
        (member_id, world.branch_a1.id, "transferred_out", "member:update", None),
        (member_id, world.branch_a2.id, "transferred_in", "member:update", None),
        (member_id, world.branch_a2.id, "moved_away", "member:depart", "迁居外地"),
    ]
    async with app.state.runtime.sessionmaker() as session:
        recorders = set(
            await session.scalars(
                select(RosterChange.recorded_by_account_id).where(
                    RosterChange.member_id == member_id
                )
            )
        )
    assert recorders == {admin.account.id}


async def test_a_member_without_a_relation_counts_at_their_workplace(
    app: FastAPI, factory: Factory
) -> None:
    world = await build_world(factory)
    member = await factory.member(workplace=world.social_b)
    assert (member.id, world.social_b.id, "joined", "member:create", None) in await _ledger(app)
