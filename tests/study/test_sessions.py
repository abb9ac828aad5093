"""集中学习 sessions name materials; each member's session time (check-in to check-out, at
most the session's length) is credited to them at check-out, as a heartbeat would credit."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.models import PointKind, Role
from tests.study.conftest import T0, Scene, error_code

STARTS_AT = T0 + timedelta(minutes=10)
ENDS_AT = STARTS_AT + timedelta(hours=1)
VENUE = {"venue_latitude": 32.06, "venue_longitude": 118.78, "geofence_radius_m": 200}
INSIDE = {"latitude": 32.0604, "longitude": 118.78, "accuracy": 12.5}


async def session_of(scene: Scene, type_: str = "group_study") -> dict[str, Any]:
    headers = scene.manager.headers
    created = await scene.client.post(
        "/api/v1/activities",
        json={
            "org_id": scene.world.branch_a1.id,
            "type": type_,
            "title": "集中学习党章",
            "starts_at": STARTS_AT.isoformat(),
            "ends_at": ENDS_AT.isoformat(),
            "venue_name": "党群服务中心",
            **VENUE,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    activity: dict[str, Any] = created.json()
    published = await scene.client.post(
        f"/api/v1/activities/{activity['id']}/publish", headers=headers
    )
    assert published.status_code == 200, published.text
    return activity


def url(activity_id: int) -> str:
    return f"/api/v1/activities/{activity_id}/study-materials"


async def test_a_session_names_published_materials_open_to_its_members(scene: Scene) -> None:
    activity = await session_of(scene)
    street_admin = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    own = await scene.material()
    above = await scene.material(org=scene.world.street_a, by=street_admin)
    sibling = await scene.material(org=scene.world.branch_a2, by=street_admin)
    draft = await scene.material(publish=False)
    headers = scene.manager.headers

    named = await scene.client.put(
        url(activity["id"]), json={"material_ids": [own["id"], above["id"]]}, headers=headers
    )
    assert named.status_code == 200, named.text
    assert [m["id"] for m in named.json()["materials"]] == [own["id"], above["id"]]
    for refused_id in (sibling["id"], draft["id"], 999_999):
        refused = await scene.client.put(
            url(activity["id"]), json={"material_ids": [own["id"], refused_id]}, headers=headers
        )
        assert refused.status_code == 422, refused.text
        assert error_code(refused) == "study.material_out_of_reach"
        assert refused.json()["error"]["details"] == {"material_ids": [refused_id]}
    shown = await scene.client.get(url(activity["id"]), headers=headers)
    assert [m["id"] for m in shown.json()["materials"]] == [own["id"], above["id"]]
    cleared = await scene.client.put(
        url(activity["id"]), json={"material_ids": []}, headers=headers
    )
    assert cleared.json()["materials"] == []


async def test_only_a_study_session_names_materials(scene: Scene) -> None:
    meeting = await session_of(scene, "branch_general_meeting")
    material = await scene.material()
    refused = await scene.client.put(
        url(meeting["id"]), json={"material_ids": [material["id"]]}, headers=scene.manager.headers
    )
    assert (refused.status_code, error_code(refused)) == (422, "study.not_a_study_session")


async def test_check_out_credits_the_session_time_to_each_named_material(scene: Scene) -> None:
    activity = await session_of(scene)
    short = await scene.material(length_seconds=600)  # ceiling 900, required 480
    long = await scene.material(length_seconds=7200)  # required 5760
    await scene.client.put(
        url(activity["id"]),
        json={"material_ids": [short["id"], long["id"]]},
        headers=scene.manager.headers,
    )
    member = await scene.member()
    scene.clock.at = STARTS_AT
    checked_in = await scene.client.post(
        f"/api/v1/activities/{activity['id']}/check-ins",
        json={"client_nonce": uuid.uuid4().hex, **INSIDE},
        headers=member.headers,
    )
    assert checked_in.status_code == 201, checked_in.text
    scene.clock.at = ENDS_AT + timedelta(minutes=20)  # stayed 80 min of a one-hour session
    out = await scene.client.post(
        f"/api/v1/activities/{activity['id']}/check-out", headers=member.headers
    )
    assert out.status_code == 200, out.text

    short_progress = await scene.progress(member, short["id"])
    long_progress = await scene.progress(member, long["id"])
    assert short_progress is not None
    assert long_progress is not None
    assert (short_progress.credited_seconds, short_progress.completed_at) == (900, scene.clock.at)
    assert (long_progress.credited_seconds, long_progress.completed_at) == (3600, None)
    assert await scene.daily(member) == []  # the figures read sessions from attendances
    entries = await scene.points(member)
    units = [e for e in entries if e.kind is PointKind.STUDY_TIME]
    assert len(units) == 3 + 12  # started units of 300 s: 900 s and 3600 s
    assert sum(e.points for e in units) == 6  # the default daily cap
    completed = [e.source for e in entries if e.kind is PointKind.MATERIAL_COMPLETED]
    assert completed == [f"material:{short['id']}:completed"]

    detail = await scene.client.get(
        f"/api/v1/study/materials/{short['id']}", headers=member.headers
    )
    assert (detail.json()["credited_seconds"], detail.json()["completed"]) == (900, True)
    # A second check-out keeps the first and credits nothing again.
    again = await scene.client.post(
        f"/api/v1/activities/{activity['id']}/check-out", headers=member.headers
    )
    assert again.status_code == 200
    assert len(await scene.points(member)) == len(entries)
