"""A plain member reads their own branch and workplace, and no other organization."""

from __future__ import annotations

import httpx

from app.models import Role
from tests.factories import Factory, build_world

ORGS = "/api/v1/orgs"


async def test_a_member_reads_their_own_branch_and_workplace_but_no_sibling(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    member = await factory.member(world.branch_a1, world.social_a1, name="张党员")
    headers = factory.headers_for(await factory.account(member))

    branch = await client.get(f"{ORGS}/{world.branch_a1.id}", headers=headers)
    assert branch.status_code == 200, branch.text
    assert (branch.json()["id"], branch.json()["name"], branch.json()["kind"]) == (
        world.branch_a1.id,
        "甲一支部",
        "branch",
    )
    workplace = await client.get(f"{ORGS}/{world.social_a1.id}", headers=headers)
    assert workplace.status_code == 200, workplace.text
    assert workplace.json()["name"] == "甲一协会"

    for other in (world.branch_a2, world.social_a2, world.street_a, world.joint_b):
        refused = await client.get(f"{ORGS}/{other.id}", headers=headers)
        assert refused.status_code == 403, (other.name, refused.text)
        assert refused.json()["error"]["code"] == "auth.forbidden"
    # The rest of the organization routes stay closed to a plain member.
    listed = await client.get(ORGS, headers=headers)
    assert listed.status_code == 403
    assert listed.json()["error"]["code"] == "auth.forbidden"


async def test_a_secretary_reads_their_own_branch_and_not_a_sibling(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)

    own = await client.get(f"{ORGS}/{world.branch_a1.id}", headers=secretary.headers)
    assert own.status_code == 200, own.text
    sibling = await client.get(f"{ORGS}/{world.branch_a2.id}", headers=secretary.headers)
    assert sibling.status_code == 404
    assert sibling.json()["error"]["code"] == "org.not_found"


async def test_a_departed_member_no_longer_reads_the_branch(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    member = await factory.member(world.branch_a1)
    headers = factory.headers_for(await factory.account(member))
    assert (await client.get(f"{ORGS}/{world.branch_a1.id}", headers=headers)).status_code == 200

    departed = await client.post(
        f"/api/v1/members/{member.id}/departure",
        json={"reason": "moved_away", "left_on": "2025-01-02"},
        headers=admin.headers,
    )
    assert departed.status_code == 200, departed.text
    refused = await client.get(f"{ORGS}/{world.branch_a1.id}", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "auth.forbidden"
