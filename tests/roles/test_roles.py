from __future__ import annotations

from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import FrozenClock
from app.models import Role, RoleAssignment
from tests.factories import Factory, build_world


async def test_committee_admin_grants_and_revokes_secretary(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    member = await factory.member(world.branch_a1, name="王书记")

    granted = await client.post(
        f"/api/v1/orgs/{world.branch_a1.id}/roles",
        json={"member_id": member.id, "role": "secretary"},
        headers=admin.headers,
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["member_name"] == "王书记"

    account = await factory.account(member)
    secretary_headers = factory.headers_for(account)
    me = (await client.get("/api/v1/me", headers=secretary_headers)).json()
    assert me["roles"] == [
        {"role": "secretary", "org_id": world.branch_a1.id, "org_name": "甲一支部"}
    ]
    assert (await client.get("/api/v1/members", headers=secretary_headers)).status_code == 200

    listed = await client.get(f"/api/v1/orgs/{world.branch_a1.id}/roles", headers=admin.headers)
    assert [r["role"] for r in listed.json()["items"]] == ["secretary"]

    again = await client.post(
        f"/api/v1/orgs/{world.branch_a1.id}/roles",
        json={"member_id": member.id, "role": "secretary"},
        headers=admin.headers,
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "role.already_held"

    revoked = await client.delete(f"/api/v1/roles/{granted.json()['id']}", headers=admin.headers)
    assert revoked.status_code == 204
    assert (await client.get("/api/v1/members", headers=secretary_headers)).status_code == 403


async def test_grant_checks_kind_scope_and_member_visibility(
    client: httpx.AsyncClient, factory: Factory, db: AsyncSession
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    mine = await factory.member(world.branch_a1)
    theirs = await factory.member(world.joint_b)

    async def grant(org_id: int, member_id: int, role: str) -> httpx.Response:
        return await client.post(
            f"/api/v1/orgs/{org_id}/roles",
            json={"member_id": member_id, "role": role},
            headers=admin.headers,
        )

    wrong_kind = await grant(world.social_a1.id, mine.id, "secretary")
    assert (wrong_kind.status_code, wrong_kind.json()["error"]["code"]) == (
        422,
        "role.invalid_org_kind",
    )
    sysadmin = await grant(world.branch_a1.id, mine.id, "system_admin")
    assert (sysadmin.status_code, sysadmin.json()["error"]["code"]) == (422, "role.not_grantable")
    other_org = await grant(world.joint_b.id, mine.id, "secretary")
    assert (other_org.status_code, other_org.json()["error"]["code"]) == (404, "org.not_found")
    other_member = await grant(world.branch_a1.id, theirs.id, "secretary")
    assert (other_member.status_code, other_member.json()["error"]["code"]) == (
        404,
        "member.not_found",
    )
    instructor = await grant(world.social_a1.id, mine.id, "instructor")
    assert instructor.status_code == 201

    count = await db.scalar(
        select(func.count()).select_from(RoleAssignment).where(RoleAssignment.member_id == mine.id)
    )
    assert count == 1


async def test_secretary_cannot_manage_roles(client: httpx.AsyncClient, factory: Factory) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    member = await factory.member(world.branch_a1)
    response = await client.post(
        f"/api/v1/orgs/{world.branch_a1.id}/roles",
        json={"member_id": member.id, "role": "secretary"},
        headers=secretary.headers,
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "auth.forbidden"


async def test_a_grant_is_dated_by_the_clock(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    member = await factory.member(world.branch_a1, name="王书记")
    granted_at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    app.state.runtime.clock = FrozenClock(granted_at)

    granted = await client.post(
        f"/api/v1/orgs/{world.branch_a1.id}/roles",
        json={"member_id": member.id, "role": "instructor"},
        headers=admin.headers,
    )

    assert granted.status_code == 201, granted.text
    assert datetime.fromisoformat(granted.json()["created_at"]) == granted_at
    listed = await client.get(f"/api/v1/orgs/{world.branch_a1.id}/roles", headers=admin.headers)
    assert listed.json() == {"items": [granted.json()], "next_cursor": None}


async def test_an_orgs_roles_are_paged_oldest_first_and_filtered_by_role(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    url = f"/api/v1/orgs/{world.branch_a1.id}/roles"
    granted = []
    for name, role in (
        ("王书记", "secretary"),
        ("李指导员", "instructor"),
        ("张委员", "secretary"),
    ):
        member = await factory.member(world.branch_a1, name=name)
        response = await client.post(
            url, json={"member_id": member.id, "role": role}, headers=admin.headers
        )
        assert response.status_code == 201, response.text
        granted.append(response.json())

    first = await client.get(url, params={"limit": 1}, headers=admin.headers)
    assert first.status_code == 200, first.text
    assert first.json()["items"] == granted[:1]
    assert first.json()["next_cursor"]
    rest = await client.get(
        url, params={"limit": 5, "cursor": first.json()["next_cursor"]}, headers=admin.headers
    )
    assert rest.status_code == 200, rest.text
    assert rest.json() == {"items": granted[1:], "next_cursor": None}

    secretaries = await client.get(url, params={"role": "secretary"}, headers=admin.headers)
    assert secretaries.status_code == 200, secretaries.text
    assert [(r["member_name"], r["role"]) for r in secretaries.json()["items"]] == [
        ("王书记", "secretary"),
        ("张委员", "secretary"),
    ]
    bad = await client.get(url, params={"role": "king"}, headers=admin.headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "validation_failed"
