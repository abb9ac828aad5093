from __future__ import annotations

import httpx

from app.models import Role
from tests.factories import Factory, build_world


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.headers["x-request-id"]


async def test_secretary_sees_only_own_branch(client: httpx.AsyncClient, factory: Factory) -> None:
    world = await build_world(factory)
    mine = await factory.member(world.branch_a1, name="张三")
    sibling = await factory.member(world.branch_a2, name="李四")
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)

    listed = await client.get("/api/v1/members", headers=secretary.headers)
    assert listed.status_code == 200
    names = {m["name"] for m in listed.json()["items"]}
    assert "张三" in names
    assert "李四" not in names
    assert mine.id in {m["id"] for m in listed.json()["items"]}

    other = await client.get(f"/api/v1/members/{sibling.id}", headers=secretary.headers)
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "member.not_found"
