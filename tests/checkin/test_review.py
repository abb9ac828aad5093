"""The review queue (issue 10.2): the activity's managers list flagged check-ins, confirm or
reject each with a reason; a rejected one is absent everywhere and its member is told; a
补签 is undone the same way; every decision is audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select

from app.models import AuditEvent, Delivery, Notification, NotificationKind, Role
from tests.checkin.conftest import ENDS_AT, STARTS_AT, VENUE_LON, Scene, error_code
from tests.checkin.test_geofence import north
from tests.factories import Actor

INSIDE: dict[str, Any] = {"latitude": north(40), "longitude": VENUE_LON, "accuracy": 10}
FAR: dict[str, Any] = {"latitude": north(4_400), "longitude": VENUE_LON, "accuracy": 10}
VAGUE: dict[str, Any] = {"latitude": north(40), "longitude": VENUE_LON, "accuracy": 500}
CLOSED = ENDS_AT + timedelta(minutes=31)


def queue_url(activity_id: int) -> str:
    return f"/api/v1/activities/{activity_id}/attendances/flagged"


def review_url(activity_id: int, attendance_id: int) -> str:
    return f"/api/v1/activities/{activity_id}/attendances/{attendance_id}/review"


async def check_in(scene: Scene, actor: Actor, activity_id: int, **point: Any) -> dict[str, Any]:
    code = await scene.code(activity_id)
    response = await scene.check_in(actor, activity_id, token=code["token"], **point)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def decide(
    scene: Scene, activity_id: int, attendance_id: int, decision: str, reason: str = "核实"
) -> httpx.Response:
    return await scene.client.post(
        review_url(activity_id, attendance_id),
        json={"decision": decision, "reason": reason},
        headers=scene.secretary.headers,
    )


async def audit(scene: Scene) -> list[AuditEvent]:
    """The review decisions audited, in order."""
    async with scene.app.state.runtime.sessionmaker() as session:
        query = (
            select(AuditEvent)
            .where(
                or_(
                    AuditEvent.action.startswith("attendance.review"),
                    AuditEvent.action == "attendance.manual_undo",
                )
            )
            .order_by(AuditEvent.id)
        )
        return list(await session.scalars(query))


async def rejections(scene: Scene) -> list[tuple[Notification, list[Delivery]]]:
    async with scene.app.state.runtime.sessionmaker() as session:
        found = (
            await session.scalars(
                select(Notification).where(
                    Notification.kind == NotificationKind.ATTENDANCE_REJECTED
                )
            )
        ).all()
        return [
            (
                notification,
                list(
                    await session.scalars(
                        select(Delivery).where(Delivery.notification_id == notification.id)
                    )
                ),
            )
            for notification in found
        ]


async def figures(scene: Scene, activity_id: int) -> dict[str, Any]:
    response = await scene.client.get(
        f"/api/v1/activities/{activity_id}/attendance", headers=scene.secretary.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def a_flagged_meeting(scene: Scene) -> tuple[int, dict[str, Actor], dict[str, int]]:
    """One member in the fence, one far away, one with a vague point, one walk-in."""
    people = {name: await scene.member() for name in ("inside", "far", "vague")}
    meeting = await scene.meeting()
    people["walk_in"] = await scene.member()  # joined after the expected list was made
    scene.at(STARTS_AT - timedelta(minutes=5))
    ids = {
        "inside": (await check_in(scene, people["inside"], meeting["id"], **INSIDE))["id"],
        "far": (await check_in(scene, people["far"], meeting["id"], **FAR))["id"],
        "vague": (await check_in(scene, people["vague"], meeting["id"], **VAGUE))["id"],
        "walk_in": (await check_in(scene, people["walk_in"], meeting["id"], **INSIDE))["id"],
    }
    return meeting["id"], people, ids


async def test_the_queue_lists_the_flagged_in_check_in_order_page_by_page(scene: Scene) -> None:
    activity_id, people, ids = await a_flagged_meeting(scene)

    first = await scene.client.get(
        queue_url(activity_id), params={"limit": 2}, headers=scene.secretary.headers
    )

    assert first.status_code == 200, first.text
    page = first.json()
    assert [item["id"] for item in page["items"]] == [ids["far"], ids["vague"]]
    assert page["items"][0]["review_reasons"] == ["outside_geofence"]
    assert page["items"][0]["member_name"] == people["far"].member.name
    assert page["items"][0]["party_status"] == "full_member"
    assert page["items"][1]["review_reasons"] == ["poor_accuracy"]
    rest = await scene.client.get(
        queue_url(activity_id),
        params={"limit": 2, "cursor": page["next_cursor"]},
        headers=scene.secretary.headers,
    )
    assert [item["id"] for item in rest.json()["items"]] == [ids["walk_in"]]
    assert rest.json()["items"][0]["review_reasons"] == ["walk_in"]
    assert rest.json()["next_cursor"] is None


async def test_confirming_keeps_them_present_and_is_audited(scene: Scene) -> None:
    activity_id, _, ids = await a_flagged_meeting(scene)
    scene.at(STARTS_AT + timedelta(minutes=30))

    confirmed = await decide(scene, activity_id, ids["vague"], "confirm", "书记现场见到本人")

    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["review_status"] == "confirmed"
    assert body["review_note"] == "书记现场见到本人"
    assert body["reviewed_at"] == "2025-06-01T10:40:00+08:00"
    (event,) = await audit(scene)
    assert event.action == "attendance.review_confirmed"
    assert event.actor_account_id == scene.secretary.account.id
    assert event.object_id == ids["vague"]
    assert event.details["reason"] == "书记现场见到本人"
    assert event.details["review_reasons"] == ["poor_accuracy"]
    summary = (await figures(scene, activity_id))["summary"]
    assert summary["present"] == 4
    assert summary["needs_review"] == 2  # the far one and the walk-in still wait
    pending = await scene.client.get(
        queue_url(activity_id),
        params={"review_status": "pending"},
        headers=scene.secretary.headers,
    )
    assert [item["id"] for item in pending.json()["items"]] == [ids["far"], ids["walk_in"]]
    assert await rejections(scene) == []


async def test_a_rejected_check_in_counts_absent_and_its_member_is_told(scene: Scene) -> None:
    activity_id, people, ids = await a_flagged_meeting(scene)

    rejected = await decide(scene, activity_id, ids["far"], "reject", "定位在4公里外")

    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["review_status"] == "rejected"
    (event,) = await audit(scene)
    assert event.action == "attendance.review_rejected"
    assert event.details["member_id"] == people["far"].member.id
    # Absent at once (no second check-in can follow), and after check-in closed too.
    body = await figures(scene, activity_id)
    far = next(p for p in body["people"] if p["member_id"] == people["far"].member.id)
    assert far["state"] == "absent"
    assert far["attendance"]["review_status"] == "rejected"
    # Expected: the secretary too, who is pending until check-in closes.
    assert (body["summary"]["present"], body["summary"]["absent"]) == (3, 1)
    assert body["summary"]["pending"] == 1
    scene.at(CLOSED)
    closed = (await figures(scene, activity_id))["summary"]
    assert (closed["expected"], closed["present"], closed["absent"]) == (4, 3, 2)
    assert closed["rate"] == 0.5  # the walk-in is present, not one of the expected
    # The member's own record and the organization's figures say the same.
    own = await scene.client.get("/api/v1/me/attendance", headers=people["far"].headers)
    assert own.json()["summary"]["rate"] == 0.0
    assert own.json()["activities"][0]["state"] == "absent"
    org = await scene.client.get(
        f"/api/v1/orgs/{scene.branch.id}/attendance", headers=scene.secretary.headers
    )
    total = org.json()["total"]
    assert (total["expected"], total["present"], total["absent"]) == (4, 2, 2)
    # The member hears of it, through the outbox.
    ((notification, deliveries),) = await rejections(scene)
    assert notification.title == "签到未被认可：支部党员大会"
    assert "定位在4公里外" in notification.body
    assert notification.data["activity_id"] == activity_id
    assert {d.member_id for d in deliveries} == {people["far"].member.id}
    assert "inbox" in {d.channel.value for d in deliveries}


async def test_a_decision_is_made_once(scene: Scene) -> None:
    activity_id, _, ids = await a_flagged_meeting(scene)
    assert (await decide(scene, activity_id, ids["far"], "reject")).status_code == 200

    again = await decide(scene, activity_id, ids["far"], "confirm")

    assert again.status_code == 409
    assert error_code(again) == "attendance.already_reviewed"
    assert again.json()["error"]["details"] == {"review_status": "rejected"}
    assert len(await audit(scene)) == 1


async def test_an_unflagged_check_in_is_not_reviewed(scene: Scene) -> None:
    activity_id, _, ids = await a_flagged_meeting(scene)
    for decision in ("confirm", "reject"):
        response = await decide(scene, activity_id, ids["inside"], decision)
        assert response.status_code == 409
        assert error_code(response) == "attendance.not_under_review"
    assert await audit(scene) == []


async def test_a_manual_check_in_is_undone_with_a_reason(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    scene.at(STARTS_AT + timedelta(minutes=20))
    manual = await scene.client.post(
        f"/api/v1/activities/{meeting['id']}/check-ins/manual",
        json={"member_id": member.member.id, "reason": "手机没电"},
        headers=scene.secretary.headers,
    )
    assert manual.status_code == 201, manual.text
    assert (await figures(scene, meeting["id"]))["summary"]["present"] == 1
    confirm = await decide(scene, meeting["id"], manual.json()["id"], "confirm")
    assert confirm.status_code == 409
    assert error_code(confirm) == "attendance.not_under_review"

    undone = await decide(scene, meeting["id"], manual.json()["id"], "reject", "补签对象记错了")

    assert undone.status_code == 200, undone.text
    assert undone.json()["review_status"] == "rejected"
    (event,) = await audit(scene)
    assert event.action == "attendance.manual_undo"
    assert event.details["reason"] == "补签对象记错了"
    body = await figures(scene, meeting["id"])
    assert body["summary"]["present"] == 0
    assert body["people"][0]["state"] == "absent"
    ((notification, deliveries),) = await rejections(scene)
    assert notification.title == "补签已撤销：支部党员大会"
    assert {d.member_id for d in deliveries} == {member.member.id}


async def test_only_the_activitys_managers_review(scene: Scene) -> None:
    activity_id, people, ids = await a_flagged_meeting(scene)
    sibling = await scene.factory.actor(Role.SECRETARY, scene.world.branch_a2)
    body = {"decision": "reject", "reason": "越权"}

    for headers, status, code in (
        (sibling.headers, 404, "activity.not_found"),
        (people["inside"].headers, 403, "auth.forbidden"),
    ):
        listing = await scene.client.get(queue_url(activity_id), headers=headers)
        assert listing.status_code == status
        assert error_code(listing) == code
        deciding = await scene.client.post(
            review_url(activity_id, ids["far"]), json=body, headers=headers
        )
        assert deciding.status_code == status
        assert error_code(deciding) == code
    assert await audit(scene) == []
    (row,) = [a for a in await scene.attendances() if a.id == ids["far"]]
    assert row.review_status is not None
    assert row.review_status.value == "pending"


async def test_an_attendance_of_another_activity_is_not_found(scene: Scene) -> None:
    _, _, ids = await a_flagged_meeting(scene)
    other = await scene.meeting()

    response = await decide(scene, other["id"], ids["far"], "reject")

    assert response.status_code == 404
    assert error_code(response) == "attendance.not_found"
    assert await audit(scene) == []
