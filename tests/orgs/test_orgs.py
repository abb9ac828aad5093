"""Organizations: create, read, list, change and delete within the caller's scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.kit.clock import FrozenClock
from app.kit.identifiers import make_credit_code
from app.models import Organization, OrgClosure, OrgKind, Role, RoleAssignment
from tests.factories import Factory, build_world, unique_credit_code
from tests.orgs.helpers import assert_tree_consistent, error_code, load_org, org_body

ORGS = "/api/v1/orgs"


async def count_orgs(app: FastAPI) -> int:
    async with app.state.runtime.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Organization)) or 0)


def social_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "social_org_type": "social_group",
        "credit_code": unique_credit_code(),
        **overrides,
    }


async def test_committee_admin_creates_each_kind_under_a_parent_in_scope(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)

    committee = await client.post(
        ORGS,
        json=org_body("committee", "  甲街道第一片区党委 ", world.street_a.id),
        headers=admin.headers,
    )
    assert committee.status_code == 201, committee.text
    body = committee.json()
    assert body["kind"] == "committee"
    assert body["name"] == "甲街道第一片区党委"  # surrounding spaces trimmed
    assert body["parent_id"] == world.street_a.id
    assert body["depth"] == world.street_a.depth + 1
    assert body["credit_code"] is None
    assert body["social_org_type"] is None
    assert body["created_at"]
    assert body["updated_at"]

    general = await client.post(
        ORGS,
        json=org_body("general_branch", "片区党总支", committee.json()["id"]),
        headers=admin.headers,
    )
    assert general.status_code == 201, general.text
    assert general.json()["depth"] == body["depth"] + 1

    branch = await client.post(
        ORGS, json=org_body("branch", "片区第一支部", general.json()["id"]), headers=admin.headers
    )
    assert branch.status_code == 201, branch.text
    joint = await client.post(
        ORGS,
        json=org_body("joint_branch", "片区联合支部", world.street_a.id),
        headers=admin.headers,
    )
    assert joint.status_code == 201, joint.text
    assert joint.json()["kind"] == "joint_branch"

    code = make_credit_code("51320100MJ0000017")
    social = await client.post(
        ORGS,
        json=org_body(
            "social_org",
            "片区志愿者协会",
            branch.json()["id"],
            social_org_type="social_group",
            credit_code=code,
            registration_authority="南京市民政局",
            affiliation_mode="territorial",
            rating="4A",
            staff_count=12,
        ),
        headers=admin.headers,
    )
    assert social.status_code == 201, social.text
    created = social.json()
    assert created["kind"] == "social_org"
    assert created["parent_id"] == branch.json()["id"]
    assert created["depth"] == branch.json()["depth"] + 1
    assert created["credit_code"] == code
    assert created["social_org_type"] == "social_group"
    assert created["registration_authority"] == "南京市民政局"
    assert created["affiliation_mode"] == "territorial"
    assert created["rating"] == "4A"
    assert created["staff_count"] == 12

    row = await load_org(app, created["id"])
    assert row is not None
    assert row.name == "片区志愿者协会"
    assert row.credit_code == code
    assert row.staff_count == 12
    fetched = await client.get(f"{ORGS}/{created['id']}", headers=admin.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created
    await assert_tree_consistent(app)


async def test_social_org_needs_type_and_credit_code(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    before = await count_orgs(app)

    neither = await client.post(
        ORGS, json=org_body("social_org", "无类型协会", world.branch_a1.id), headers=admin.headers
    )
    assert neither.status_code == 422
    assert error_code(neither) == "org.social_fields_required"
    assert neither.json()["error"]["details"]["fields"] == ["social_org_type", "credit_code"]
    assert neither.json()["error"]["message"] == "社会组织须填写类型和统一社会信用代码"

    no_code = await client.post(
        ORGS,
        json=org_body("social_org", "无代码协会", world.branch_a1.id, social_org_type="foundation"),
        headers=admin.headers,
    )
    assert no_code.status_code == 422
    assert no_code.json()["error"]["details"]["fields"] == ["credit_code"]
    assert await count_orgs(app) == before

    # Clearing a required field later is refused too.
    cleared = await client.patch(
        f"{ORGS}/{world.social_a1.id}", json={"credit_code": None}, headers=admin.headers
    )
    assert cleared.status_code == 422
    assert error_code(cleared) == "org.social_fields_required"
    row = await load_org(app, world.social_a1.id)
    assert row is not None
    assert row.credit_code == world.social_a1.credit_code


@pytest.mark.parametrize(
    "field",
    [
        {"credit_code": "91350100M000100Y43"},
        {"social_org_type": "foundation"},
        {"rating": "5A"},
        {"staff_count": 3},
        {"registration_authority": "民政局"},
        {"affiliation_mode": "attached"},
    ],
)
async def test_party_orgs_refuse_social_fields(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, field: dict[str, Any]
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    before = await count_orgs(app)

    created = await client.post(
        ORGS,
        json=org_body("branch", "带代码的支部", world.street_a.id, **field),
        headers=admin.headers,
    )
    assert created.status_code == 422
    assert error_code(created) == "org.social_fields_not_applicable"
    assert created.json()["error"]["details"]["fields"] == list(field)
    assert await count_orgs(app) == before

    patched = await client.patch(f"{ORGS}/{world.branch_a1.id}", json=field, headers=admin.headers)
    assert patched.status_code == 422
    assert error_code(patched) == "org.social_fields_not_applicable"
    row = await load_org(app, world.branch_a1.id)
    assert row is not None
    assert all(getattr(row, name) is None for name in field)


async def test_duplicate_credit_code_is_a_conflict(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    taken = world.social_a1.credit_code
    before = await count_orgs(app)

    duplicate = await client.post(
        ORGS,
        json=org_body(
            "social_org", "重复代码协会", world.branch_a1.id, **social_fields(credit_code=taken)
        ),
        headers=admin.headers,
    )
    assert duplicate.status_code == 409
    assert error_code(duplicate) == "org.credit_code_taken"
    assert await count_orgs(app) == before

    # Another organization's code, even one outside the caller's scope, is taken as well.
    theirs = await client.patch(
        f"{ORGS}/{world.social_a2.id}",
        json={"credit_code": world.social_b.credit_code},
        headers=admin.headers,
    )
    assert theirs.status_code == 409
    assert error_code(theirs) == "org.credit_code_taken"
    row = await load_org(app, world.social_a2.id)
    assert row is not None
    assert row.credit_code == world.social_a2.credit_code

    # Re-sending its own code is no conflict.
    own = await client.patch(
        f"{ORGS}/{world.social_a1.id}", json={"credit_code": taken}, headers=admin.headers
    )
    assert own.status_code == 200, own.text
    assert own.json()["credit_code"] == taken


async def test_lowercase_credit_code_is_stored_uppercase(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    code = "91350100M000100Y43"

    created = await client.post(
        ORGS,
        json=org_body(
            "social_org",
            "小写代码协会",
            world.branch_a1.id,
            **social_fields(credit_code=f" {code.lower()} "),
        ),
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["credit_code"] == code
    row = await load_org(app, created.json()["id"])
    assert row is not None
    assert row.credit_code == code

    # The same code in lowercase is still the same code.
    again = await client.post(
        ORGS,
        json=org_body(
            "social_org", "同码协会", world.branch_a2.id, **social_fields(credit_code=code.lower())
        ),
        headers=admin.headers,
    )
    assert again.status_code == 409
    assert error_code(again) == "org.credit_code_taken"


async def test_patch_changes_details_and_keeps_the_rest(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)

    patched = await client.patch(
        f"{ORGS}/{world.social_a1.id}",
        json={"name": "甲一志愿者协会", "rating": "3A", "staff_count": 0},
        headers=admin.headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "甲一志愿者协会"
    assert body["rating"] == "3A"
    assert body["staff_count"] == 0
    assert body["credit_code"] == world.social_a1.credit_code
    assert body["parent_id"] == world.branch_a1.id
    row = await load_org(app, world.social_a1.id)
    assert row is not None
    assert (row.name, row.rating, row.staff_count) == ("甲一志愿者协会", "3A", 0)


async def test_times_come_from_the_clock(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.city)
    created_at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    app.state.runtime.clock = clock = FrozenClock(created_at)

    created = await client.post(
        ORGS, json=org_body("branch", "新支部", world.street_a.id), headers=admin.headers
    )
    assert created.status_code == 201, created.text
    assert datetime.fromisoformat(created.json()["created_at"]) == created_at
    assert datetime.fromisoformat(created.json()["updated_at"]) == created_at

    clock.advance(days=1)
    patched = await client.patch(
        f"{ORGS}/{created.json()['id']}", json={"name": "改名支部"}, headers=admin.headers
    )
    assert datetime.fromisoformat(patched.json()["created_at"]) == created_at
    assert datetime.fromisoformat(patched.json()["updated_at"]) == clock.now()

    # A move changes the depth of the whole subtree, and so its rows' updated_at.
    clock.advance(days=1)
    moved = await client.patch(
        f"{ORGS}/{world.branch_a1.id}", json={"parent_id": world.street_b.id}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["updated_at"]) == clock.now()
    social = await load_org(app, world.social_a1.id)
    assert social is not None
    assert social.updated_at == clock.now()
    untouched = await load_org(app, world.branch_a2.id)
    assert untouched is not None
    assert untouched.updated_at == world.branch_a2.updated_at


async def test_patch_with_null_name_keeps_the_name(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)

    patched = await client.patch(
        f"{ORGS}/{world.branch_a1.id}", json={"name": None}, headers=admin.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "甲一支部"
    row = await load_org(app, world.branch_a1.id)
    assert row is not None
    assert row.name == "甲一支部"


async def test_list_filters_by_kind_parent_and_name(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    percent = await factory.org(OrgKind.BRANCH, "100%满意支部", world.street_a)
    underscore = await factory.org(OrgKind.BRANCH, "a_b支部", world.street_a)
    plain = await factory.org(OrgKind.BRANCH, "100满意支部", world.street_a)
    letter = await factory.org(OrgKind.BRANCH, "axb支部", world.street_a)

    async def ids(**params: Any) -> list[int]:
        response = await client.get(ORGS, params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        assert response.json()["next_cursor"] is None
        return [item["id"] for item in response.json()["items"]]

    everything = await ids(limit=100)
    assert world.street_a.id in everything
    assert not {world.city.id, world.street_b.id, world.joint_b.id, world.social_b.id} & set(
        everything
    )
    assert everything == sorted(everything)

    assert set(await ids(kind="social_org")) == {world.social_a1.id, world.social_a2.id}
    assert set(await ids(parent_id=world.branch_a1.id)) == {world.social_a1.id}
    assert set(await ids(parent_id=world.street_b.id)) == set()  # outside scope: nothing
    assert set(await ids(q="甲一")) == {world.branch_a1.id, world.social_a1.id}
    assert set(await ids(q="%")) == {percent.id}
    assert set(await ids(q="a_b")) == {underscore.id}
    assert set(await ids(q="%满意")) == {percent.id}
    assert set(await ids(q="满意")) == {percent.id, plain.id}
    assert set(await ids(q="支部", kind="branch", parent_id=world.street_a.id)) == {
        world.branch_a1.id,
        world.branch_a2.id,
        percent.id,
        underscore.id,
        plain.id,
        letter.id,
    }
    assert set(await ids(q="支部", kind="social_org")) == set()

    bad_kind = await client.get(ORGS, params={"kind": "party"}, headers=admin.headers)
    assert bad_kind.status_code == 422
    assert error_code(bad_kind) == "validation_failed"


async def test_cursor_pagination_walks_every_page_once(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    for n in range(4):
        await factory.org(OrgKind.BRANCH, f"加页支部{n}", world.street_a)
    admin = await factory.actor(Role.SYSTEM_ADMIN, None)

    whole = await client.get(ORGS, params={"limit": 100}, headers=admin.headers)
    expected = [item["id"] for item in whole.json()["items"]]
    assert len(expected) == 13

    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(ORGS, params=params, headers=admin.headers)
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        assert len(items) <= 2
        seen.extend(item["id"] for item in items)
        pages += 1
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert len(set(seen)) == len(seen)
    assert pages == 7

    filtered = await client.get(
        ORGS, params={"limit": 1, "kind": "social_org"}, headers=admin.headers
    )
    second = await client.get(
        ORGS,
        params={"limit": 1, "kind": "social_org", "cursor": filtered.json()["next_cursor"]},
        headers=admin.headers,
    )
    assert filtered.json()["items"][0]["id"] == world.social_a1.id
    assert second.json()["items"][0]["id"] == world.social_a2.id


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "eyJhZnRlciI6IC0xfQ",  # {"after": -1}
        "eyJhZnRlciI6IDIxNDc0ODM2NDh9",  # {"after": 2147483648}: past what an id column holds
        "eyJhZnRlciI6ICJ4In0",  # {"after": "x"}
    ],
)
async def test_bad_cursor_is_refused(
    client: httpx.AsyncClient, factory: Factory, cursor: str
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    response = await client.get(ORGS, params={"cursor": cursor}, headers=admin.headers)
    assert response.status_code == 422
    assert error_code(response) == "pagination.invalid_cursor"


@pytest.mark.parametrize("limit", [0, 101, "many"])
async def test_limit_is_bounded(
    client: httpx.AsyncClient, factory: Factory, limit: int | str
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    response = await client.get(ORGS, params={"limit": limit}, headers=admin.headers)
    assert response.status_code == 422
    assert error_code(response) == "validation_failed"
    assert response.json()["error"]["details"]["fields"][0]["loc"] == ["query", "limit"]


async def test_delete_refused_while_children_or_members_remain(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)

    with_children = await client.delete(f"{ORGS}/{world.branch_a1.id}", headers=admin.headers)
    assert with_children.status_code == 409
    assert error_code(with_children) == "org.has_children"

    await factory.member(world.branch_a2, name="留守党员")
    with_member = await client.delete(f"{ORGS}/{world.social_a2.id}", headers=admin.headers)
    assert with_member.status_code == 204  # the member is held by the branch, not the social org
    refused = await client.delete(f"{ORGS}/{world.branch_a2.id}", headers=admin.headers)
    assert refused.status_code == 409
    assert error_code(refused) == "org.has_members"
    assert await load_org(app, world.branch_a2.id) is not None

    await factory.member(world.branch_a1, world.social_a1, name="流动党员")
    workplace = await client.delete(f"{ORGS}/{world.social_a1.id}", headers=admin.headers)
    assert workplace.status_code == 409
    assert error_code(workplace) == "org.has_members"
    assert await load_org(app, world.social_a1.id) is not None
    await assert_tree_consistent(app)


async def test_delete_removes_the_org_its_closure_rows_and_roles_held_on_it(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    empty = await factory.org(OrgKind.BRANCH, "待撤销支部", world.street_a)
    holder = await factory.member(world.branch_a1)
    await factory.grant(holder, Role.INSTRUCTOR, empty)

    deleted = await client.delete(f"{ORGS}/{empty.id}", headers=admin.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""

    assert await load_org(app, empty.id) is None
    gone = await client.get(f"{ORGS}/{empty.id}", headers=admin.headers)
    assert gone.status_code == 404
    assert error_code(gone) == "org.not_found"
    async with app.state.runtime.sessionmaker() as session:
        closure = await session.scalar(
            select(func.count())
            .select_from(OrgClosure)
            .where((OrgClosure.ancestor_id == empty.id) | (OrgClosure.descendant_id == empty.id))
        )
        roles = await session.scalar(
            select(func.count())
            .select_from(RoleAssignment)
            .where(RoleAssignment.org_id == empty.id)
        )
    assert closure == 0
    assert roles == 0
    await assert_tree_consistent(app)

    again = await client.delete(f"{ORGS}/{empty.id}", headers=admin.headers)
    assert again.status_code == 404


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.INSTRUCTOR])
async def test_roles_without_orgs_write_cannot_create(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, role: Role
) -> None:
    world = await build_world(factory)
    caller = await factory.actor(role, world.branch_a1)
    before = await count_orgs(app)

    response = await client.post(
        ORGS,
        json=org_body("social_org", "越权协会", world.branch_a1.id, **social_fields()),
        headers=caller.headers,
    )
    assert response.status_code == 403
    assert error_code(response) == "auth.forbidden"
    assert response.json()["error"]["message"] == "没有权限"
    assert await count_orgs(app) == before

    for attempt in (
        client.patch(f"{ORGS}/{world.branch_a1.id}", json={"name": "改名"}, headers=caller.headers),
        client.delete(f"{ORGS}/{world.social_a1.id}", headers=caller.headers),
    ):
        refused = await attempt
        assert refused.status_code == 403
        assert error_code(refused) == "auth.forbidden"
    row = await load_org(app, world.branch_a1.id)
    assert row is not None
    assert row.name == "甲一支部"
    assert await count_orgs(app) == before

    # Reading is still allowed, within the branch.
    readable = await client.get(f"{ORGS}/{world.social_a1.id}", headers=caller.headers)
    assert readable.status_code == 200


async def test_only_a_system_admin_plants_a_root(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.city)
    before = await count_orgs(app)

    refused = await client.post(
        ORGS, json=org_body("committee", "新的综合党委", None), headers=admin.headers
    )
    assert refused.status_code == 404
    assert error_code(refused) == "org.not_found"
    omitted = await client.post(
        ORGS, json={"kind": "committee", "name": "新的综合党委"}, headers=admin.headers
    )
    assert omitted.status_code == 404
    assert await count_orgs(app) == before

    system = await factory.actor(Role.SYSTEM_ADMIN, None)
    planted = await client.post(
        ORGS, json=org_body("committee", "新的综合党委", None), headers=system.headers
    )
    assert planted.status_code == 201, planted.text
    assert planted.json()["parent_id"] is None
    assert planted.json()["depth"] == 0
    await assert_tree_consistent(app)


async def test_parents_outside_scope_are_not_found(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    before = await count_orgs(app)

    for parent in (world.street_b, world.city, world.joint_b):
        response = await client.post(
            ORGS, json=org_body("branch", "越界支部", parent.id), headers=admin.headers
        )
        assert response.status_code == 404
        assert error_code(response) == "org.not_found"
    missing = await client.post(
        ORGS, json=org_body("branch", "无上级", 999_999), headers=admin.headers
    )
    assert missing.status_code == 404
    assert await count_orgs(app) == before

    for org in (world.city, world.street_b, world.social_b):
        read = await client.get(f"{ORGS}/{org.id}", headers=admin.headers)
        assert read.status_code == 404
        assert error_code(read) == "org.not_found"


async def test_anonymous_callers_are_refused(client: httpx.AsyncClient, factory: Factory) -> None:
    world = await build_world(factory)
    for response in (
        await client.get(ORGS),
        await client.get(f"{ORGS}/{world.city.id}"),
        await client.post(ORGS, json=org_body("branch", "匿名支部", world.street_a.id)),
        await client.get(f"{ORGS}/tree", headers={"Authorization": "Bearer not-a-token"}),
    ):
        assert response.status_code == 401
        assert error_code(response).startswith("auth.")
