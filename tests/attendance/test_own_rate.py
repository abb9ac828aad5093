"""The member's own attendance rate counts only activities whose check-in has closed, as the
organization's figures do (issue 10.11)."""

from __future__ import annotations

from datetime import timedelta

from tests.attendance.test_activity_attendance import check_in
from tests.checkin.conftest import ENDS_AT, STARTS_AT, Scene


async def test_own_rate_ignores_activities_not_yet_over(scene: Scene) -> None:
    member = await scene.member()
    held = await scene.meeting()
    later = await scene.meeting(
        starts_at=(STARTS_AT + timedelta(hours=4)).isoformat(),
        ends_at=(ENDS_AT + timedelta(hours=4)).isoformat(),
    )
    scene.at(STARTS_AT)
    await check_in(scene, member, held["id"])
    # The first meeting's check-in has closed; the second's is open and the member not there.
    scene.at(STARTS_AT + timedelta(hours=3, minutes=50))

    own = await scene.client.get("/api/v1/me/attendance", headers=member.headers)

    assert own.status_code == 200, own.text
    body = own.json()
    states = {entry["activity_id"]: entry["state"] for entry in body["activities"]}
    assert states == {held["id"]: "present", later["id"]: "pending"}
    assert body["summary"]["rate"] == 1.0
    assert (body["summary"]["expected"], body["summary"]["pending"]) == (2, 1)
    org = await scene.client.get(
        f"/api/v1/orgs/{scene.branch.id}/attendance", headers=scene.secretary.headers
    )
    assert org.json()["total"]["activities"] == 1
