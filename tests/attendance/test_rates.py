"""A member's record and an organization's rates over a period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.models import Role
from tests.attendance.test_activity_attendance import CLOSED, check_in, excuse, hold_a_meeting
from tests.checkin.conftest import ENDS_AT, STARTS_AT, T0, Scene

DAY = T0.date().isoformat()  # 2025-06-01; 02:00 UTC is 10:00 in Beijing, the same day


async def get(scene: Scene, url: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await scene.client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_member_sees_their_own_record(scene: Scene) -> None:
    activity_id, people = await hold_a_meeting(scene)
    scene.at(CLOSED)
    late = await get(scene, f"/api/v1/me/attendance?from={DAY}&to={DAY}", people["late"].headers)
    assert [entry["activity_id"] for entry in late["activities"]] == [activity_id]
    assert late["activities"][0]["state"] == "late"
    assert late["summary"]["expected"] == 1
    assert late["summary"]["rate"] == 1.0
    missing = await get(scene, "/api/v1/me/attendance", people["missing"].headers)
    assert missing["activities"][0]["state"] == "absent"
    assert missing["summary"]["absent"] == 1
    assert missing["summary"]["rate"] == 0.0
    excused = await get(scene, "/api/v1/me/attendance", people["excused"].headers)
    assert excused["activities"][0]["leave_status"] == "approved"
    assert excused["summary"]["excused"] == 1


async def test_a_period_outside_the_activity_leaves_it_out(scene: Scene) -> None:
    _, people = await hold_a_meeting(scene)
    before = (T0.date() - timedelta(days=1)).isoformat()
    body = await get(
        scene, f"/api/v1/me/attendance?from={before}&to={before}", people["on_time"].headers
    )
    assert body["activities"] == []
    assert body["summary"]["rate"] is None
    assert body["from"] == before
    assert body["to"] == before


async def test_a_reversed_period_is_refused(scene: Scene) -> None:
    member = await scene.member()
    response = await scene.client.get(
        "/api/v1/me/attendance?from=2025-06-02&to=2025-06-01", headers=member.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "attendance.invalid_period"


async def test_the_secretary_reads_a_members_record(scene: Scene) -> None:
    activity_id, people = await hold_a_meeting(scene)
    scene.at(CLOSED)
    body = await get(
        scene,
        f"/api/v1/members/{people['on_time'].member.id}/attendance",
        scene.secretary.headers,
    )
    assert body["name"] == people["on_time"].member.name
    assert [(e["activity_id"], e["state"]) for e in body["activities"]] == [
        (activity_id, "present")
    ]


async def test_drafts_are_not_in_anyones_record(scene: Scene) -> None:
    member = await scene.member()
    await scene.meeting(publish=False)
    scene.at(CLOSED)
    body = await get(scene, "/api/v1/me/attendance", member.headers)
    assert body["activities"] == []


async def test_a_committee_sees_rates_per_child_and_the_branch_that_held_nothing(
    scene: Scene,
) -> None:
    # Branch a1 holds two meetings; its sibling a2 holds none in the period.
    _, people = await hold_a_meeting(scene)
    scene.at(T0)
    second = await scene.meeting(
        title="党课",
        type="party_lecture",
        starts_at=(STARTS_AT + timedelta(days=1)).isoformat(),
        ends_at=(ENDS_AT + timedelta(days=1)).isoformat(),
    )
    await excuse(scene, people["missing"], second["id"])
    scene.at(STARTS_AT + timedelta(days=1))
    await check_in(scene, people["on_time"], second["id"])
    # An activity still under way is not counted: its absences are not final.
    scene.at(STARTS_AT + timedelta(days=2, minutes=-20))
    await scene.meeting(
        title="正在进行",
        starts_at=(STARTS_AT + timedelta(days=2)).isoformat(),
        ends_at=(ENDS_AT + timedelta(days=2)).isoformat(),
    )
    scene.at(STARTS_AT + timedelta(days=2, minutes=10))

    committee = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    street = scene.world.street_a
    body = await get(
        scene,
        f"/api/v1/orgs/{street.id}/attendance?from={DAY}&to=2025-06-30",
        committee.headers,
    )
    # First meeting: 5 expected, 2 of them came (on time, late), 1 excused, 2 absent.
    # Second, 6 expected (the walk-in had joined): 1 came, 1 excused, 4 absent.
    assert body["total"] == {
        "activities": 2,
        "expected": 11,
        "present": 3,
        "late": 1,
        "excused": 2,
        "absent": 6,
        "rate": round(3 / 11, 4),
    }
    assert body["own"]["activities"] == 0
    by_type = {entry["type"]: entry for entry in body["by_type"]}
    assert by_type["branch_general_meeting"]["present"] == 2
    assert by_type["party_lecture"]["expected"] == 6
    by_child = {entry["org_id"]: entry for entry in body["by_child"]}
    assert by_child[scene.world.branch_a1.id]["activities"] == 2
    assert by_child[scene.world.branch_a2.id]["activities"] == 0
    assert by_child[scene.world.branch_a2.id]["rate"] is None


async def test_a_secretary_cannot_read_the_committees_figures(scene: Scene) -> None:
    response = await scene.client.get(
        f"/api/v1/orgs/{scene.world.street_a.id}/attendance", headers=scene.secretary.headers
    )
    assert response.status_code == 404
