"""The organization tree: the closure table, depths and scopes stay right through moves."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.models import Organization, OrgKind, Role
from app.models.orgs import ALLOWED_PARENTS
from tests.factories import Actor, Factory, build_world, unique_credit_code
from tests.orgs.helpers import (
    assert_tree_consistent,
    closure_rows,
    depths,
    error_code,
    load_org,
    org_body,
    parents,
)

ORGS = "/api/v1/orgs"


async def create(
    client: httpx.AsyncClient, actor: Actor, kind: str, name: str, parent_id: int | None
) -> int:
    extra: dict[str, Any] = {}
    if kind == "social_org":
        extra = {"social_org_type": "social_group", "credit_code": unique_credit_code()}
    response = await client.post(
        ORGS, json=org_body(kind, name, parent_id, **extra), headers=actor.headers
    )
    assert response.status_code == 201, response.text
    org_id: int = response.json()["id"]
    return org_id


async def org(app: FastAPI, org_id: int) -> Organization:
    row = await load_org(app, org_id)
    assert row is not None
    return row


def node_names(node: dict[str, Any]) -> dict[str, Any]:
    """A tree node as {name: {child name: ...}}, to compare shapes at a glance."""
    return {child["name"]: node_names(child) for child in node["children"]}


async def test_moving_a_branch_moves_its_subtree_depths_and_scope(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    city = await factory.org(OrgKind.COMMITTEE, "市委")
    city_admin = await factory.actor(Role.COMMITTEE_ADMIN, city)

    east = await create(client, city_admin, "committee", "东街道工委", city.id)
    west = await create(client, city_admin, "committee", "西街道工委", city.id)
    west_area = await create(client, city_admin, "committee", "西街道片区党委", west)
    branch = await create(client, city_admin, "branch", "东一支部", east)
    social_1 = await create(client, city_admin, "social_org", "东一协会", branch)
    social_2 = await create(client, city_admin, "social_org", "东一基金会", branch)
    await assert_tree_consistent(app)
    assert (await depths(app))[social_1] == 3

    member = await factory.member(await org(app, branch), name="随支部迁移的党员")
    east_admin = await factory.actor(Role.COMMITTEE_ADMIN, await org(app, east))
    west_admin = await factory.actor(Role.COMMITTEE_ADMIN, await org(app, west))
    for org_id in (branch, social_1, social_2):
        assert (await client.get(f"{ORGS}/{org_id}", headers=east_admin.headers)).status_code == 200
        assert (await client.get(f"{ORGS}/{org_id}", headers=west_admin.headers)).status_code == 404

    moved = await client.patch(
        f"{ORGS}/{branch}", json={"parent_id": west_area}, headers=city_admin.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["parent_id"] == west_area
    assert moved.json()["depth"] == 3
    await assert_tree_consistent(app)
    assert {
        org_id: depth
        for org_id, depth in (await depths(app)).items()
        if org_id in (social_1, social_2)
    } == {
        social_1: 4,
        social_2: 4,
    }
    assert (await parents(app))[social_1] == branch  # children keep their parent

    for org_id in (branch, social_1, social_2):
        old = await client.get(f"{ORGS}/{org_id}", headers=east_admin.headers)
        assert old.status_code == 404
        assert error_code(old) == "org.not_found"
        new = await client.get(f"{ORGS}/{org_id}", headers=west_admin.headers)
        assert new.status_code == 200
    assert (await client.get(f"{ORGS}/{social_1}", headers=west_admin.headers)).json()["depth"] == 4

    # The members held by the moved branch follow it.
    assert (
        await client.get(f"/api/v1/members/{member.id}", headers=east_admin.headers)
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/members/{member.id}", headers=west_admin.headers)
    ).status_code == 200

    # The old street admin may no longer change it; the new one may move it back up a level.
    refused = await client.patch(
        f"{ORGS}/{branch}", json={"name": "抢回"}, headers=east_admin.headers
    )
    assert refused.status_code == 404
    back = await client.patch(
        f"{ORGS}/{branch}", json={"parent_id": west}, headers=west_admin.headers
    )
    assert back.status_code == 200, back.text
    assert back.json()["depth"] == 2
    await assert_tree_consistent(app)


async def test_a_committee_admin_cannot_move_into_or_out_of_their_scope(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    before = await closure_rows(app)

    out = await client.patch(
        f"{ORGS}/{world.branch_a1.id}", json={"parent_id": world.street_b.id}, headers=admin.headers
    )
    assert out.status_code == 404
    assert error_code(out) == "org.not_found"
    into = await client.patch(
        f"{ORGS}/{world.joint_b.id}", json={"parent_id": world.street_a.id}, headers=admin.headers
    )
    assert into.status_code == 404
    assert await closure_rows(app) == before
    assert (await parents(app))[world.branch_a1.id] == world.street_a.id


async def test_moving_under_its_own_descendant_is_a_cycle(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    area = await factory.org(OrgKind.COMMITTEE, "甲片区党委", world.street_a)
    system = await factory.actor(Role.SYSTEM_ADMIN, None)
    before = (await closure_rows(app), await parents(app), await depths(app))

    for node, new_parent in (
        (world.street_a, area),  # a child
        (world.city, area),  # a grandchild
        (world.street_a, world.street_a),  # itself
    ):
        response = await client.patch(
            f"{ORGS}/{node.id}",
            json={"parent_id": new_parent.id, "name": "不应生效"},
            headers=system.headers,
        )
        assert response.status_code == 422, response.text
        assert error_code(response) == "org.cycle"
        assert response.json()["error"]["message"] == "不能移动到自己的下级组织之下"

    assert (await closure_rows(app), await parents(app), await depths(app)) == before
    row = await load_org(app, world.street_a.id)
    assert row is not None
    assert row.name == "甲街道工委"


async def test_invalid_parent_kinds_are_refused(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    system = await factory.actor(Role.SYSTEM_ADMIN, None)
    general = await factory.org(OrgKind.GENERAL_BRANCH, "甲总支", world.street_a)
    before = (await closure_rows(app), await parents(app))
    social = {"social_org_type": "foundation", "credit_code": unique_credit_code()}

    cases = [
        (admin, org_body("branch", "社会组织下的支部", world.social_a1.id)),
        (admin, org_body("general_branch", "支部下的总支", world.branch_a1.id)),
        (admin, org_body("general_branch", "总支下的总支", general.id)),
        (admin, org_body("committee", "支部下的党委", world.branch_a1.id)),
        (admin, org_body("social_org", "社会组织下的社会组织", world.social_a1.id, **social)),
        (system, org_body("social_org", "无上级的社会组织", None, **social)),
        (system, org_body("branch", "无上级的支部", None)),
    ]
    for actor, body in cases:
        response = await client.post(ORGS, json=body, headers=actor.headers)
        assert response.status_code == 422, (body, response.text)
        assert error_code(response) == "org.invalid_parent"
        assert response.json()["error"]["details"]["kind"] == body["kind"]

    moves = [
        (world.branch_a2, world.social_a1),  # a branch under a social org
        (general, world.branch_a1),  # a general branch under a branch
        (world.social_a2, world.social_a1),  # a social org under a social org
    ]
    for node, new_parent in moves:
        response = await client.patch(
            f"{ORGS}/{node.id}", json={"parent_id": new_parent.id}, headers=admin.headers
        )
        assert response.status_code == 422, response.text
        assert error_code(response) == "org.invalid_parent"

    assert (await closure_rows(app), await parents(app)) == before


async def test_tree_is_nested_and_limited_to_scope(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    street_admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)

    tree = await client.get(f"{ORGS}/tree", headers=street_admin.headers)
    assert tree.status_code == 200, tree.text
    roots = tree.json()["roots"]
    assert [root["id"] for root in roots] == [world.street_a.id]
    assert roots[0]["parent_id"] == world.city.id
    assert roots[0]["kind"] == "committee"
    assert node_names(roots[0]) == {"甲一支部": {"甲一协会": {}}, "甲二支部": {"甲二基金会": {}}}

    sibling = await client.get(
        f"{ORGS}/tree", params={"root_id": world.street_b.id}, headers=street_admin.headers
    )
    assert sibling.status_code == 404
    assert error_code(sibling) == "org.not_found"
    above = await client.get(
        f"{ORGS}/tree", params={"root_id": world.city.id}, headers=street_admin.headers
    )
    assert above.status_code == 404

    one_branch = await client.get(
        f"{ORGS}/tree", params={"root_id": world.branch_a2.id}, headers=street_admin.headers
    )
    assert one_branch.status_code == 200
    assert [root["name"] for root in one_branch.json()["roots"]] == ["甲二支部"]
    assert node_names(one_branch.json()["roots"][0]) == {"甲二基金会": {}}

    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    own = await client.get(f"{ORGS}/tree", headers=secretary.headers)
    assert [root["name"] for root in own.json()["roots"]] == ["甲一支部"]
    assert node_names(own.json()["roots"][0]) == {"甲一协会": {}}

    system = await factory.actor(Role.SYSTEM_ADMIN, None)
    whole = await client.get(f"{ORGS}/tree", headers=system.headers)
    assert [root["name"] for root in whole.json()["roots"]] == ["市社会组织综合党委"]
    assert node_names(whole.json()["roots"][0]) == {
        "甲街道工委": {"甲一支部": {"甲一协会": {}}, "甲二支部": {"甲二基金会": {}}},
        "乙街道工委": {"乙联合支部": {"乙服务中心": {}}},
    }


async def test_tree_of_a_caller_holding_two_overlapping_roles(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    caller = await factory.actor(Role.SECRETARY, world.branch_a1)
    await factory.grant(caller.member, Role.COMMITTEE_ADMIN, world.street_a)
    await factory.grant(caller.member, Role.INSTRUCTOR, world.joint_b)

    tree = await client.get(f"{ORGS}/tree", headers=caller.headers)
    assert tree.status_code == 200
    roots = tree.json()["roots"]
    assert sorted(root["name"] for root in roots) == ["乙联合支部", "甲街道工委"]
    flat: list[int] = []

    def walk(node: dict[str, Any]) -> None:
        flat.append(node["id"])
        for child in node["children"]:
            walk(child)

    for root in roots:
        walk(root)
    assert len(flat) == len(set(flat)) == 7  # every node once


# --- a property: the closure table always equals what parent_id says ---------------------

KINDS = [
    OrgKind.COMMITTEE,
    OrgKind.GENERAL_BRANCH,
    OrgKind.BRANCH,
    OrgKind.JOINT_BRANCH,
    OrgKind.SOCIAL_ORG,
]


def is_descendant(parent_of: dict[int, int | None], node: int, ancestor: int) -> bool:
    current: int | None = node
    while current is not None:
        if current == ancestor:
            return True
        current = parent_of[current]
    return False


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_closure_table_matches_parent_links_after_random_creates_and_moves(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, seed: int
) -> None:
    rng = random.Random(seed)
    system = await factory.actor(Role.SYSTEM_ADMIN, None)
    kind_of: dict[int, OrgKind] = {}
    parent_of: dict[int, int | None] = {}
    moved = 0

    for step in range(40):
        if len(kind_of) < 3 or rng.random() < 0.5:
            kind = rng.choice(KINDS)
            parent = rng.choice([None, *kind_of])
            extra: dict[str, Any] = {}
            if kind is OrgKind.SOCIAL_ORG:
                extra = {"social_org_type": "social_group", "credit_code": unique_credit_code()}
            response = await client.post(
                ORGS,
                json=org_body(kind.value, f"节点{step}", parent, **extra),
                headers=system.headers,
            )
            allowed = (kind_of[parent] if parent is not None else None) in ALLOWED_PARENTS[kind]
            if allowed:
                assert response.status_code == 201, response.text
                kind_of[response.json()["id"]] = kind
                parent_of[response.json()["id"]] = parent
            else:
                assert response.status_code == 422
                assert error_code(response) == "org.invalid_parent"
        else:
            node = rng.choice(list(kind_of))
            new_parent = rng.choice(list(kind_of))
            response = await client.patch(
                f"{ORGS}/{node}", json={"parent_id": new_parent}, headers=system.headers
            )
            if new_parent == parent_of[node]:
                assert response.status_code == 200  # not a move: nothing to do
            elif kind_of[new_parent] not in ALLOWED_PARENTS[kind_of[node]]:
                assert response.status_code == 422
                assert error_code(response) == "org.invalid_parent"
            elif is_descendant(parent_of, new_parent, node):
                assert response.status_code == 422
                assert error_code(response) == "org.cycle"
            else:
                assert response.status_code == 200, response.text
                parent_of[node] = new_parent
                moved += 1
        if step % 10 == 9:
            assert await parents(app) == parent_of
            await assert_tree_consistent(app)

    assert moved > 0
    assert await parents(app) == parent_of
    await assert_tree_consistent(app)
    # And scope reads agree: each root's tree holds exactly its Python-computed subtree.
    for root in (node for node, parent in parent_of.items() if parent is None):
        tree = await client.get(f"{ORGS}/tree", params={"root_id": root}, headers=system.headers)
        found: set[int] = set()
        stack = list(tree.json()["roots"])
        while stack:
            node_json = stack.pop()
            found.add(node_json["id"])
            stack.extend(node_json["children"])
        assert found == {node for node in parent_of if is_descendant(parent_of, node, root)}
