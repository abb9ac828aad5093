"""Members leave; their history stays (reliability.md 20): a departure is a status change
with a reason, past figures do not move, nobody removes themselves or their own last
managing role, and personal data is erased on request without deleting the record."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.models import (
    Account,
    Attendance,
    AuditEvent,
    Delivery,
    LeaveRequest,
    Member,
    Role,
    RoleAssignment,
)
from tests.attendance.test_activity_attendance import CLOSED, hold_a_meeting
from tests.checkin.conftest import ENDS_AT, STARTS_AT, T0, Scene, clock, scene, settings
from tests.factories import Actor

__all__ = ["clock", "scene", "settings"]

MEMBERS = "/api/v1/members"
DAY = T0.date().isoformat()


def departure(reason: str = "transferred_out", **fields: Any) -> dict[str, Any]:
    return {"reason": reason, "left_on": DAY, "note": "转至外省某支部", **fields}


async def get(scene: Scene, url: str, headers: dict[str, str]) -> Any:
    response = await scene.client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def figures(scene: Scene, activity_id: int, committee: Actor, who: Actor) -> list[Any]:
    """Everything a past activity's figures are read from: its roster, the street's rates
    and the member's own record."""
    return [
        await get(scene, f"/api/v1/activities/{activity_id}/attendance", scene.secretary.headers),
        await get(
            scene,
            f"/api/v1/orgs/{scene.world.street_a.id}/attendance?from={DAY}&to=2025-06-30",
            committee.headers,
        ),
        await get(scene, f"{MEMBERS}/{who.member.id}/attendance", scene.secretary.headers),
    ]


async def count(scene: Scene, model: Any, **where: Any) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    async with scene.app.state.runtime.sessionmaker() as session:
        return int(await session.scalar(query) or 0)


async def audits(scene: Scene, action: str) -> list[AuditEvent]:
    async with scene.app.state.runtime.sessionmaker() as session:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return list(rows.all())


async def member_ids(scene: Scene, headers: dict[str, str], **params: Any) -> set[int]:
    body = await get(
        scene, f"{MEMBERS}?limit=100&" + "&".join(f"{k}={v}" for k, v in params.items()), headers
    )
    return {item["id"] for item in body["items"]}


async def test_a_departure_keeps_the_record_its_history_and_past_figures(scene: Scene) -> None:
    activity_id, people = await hold_a_meeting(scene)
    scene.at(CLOSED)
    committee = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    leaving, absent = people["on_time"], people["missing"]
    before = await figures(scene, activity_id, committee, leaving)
    history = await count(scene, Attendance, member_id=leaving.member.id)
    assert history == 1

    recorded = await scene.client.post(
        f"{MEMBERS}/{leaving.member.id}/departure",
        json=departure(),
        headers=scene.secretary.headers,
    )
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["departure"] == {
        "left_on": DAY,
        "reason": "transferred_out",
        "reason_label": "组织关系转出",
        "note": "转至外省某支部",
        "recorded_at": recorded.json()["departure"]["recorded_at"],
    }
    assert datetime.fromisoformat(recorded.json()["departure"]["recorded_at"]) == CLOSED
    gone = await scene.client.post(
        f"{MEMBERS}/{absent.member.id}/departure",
        json=departure("deceased", note=None),
        headers=scene.secretary.headers,
    )
    assert gone.status_code == 200, gone.text

    # The record and its history stay; the past figures read exactly as they did.
    assert await count(scene, Member, id=leaving.member.id) == 1
    assert await count(scene, Attendance, member_id=leaving.member.id) == history
    assert await figures(scene, activity_id, committee, leaving) == before
    readable = await get(scene, f"{MEMBERS}/{leaving.member.id}", scene.secretary.headers)
    assert readable["departure"]["reason"] == "transferred_out"
    audit = (await audits(scene, "member.depart"))[0]
    assert audit.object_id == leaving.member.id
    assert audit.actor_account_id == scene.secretary.account.id

    # Out of the current roster, in the departed one.
    current = await member_ids(scene, scene.secretary.headers)
    assert leaving.member.id not in current
    assert absent.member.id not in current
    assert people["late"].member.id in current
    departed = await member_ids(scene, scene.secretary.headers, status="departed")
    assert departed == {leaving.member.id, absent.member.id}
    everyone = await member_ids(scene, scene.secretary.headers, status="all")
    assert {leaving.member.id, people["late"].member.id} <= everyone

    # A new activity does not expect them, nor can they be added to it.
    later = await scene.meeting(
        title="主题党日",
        type="themed_party_day",
        starts_at=(STARTS_AT + timedelta(days=3)).isoformat(),
        ends_at=(ENDS_AT + timedelta(days=3)).isoformat(),
    )
    expected = await get(
        scene, f"/api/v1/activities/{later['id']}/expected?limit=100", scene.secretary.headers
    )
    expected_ids = {row["member_id"] for row in expected["items"]}
    assert people["late"].member.id in expected_ids
    assert leaving.member.id not in expected_ids
    added = await scene.client.post(
        f"/api/v1/activities/{later['id']}/expected",
        json={"member_ids": [leaving.member.id]},
        headers=scene.secretary.headers,
    )
    assert added.status_code == 404, added.text

    # Recording it twice is refused.
    twice = await scene.client.post(
        f"{MEMBERS}/{leaving.member.id}/departure",
        json=departure(),
        headers=scene.secretary.headers,
    )
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "member.already_departed"

    # Erasure on request: the personal data goes, the figures stay.
    erased = await scene.client.post(
        f"{MEMBERS}/{absent.member.id}/erasure", headers=committee.headers
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["name"] == "已注销"
    assert erased.json()["phone"] is None
    assert erased.json()["erased"] is True
    assert erased.json()["has_account"] is False
    assert await count(scene, Account, id=absent.account.id) == 0
    assert await count(scene, Member, id=absent.member.id) == 1
    after = await figures(scene, activity_id, committee, leaving)
    assert after[1] == before[1]  # the street's rates
    roster_before = {p["member_id"]: p["state"] for p in before[0]["people"]}
    roster_after = {p["member_id"]: p["state"] for p in after[0]["people"]}
    assert roster_after == roster_before
    assert after[0]["summary"] == before[0]["summary"]
    [erasure] = await audits(scene, "member.erase")
    assert erasure.object_id == absent.member.id
    assert erasure.actor_account_id == committee.account.id
    assert "已注销" not in str(erasure.details)  # names the fields, holds no values
    again = await scene.client.post(
        f"{MEMBERS}/{absent.member.id}/erasure", headers=committee.headers
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "member.already_erased"


async def test_a_departure_drops_the_member_from_activities_yet_to_come(scene: Scene) -> None:
    member = await scene.member()
    upcoming = await scene.meeting()  # starts at T0 + 10 min
    walk_in_at_later = await scene.member()
    assert walk_in_at_later  # a second current member, still expected
    recorded = await scene.client.post(
        f"{MEMBERS}/{member.member.id}/departure",
        json=departure("moved_away"),
        headers=scene.secretary.headers,
    )
    assert recorded.status_code == 200, recorded.text
    expected = await get(
        scene, f"/api/v1/activities/{upcoming['id']}/expected?limit=100", scene.secretary.headers
    )
    assert member.member.id not in {row["member_id"] for row in expected["items"]}
    # Nor may they check in as a walk-in at their former branch.
    scene.at(STARTS_AT - timedelta(minutes=5))
    code = await scene.code(upcoming["id"])
    refused = await scene.check_in(
        member, upcoming["id"], token=code["token"], latitude=32.0604, longitude=118.78, accuracy=12
    )
    assert refused.status_code in (403, 404), refused.text
    assert await count(scene, Attendance, member_id=member.member.id) == 0


async def test_nobody_records_their_own_departure(scene: Scene) -> None:
    mine = await scene.client.post(
        f"{MEMBERS}/{scene.secretary.member.id}/departure",
        json=departure(),
        headers=scene.secretary.headers,
    )
    assert mine.status_code == 403
    assert mine.json()["error"]["code"] == "member.self_removal"
    assert mine.json()["error"]["message"] == "不能将本人移出组织，请由上级组织办理"
    assert await count(scene, RoleAssignment, member_id=scene.secretary.member.id) == 1
    listed = await member_ids(scene, scene.secretary.headers)
    assert scene.secretary.member.id in listed


async def test_a_departure_ends_roles_the_caller_may_revoke_and_refuses_the_others(
    scene: Scene,
) -> None:
    # A second secretary of the branch: a secretary cannot end it, the street can.
    deputy = await scene.member()
    await scene.factory.grant(deputy.member, Role.SECRETARY, scene.branch)
    refused = await scene.client.post(
        f"{MEMBERS}/{deputy.member.id}/departure",
        json=departure(),
        headers=scene.secretary.headers,
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "member.holds_roles"
    assert len(refused.json()["error"]["details"]["role_ids"]) == 1
    assert await count(scene, RoleAssignment, member_id=deputy.member.id) == 1

    street = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    ended = await scene.client.post(
        f"{MEMBERS}/{deputy.member.id}/departure", json=departure(), headers=street.headers
    )
    assert ended.status_code == 200, ended.text
    assert await count(scene, RoleAssignment, member_id=deputy.member.id) == 0
    [audit] = await audits(scene, "member.depart")
    assert audit.details["ended_roles"] == [{"role": "secretary", "org_id": scene.branch.id}]
    # A role is not granted to someone who has left.
    regrant = await scene.client.post(
        f"/api/v1/orgs/{scene.branch.id}/roles",
        json={"member_id": deputy.member.id, "role": "secretary"},
        headers=street.headers,
    )
    assert regrant.status_code == 409
    assert regrant.json()["error"]["code"] == "member.already_departed"


async def test_nobody_revokes_their_own_last_managing_role(scene: Scene) -> None:
    street = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    async with scene.app.state.runtime.sessionmaker() as session:
        own_id = await session.scalar(
            select(RoleAssignment.id).where(RoleAssignment.member_id == street.member.id)
        )
    refused = await scene.client.delete(f"/api/v1/roles/{own_id}", headers=street.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "role.own_last_managing"
    assert await count(scene, RoleAssignment, id=own_id) == 1

    # Holding another managing role, they may give this one up; it is audited.
    await scene.factory.grant(street.member, Role.SECRETARY, scene.world.branch_a2)
    given_up = await scene.client.delete(f"/api/v1/roles/{own_id}", headers=street.headers)
    assert given_up.status_code == 204, given_up.text
    assert await count(scene, RoleAssignment, id=own_id) == 0
    [audit] = await audits(scene, "role.revoke")
    assert audit.object_id == own_id
    assert audit.actor_account_id == street.account.id


async def test_a_member_is_no_longer_deleted(scene: Scene) -> None:
    member = await scene.member()
    for actor in (scene.secretary, await scene.factory.actor(Role.SYSTEM_ADMIN, None)):
        refused = await scene.client.delete(f"{MEMBERS}/{member.member.id}", headers=actor.headers)
        assert refused.status_code == 405
    assert await count(scene, Member, id=member.member.id) == 1


async def test_erasure_needs_a_departure_and_the_erase_permission(scene: Scene) -> None:
    member = await scene.member(phone="13812345678")
    street = await scene.factory.actor(
        Role.COMMITTEE_ADMIN, scene.world.street_a, relation=scene.branch
    )
    early = await scene.client.post(f"{MEMBERS}/{member.member.id}/erasure", headers=street.headers)
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "member.not_departed"
    recorded = await scene.client.post(
        f"{MEMBERS}/{member.member.id}/departure", json=departure(), headers=street.headers
    )
    assert recorded.status_code == 200, recorded.text
    by_secretary = await scene.client.post(
        f"{MEMBERS}/{member.member.id}/erasure", headers=scene.secretary.headers
    )
    assert by_secretary.status_code == 403
    assert by_secretary.json()["error"]["code"] == "auth.forbidden"
    mine = await scene.client.post(f"{MEMBERS}/{street.member.id}/erasure", headers=street.headers)
    assert mine.status_code == 403
    assert mine.json()["error"]["code"] == "member.self_removal"
    async with scene.app.state.runtime.sessionmaker() as session:
        row = await session.get_one(Member, member.member.id)
    assert row.phone == "13812345678"
    assert await audits(scene, "member.erase") == []


async def test_leave_reasons_are_erased_with_the_member(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    asked = await scene.client.post(
        f"/api/v1/activities/{meeting['id']}/leave",
        json={"reason": "住院治疗"},
        headers=member.headers,
    )
    assert asked.status_code == 201, asked.text
    street = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    for step in ("departure", "erasure"):
        done = await scene.client.post(
            f"{MEMBERS}/{member.member.id}/{step}",
            json=departure("deceased") if step == "departure" else None,
            headers=street.headers,
        )
        assert done.status_code == 200, done.text
    async with scene.app.state.runtime.sessionmaker() as session:
        reasons = (
            await session.scalars(
                select(LeaveRequest.reason).where(LeaveRequest.member_id == member.member.id)
            )
        ).all()
    assert reasons == ["已注销"]


async def publish_article(scene: Scene, writer: Actor, title: str) -> int:
    created = await scene.client.post(
        "/api/v1/news/articles",
        json={
            "title": title,
            "summary": "摘要",
            "body": "正文",
            "category": "key_news",
            "audience_org_ids": [scene.branch.id],
        },
        headers=writer.headers,
    )
    assert created.status_code == 201, created.text
    article_id: int = created.json()["id"]
    published = await scene.client.post(
        f"/api/v1/news/articles/{article_id}/publish", headers=writer.headers
    )
    assert published.status_code == 200, published.text
    return article_id


async def test_news_reaches_no_one_who_left_and_past_read_rates_hold(scene: Scene) -> None:
    staying, leaving = await scene.member(), await scene.member()
    writer = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    past = await publish_article(scene, writer, "上月要闻")
    read = await scene.client.post(
        f"/api/v1/news/articles/{past}/reads", json={"seconds": 30}, headers=leaving.headers
    )
    assert read.status_code in (200, 201, 204), read.text
    stats_url = f"/api/v1/news/articles/{past}/stats"
    before = await get(scene, stats_url, writer.headers)
    told = await count(scene, Delivery, member_id=leaving.member.id)
    assert told > 0

    scene.at(T0 + timedelta(days=1))
    recorded = await scene.client.post(
        f"{MEMBERS}/{leaving.member.id}/departure", json=departure(), headers=writer.headers
    )
    assert recorded.status_code == 200, recorded.text
    assert await get(scene, stats_url, writer.headers) == before

    await publish_article(scene, writer, "本月要闻")
    assert await count(scene, Delivery, member_id=leaving.member.id) == told
    assert await count(scene, Delivery, member_id=staying.member.id) > told


async def test_a_departure_is_dated_today_or_earlier_with_a_known_reason(scene: Scene) -> None:
    member = await scene.member()
    url = f"{MEMBERS}/{member.member.id}/departure"
    future = await scene.client.post(
        url,
        json=departure(left_on=(T0.date() + timedelta(days=1)).isoformat()),
        headers=scene.secretary.headers,
    )
    assert future.status_code == 422
    assert future.json()["error"]["code"] == "member.left_on_future"
    unknown = await scene.client.post(
        url, json=departure("vanished"), headers=scene.secretary.headers
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "validation_failed"
    assert await member_ids(scene, scene.secretary.headers, status="departed") == set()
