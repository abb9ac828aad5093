from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from app.models import Role
from tests.factories import Factory, build_world


async def test_create_publish_show_code_and_check_in(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    member = await factory.actor(None, None, relation=world.branch_a1)
    start = datetime.now(UTC) + timedelta(minutes=10)
    created = await client.post(
        "/api/v1/activities",
        json={
            "org_id": world.branch_a1.id,
            "type": "themed_party_day",
            "title": "十一月主题党日",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "venue_name": "党群服务中心",
            "venue_latitude": 32.06,
            "venue_longitude": 118.78,
            "geofence_radius_m": 200,
            "co_hosts": ["union"],
        },
        headers=secretary.headers,
    )
    assert created.status_code == 201, created.text
    activity = created.json()
    assert activity["status"] == "draft"
    assert activity["expected_count"] == 2
    published = await client.post(
        f"/api/v1/activities/{activity['id']}/publish", headers=secretary.headers
    )
    assert published.json()["status"] == "published"
    code = (
        await client.get(
            f"/api/v1/activities/{activity['id']}/checkin-code", headers=secretary.headers
        )
    ).json()
    body = {"token": code["token"], "client_nonce": "nonce-0001"}
    first = await client.post(
        f"/api/v1/activities/{activity['id']}/check-ins", json=body, headers=member.headers
    )
    assert first.status_code == 201, first.text
    replay = await client.post(
        f"/api/v1/activities/{activity['id']}/check-ins", json=body, headers=member.headers
    )
    assert replay.status_code == 201
    assert replay.json() == first.json()
    other = await client.post(
        f"/api/v1/activities/{activity['id']}/check-ins",
        json={**body, "client_nonce": "nonce-0002"},
        headers=member.headers,
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "checkin.already_checked_in"
    assert other.json()["error"]["details"]["attendance"]["id"] == first.json()["id"]
