"""Walk-ins from elsewhere (issue 10.3): a member of another branch or a 流动党员 registered
outside who holds the venue's valid code checks in per the walk-in policy; guests without an
account (入党积极分子, 群众) are recorded by the secretary."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.checkin import codes
from app.models import AuditEvent, Member
from tests.checkin.conftest import STARTS_AT, VENUE_LON, Scene, error_code
from tests.checkin.test_geofence import north

INSIDE: dict[str, Any] = {"latitude": north(40), "longitude": VENUE_LON, "accuracy": 10}


async def test_a_member_of_another_branch_with_the_code_walks_in(scene: Scene) -> None:
    meeting = await scene.meeting(walk_in_policy="accept_flagged")
    visitor = await scene.member(relation=scene.world.joint_b)  # another street's branch
    code = await scene.code(meeting["id"])

    response = await scene.check_in(visitor, meeting["id"], token=code["token"])

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["member_id"], body["walk_in"]) == (visitor.member.id, True)
    assert body["review_reasons"] == ["walk_in"]
    assert body["review_status"] == "pending"
    roster = await scene.client.get(
        f"/api/v1/activities/{meeting['id']}/attendance", headers=scene.secretary.headers
    )
    (line,) = [p for p in roster.json()["people"] if p["member_id"] == visitor.member.id]
    assert (line["expected"], line["state"]) == (False, "present")
    # Having come, the visitor may check out too.
    assert (await scene.check_out(visitor, meeting["id"])).status_code == 200


async def test_a_poster_lets_a_visitor_in_at_the_venue(scene: Scene) -> None:
    meeting = await scene.meeting()
    visitor = await scene.member(relation=scene.world.branch_a2)
    poster = codes.poster_scene(meeting["id"], await scene.secret(meeting["id"]))

    response = await scene.check_in(visitor, meeting["id"], token=poster, **INSIDE)

    assert response.status_code == 201, response.text
    assert response.json()["method"] == "poster"
    assert response.json()["walk_in"] is True


async def test_a_visitor_is_refused_when_the_activity_refuses_walk_ins(scene: Scene) -> None:
    meeting = await scene.meeting(walk_in_policy="refuse")
    visitor = await scene.member(relation=scene.world.joint_b)
    code = await scene.code(meeting["id"])

    response = await scene.check_in(visitor, meeting["id"], token=code["token"])

    assert response.status_code == 409, response.text
    assert error_code(response) == "checkin.not_expected"
    assert await scene.attendances() == []


async def test_a_mobile_member_registered_elsewhere_walks_in(scene: Scene) -> None:
    meeting = await scene.meeting()
    mobile = await scene.member(is_mobile=True)
    await _no_relation(scene, mobile.member.id)  # 组织关系 outside this system, no workplace here
    code = await scene.code(meeting["id"])

    response = await scene.check_in(mobile, meeting["id"], token=code["token"], **INSIDE)

    assert response.status_code == 201, response.text
    assert response.json()["walk_in"] is True
    assert response.json()["review_reasons"] == ["walk_in"]


async def _no_relation(scene: Scene, member_id: int) -> None:
    async with scene.app.state.runtime.sessionmaker.begin() as session:
        member = await session.get_one(Member, member_id)
        member.relation_org_id = None
        member.workplace_org_id = None


async def test_a_draft_stays_hidden_even_to_a_valid_code(scene: Scene) -> None:
    meeting = await scene.meeting(publish=False)
    visitor = await scene.member(relation=scene.world.joint_b)
    code = codes.rotating_code(
        meeting["id"], await scene.secret(meeting["id"]), codes.current_step(scene.clock.now(), 30)
    )

    draft = await scene.check_in(visitor, meeting["id"], token=code)
    assert draft.status_code == 404
    assert error_code(draft) == "activity.not_found"
    assert await scene.attendances() == []


async def test_a_member_who_left_cannot_walk_in(scene: Scene) -> None:
    meeting = await scene.meeting()
    visitor = await scene.member(relation=scene.world.joint_b)
    async with scene.app.state.runtime.sessionmaker.begin() as session:
        member = await session.get_one(Member, visitor.member.id)
        member.departed_at = scene.clock.now()
    code = await scene.code(meeting["id"])

    response = await scene.check_in(visitor, meeting["id"], token=code["token"])

    assert response.status_code == 404
    assert await scene.attendances() == []


# --- guests recorded by the secretary ---------------------------------------------------


async def test_the_secretary_records_a_guest_without_an_account(scene: Scene) -> None:
    meeting = await scene.meeting()
    scene.at(STARTS_AT + timedelta(minutes=15))

    response = await scene.client.post(
        f"/api/v1/activities/{meeting['id']}/check-ins/manual",
        json={"guest": {"name": "王群众", "party_status": "masses"}, "reason": "群众列席"},
        headers=scene.secretary.headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["method"], body["walk_in"], body["needs_review"]) == ("manual", True, False)
    async with scene.app.state.runtime.sessionmaker() as session:
        guest = await session.get_one(Member, body["member_id"])
        audit = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "attendance.manual_check_in")
            )
        ).one()
    assert (guest.name, guest.party_status.value) == ("王群众", "masses")
    assert (guest.relation_org_id, guest.workplace_org_id, guest.account_id) == (None, None, None)
    assert audit.details["guest"] is True
    roster = await scene.client.get(
        f"/api/v1/activities/{meeting['id']}/attendance", headers=scene.secretary.headers
    )
    (line,) = [p for p in roster.json()["people"] if p["member_id"] == guest.id]
    assert (line["name"], line["party_status"], line["expected"], line["state"]) == (
        "王群众",
        "masses",
        False,
        "present",
    )
    assert roster.json()["summary"]["walk_ins"] == 1


async def test_an_activist_is_a_guest_and_a_party_member_is_not(scene: Scene) -> None:
    meeting = await scene.meeting()
    scene.at(STARTS_AT + timedelta(minutes=15))
    url = f"/api/v1/activities/{meeting['id']}/check-ins/manual"

    activist = await scene.client.post(
        url,
        json={"guest": {"name": "李积极", "party_status": "activist"}, "reason": "积极分子旁听"},
        headers=scene.secretary.headers,
    )
    assert activist.status_code == 201, activist.text
    for body in (
        {"guest": {"name": "张党员", "party_status": "full_member"}, "reason": "不应作为来宾"},
        {"reason": "两者都没有"},
        {
            "member_id": scene.secretary.member.id,
            "guest": {"name": "甲", "party_status": "masses"},
            "reason": "两者都有",
        },
    ):
        refused = await scene.client.post(url, json=body, headers=scene.secretary.headers)
        assert refused.status_code == 422, refused.text
        assert error_code(refused) == "validation_failed"
    assert len(await scene.attendances()) == 1
