"""What earns points (issue 11.5): a check-in that creates an attendance, a 补签 (of a guest
too), and a rejection in review takes them back; the daily cap holds across midnight in
Asia/Shanghai on the frozen clock of the check-in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.models import Attendance, PointKind, PointRule
from tests.checkin.conftest import Scene, new_nonce
from tests.checkin.test_review import FAR, INSIDE, decide
from tests.factories import Actor
from tests.points.conftest import entries

# 23:50 and 00:10 in Beijing, the night of 2025-06-01.
LATE = datetime(2025, 6, 1, 15, 50, tzinfo=UTC)
EARLY = datetime(2025, 6, 1, 16, 10, tzinfo=UTC)


async def attend(scene: Scene, member: Actor, meeting_id: int, **point: Any) -> int:
    code = await scene.code(meeting_id)
    response = await scene.check_in(member, meeting_id, token=code["token"], **(point or INSIDE))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_a_check_in_earns_once_however_often_it_is_sent(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    code = await scene.code(meeting["id"])
    nonce = new_nonce()

    first = await scene.check_in(member, meeting["id"], nonce=nonce, token=code["token"], **INSIDE)
    again = await scene.check_in(member, meeting["id"], nonce=nonce, token=code["token"], **INSIDE)

    assert (first.status_code, again.status_code) == (201, 201)
    rows = await entries(scene.app, member.member.id)
    assert [(r.kind, r.source, r.points) for r in rows] == [
        (PointKind.ACTIVITY_ATTENDED, f"attendance:{first.json()['id']}", 2)
    ]
    ledger = await scene.client.get("/api/v1/me/points/entries", headers=member.headers)
    (shown,) = ledger.json()["items"]
    assert (shown["label"], shown["description"]) == ("参加组织生活", "活动签到：支部党员大会")


async def test_a_rejected_check_in_gives_its_points_back(scene: Scene) -> None:
    meeting = await scene.meeting(outside_fence="review")
    member = await scene.member()
    attendance_id = await attend(scene, member, meeting["id"], **FAR)

    rejected = await decide(scene, meeting["id"], attendance_id, "reject", "不在现场")

    assert rejected.status_code == 200, rejected.text
    rows = await entries(scene.app, member.member.id)
    assert [(r.points, r.reversal) for r in rows] == [(2, False), (-2, True)]


async def test_a_manual_check_in_of_a_guest_earns_too(scene: Scene) -> None:
    meeting = await scene.meeting()
    manual = await scene.client.post(
        f"/api/v1/activities/{meeting['id']}/check-ins/manual",
        json={"guest": {"name": "王群众", "party_status": "masses"}, "reason": "群众列席"},
        headers=scene.secretary.headers,
    )

    assert manual.status_code == 201, manual.text
    async with scene.app.state.runtime.sessionmaker() as session:
        guest_id = await session.scalar(
            select(Attendance.member_id).where(Attendance.id == manual.json()["id"])
        )
    rows = await entries(scene.app)
    assert [(r.member_id, r.source, r.points) for r in rows] == [
        (guest_id, f"attendance:{manual.json()['id']}", 2)
    ]


async def test_the_daily_cap_holds_across_midnight_in_beijing(scene: Scene) -> None:
    async with scene.app.state.runtime.sessionmaker() as session, session.begin():
        session.add(
            PointRule(
                org_id=scene.world.street_a.id,
                kind=PointKind.ACTIVITY_ATTENDED,
                points=2,
                unit_seconds=None,
                daily_cap=2,  # one meeting a day
                updated_at=LATE,
            )
        )
    times = {"starts_at": (LATE - timedelta(minutes=20)).isoformat()}
    times["ends_at"] = (EARLY + timedelta(minutes=30)).isoformat()
    meetings = [await scene.meeting(**times) for _ in range(3)]
    member = await scene.member()

    scene.at(LATE)
    await attend(scene, member, meetings[0]["id"])
    scene.at(LATE + timedelta(minutes=5))
    await attend(scene, member, meetings[1]["id"])
    scene.at(EARLY)
    await attend(scene, member, meetings[2]["id"])

    rows = await entries(scene.app, member.member.id)
    assert [(r.day.isoformat(), r.requested, r.points) for r in rows] == [
        ("2025-06-01", 2, 2),
        ("2025-06-01", 2, 0),  # the cap of the 1st, still on record
        ("2025-06-02", 2, 2),
    ]
