from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.models import Role
from tests.factories import Actor, Factory, build_world
from tests.fixtures.wechat import FakeWeChat

POSTER = "/wxa/getwxacodeunlimit"
VENUE = {
    "venue_name": "党群服务中心",
    "venue_latitude": 32.06,
    "venue_longitude": 118.78,
    "geofence_radius_m": 200,
}


async def published_activity(
    client: httpx.AsyncClient, secretary: Actor, org_id: int, **venue: Any
) -> int:
    start = datetime.now(UTC) + timedelta(minutes=5)
    created = await client.post(
        "/api/v1/activities",
        json={
            "org_id": org_id,
            "type": "branch_general_meeting",
            "title": "支部党员大会",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
            **venue,
        },
        headers=secretary.headers,
    )
    activity_id = int(created.json()["id"])
    await client.post(f"/api/v1/activities/{activity_id}/publish", headers=secretary.headers)
    return activity_id


async def test_poster_carries_a_short_signed_scene_that_checks_in_inside_the_fence(
    client: httpx.AsyncClient, factory: Factory, wechat: FakeWeChat
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    member = await factory.actor(None, None, relation=world.branch_a1)
    activity_id = await published_activity(client, secretary, world.branch_a1.id, **VENUE)

    poster = await client.get(
        f"/api/v1/activities/{activity_id}/checkin-poster", headers=secretary.headers
    )

    assert poster.status_code == 200
    assert poster.headers["content-type"] == "image/jpeg"
    [call] = wechat.calls_to(POSTER)
    sent = json.loads(call.content)
    scene = sent["scene"]
    # Only the activity id and a signature: nothing of the member who will scan it.
    assert len(scene) <= 32
    assert re.fullmatch(rf"p{activity_id:x}\.[A-Za-z0-9_-]{{16}}", scene)
    assert sent["page"] == "pages/checkin/index"
    assert call.url.params["access_token"]

    far = await client.post(
        f"/api/v1/activities/{activity_id}/check-ins",
        json={"token": scene, "client_nonce": "poster-far-1"},
        headers=member.headers,
    )
    assert far.status_code == 422
    assert far.json()["error"]["code"] == "checkin.location_required"
    near = await client.post(
        f"/api/v1/activities/{activity_id}/check-ins",
        json={
            "token": scene,
            "latitude": 32.0601,
            "longitude": 118.7801,
            "accuracy": 15,
            "client_nonce": "poster-near-1",
        },
        headers=member.headers,
    )
    assert near.status_code == 201, near.text
    assert near.json()["method"] == "poster"


async def test_poster_refusals(
    client: httpx.AsyncClient, factory: Factory, wechat: FakeWeChat
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    sibling = await factory.actor(Role.SECRETARY, world.branch_a2)
    no_fence = await published_activity(client, secretary, world.branch_a1.id)
    fenced = await published_activity(client, secretary, world.branch_a1.id, **VENUE)

    missing_fence = await client.get(
        f"/api/v1/activities/{no_fence}/checkin-poster", headers=secretary.headers
    )
    assert missing_fence.status_code == 409
    assert missing_fence.json()["error"]["code"] == "checkin.poster_needs_geofence"
    other_branch = await client.get(
        f"/api/v1/activities/{fenced}/checkin-poster", headers=sibling.headers
    )
    assert other_branch.status_code == 404

    wechat.overrides[POSTER] = lambda _request: httpx.Response(
        200, json={"errcode": 45009, "errmsg": "too frequent"}
    )
    limited = await client.get(
        f"/api/v1/activities/{fenced}/checkin-poster", headers=secretary.headers
    )
    assert limited.status_code == 429
    assert limited.headers["retry-after"]

    wechat.overrides[POSTER] = lambda _request: httpx.Response(
        200, json={"errcode": 41030, "errmsg": "invalid page"}
    )
    bad_page = await client.get(
        f"/api/v1/activities/{fenced}/checkin-poster", headers=secretary.headers
    )
    assert bad_page.status_code == 502
    assert bad_page.json()["error"] == {
        "code": "wechat.error",
        "message": bad_page.json()["error"]["message"],
        "details": {"errcode": 41030},
    }
