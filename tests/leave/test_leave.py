from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.attendance.service import RosterSummary, activity_figures
from app.kit.clock import FrozenClock
from app.models import Activity, LeaveRequest, LeaveStatus, Role
from tests.factories import Actor, Factory, World, build_world
from tests.leave.helpers import V1, create_activity, snapshot


@dataclass
class Scene:
    world: World
    secretary: Actor
    member: Actor
    activity_id: int


@pytest.fixture
async def scene(client: httpx.AsyncClient, factory: Factory, clock: FrozenClock) -> Scene:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    member = await factory.actor(None, None, relation=world.branch_a1)
    activity_id = await create_activity(
        client, secretary.headers, world.branch_a1, starts_at=clock.now() + timedelta(hours=1)
    )
    return Scene(world, secretary, member, activity_id)


def leave_url(activity_id: int) -> str:
    return f"{V1}/activities/{activity_id}/leave"


def decision_url(activity_id: int, leave_id: int) -> str:
    return f"{V1}/activities/{activity_id}/leave-requests/{leave_id}/decision"


async def ask(client: httpx.AsyncClient, scene: Scene, reason: str = "单位值班") -> httpx.Response:
    return await client.post(
        leave_url(scene.activity_id), json={"reason": reason}, headers=scene.member.headers
    )


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


async def rows(app: FastAPI) -> list[LeaveRequest]:
    # A short session of its own: on SQLite an open transaction would hold the writer lock.
    async with app.state.runtime.sessionmaker() as session:
        return list((await session.scalars(select(LeaveRequest).order_by(LeaveRequest.id))).all())


async def summary(app: FastAPI, activity_id: int) -> RosterSummary:
    runtime = app.state.runtime
    async with runtime.sessionmaker() as session:
        activity = await session.get(Activity, activity_id)
        assert activity is not None
        return await activity_figures(
            session, activity, settings=runtime.settings, now=runtime.clock.now()
        )


# --- asking, listing, deciding ------------------------------------------------------------------


async def test_member_asks_secretary_approves_and_the_member_counts_as_excused(
    client: httpx.AsyncClient, scene: Scene, app: FastAPI, clock: FrozenClock
) -> None:
    asked = await ask(client, scene, "  出差在外地  ")
    assert asked.status_code == 201, asked.text
    leave = asked.json()
    assert leave["status"] == "pending"
    assert leave["reason"] == "出差在外地"
    assert leave["member_id"] == scene.member.member.id
    assert leave["member_name"] == scene.member.member.name
    assert leave["activity_id"] == scene.activity_id
    assert leave["decided_at"] is None

    listed = await client.get(
        f"{V1}/activities/{scene.activity_id}/leave-requests", headers=scene.secretary.headers
    )
    assert listed.status_code == 200
    assert [(r["id"], r["member_name"], r["status"]) for r in listed.json()["items"]] == [
        (leave["id"], scene.member.member.name, "pending")
    ]
    assert listed.json()["next_cursor"] is None

    clock.advance(minutes=5)
    decided = await client.post(
        decision_url(scene.activity_id, leave["id"]),
        json={"approve": True, "note": "同意"},
        headers=scene.secretary.headers,
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["status"] == "approved"
    assert body["decision_note"] == "同意"
    assert body["decided_by_account_id"] == scene.secretary.account.id
    assert datetime.fromisoformat(body["decided_at"]) == clock.now().replace(microsecond=0)

    [stored] = await rows(app)
    assert stored.status is LeaveStatus.APPROVED
    assert stored.decided_at == clock.now()
    figures = await summary(app, scene.activity_id)
    # Expected: the secretary (a member of the branch) and the member; the member is excused,
    # the secretary pending (not absent while check-in is still open).
    assert (figures.expected, figures.present, figures.excused, figures.absent) == (2, 0, 1, 0)
    assert figures.pending == 1


async def test_rejected_leave_is_not_excused_and_can_be_asked_again(
    client: httpx.AsyncClient, scene: Scene, app: FastAPI
) -> None:
    first = (await ask(client, scene)).json()
    rejected = await client.post(
        decision_url(scene.activity_id, first["id"]),
        json={"approve": False, "note": "会议重要，请安排时间参加"},
        headers=scene.secretary.headers,
    )
    assert rejected.json()["status"] == "rejected"
    assert (await summary(app, scene.activity_id)).excused == 0

    again = await ask(client, scene, "确实无法参加：住院")
    assert again.status_code == 201, again.text
    reopened = again.json()
    assert reopened["id"] == first["id"]
    assert reopened["status"] == "pending"
    assert reopened["reason"] == "确实无法参加：住院"
    assert reopened["decided_at"] is None
    assert reopened["decided_by_account_id"] is None
    assert reopened["decision_note"] is None
    assert len(await rows(app)) == 1


async def test_pending_or_approved_leave_cannot_be_asked_twice(
    client: httpx.AsyncClient, scene: Scene, app: FastAPI
) -> None:
    first = (await ask(client, scene)).json()
    twice = await ask(client, scene, "再说一次")
    assert twice.status_code == 409
    assert error_code(twice) == "leave.already_requested"
    assert twice.json()["error"]["details"]["leave_request"] == {
        "id": first["id"],
        "status": "pending",
    }

    await client.post(
        decision_url(scene.activity_id, first["id"]),
        json={"approve": True},
        headers=scene.secretary.headers,
    )
    thrice = await ask(client, scene, "再说一次")
    assert thrice.status_code == 409
    assert error_code(thrice) == "leave.already_requested"
    [stored] = await rows(app)
    assert stored.reason == "单位值班"
    assert stored.status is LeaveStatus.APPROVED


async def test_only_a_pending_request_can_be_decided(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    leave = (await ask(client, scene)).json()
    url = decision_url(scene.activity_id, leave["id"])
    assert (
        await client.post(url, json={"approve": True}, headers=scene.secretary.headers)
    ).status_code == 200
    again = await client.post(url, json={"approve": False}, headers=scene.secretary.headers)
    assert again.status_code == 409
    assert error_code(again) == "leave.not_pending"
    assert again.json()["error"]["details"] == {"status": "approved"}

    await client.delete(leave_url(scene.activity_id), headers=scene.member.headers)
    withdrawn = await client.post(url, json={"approve": True}, headers=scene.secretary.headers)
    assert withdrawn.status_code == 409
    assert error_code(withdrawn) == "leave.not_pending"


async def test_a_leave_id_of_another_activity_is_not_found(
    client: httpx.AsyncClient, scene: Scene, clock: FrozenClock, app: FastAPI
) -> None:
    leave = (await ask(client, scene)).json()
    other = await create_activity(
        client,
        scene.secretary.headers,
        scene.world.branch_a1,
        starts_at=clock.now() + timedelta(days=1),
    )
    response = await client.post(
        decision_url(other, leave["id"]), json={"approve": True}, headers=scene.secretary.headers
    )
    assert response.status_code == 404
    assert error_code(response) == "leave.not_found"
    missing = await client.post(
        decision_url(scene.activity_id, 999999),
        json={"approve": True},
        headers=scene.secretary.headers,
    )
    assert missing.status_code == 404
    assert error_code(missing) == "leave.not_found"
    [stored] = await rows(app)
    assert stored.status is LeaveStatus.PENDING


# --- refusals when asking ----------------------------------------------------------------------


async def test_an_account_without_a_member_record_is_refused(
    client: httpx.AsyncClient, scene: Scene, factory: Factory
) -> None:
    account = await factory.account()
    headers = factory.headers_for(account)
    asked = await client.post(
        leave_url(scene.activity_id), json={"reason": "请假"}, headers=headers
    )
    assert asked.status_code == 403
    assert error_code(asked) == "auth.not_a_member"
    withdrawn = await client.delete(leave_url(scene.activity_id), headers=headers)
    assert withdrawn.status_code == 403
    assert error_code(withdrawn) == "auth.not_a_member"
    mine = await client.get(f"{V1}/me/leave-requests", headers=headers)
    assert mine.status_code == 200
    assert mine.json() == {"items": [], "next_cursor": None}


async def test_a_member_not_on_the_expected_list_is_refused(
    client: httpx.AsyncClient, scene: Scene, factory: Factory, app: FastAPI
) -> None:
    # Joined the branch after the activity was created: sees it, but is not expected.
    newcomer = await factory.actor(None, None, relation=scene.world.branch_a1)
    shown = await client.get(f"{V1}/activities/{scene.activity_id}", headers=newcomer.headers)
    assert shown.status_code == 200
    asked = await client.post(
        leave_url(scene.activity_id), json={"reason": "请假"}, headers=newcomer.headers
    )
    assert asked.status_code == 409
    assert error_code(asked) == "leave.not_expected"
    assert await rows(app) == []


async def test_a_secretary_in_scope_but_not_expected_is_refused(
    client: httpx.AsyncClient, scene: Scene, factory: Factory
) -> None:
    # The street's committee admin manages the activity but belongs to no branch of it.
    admin = await factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    asked = await client.post(
        leave_url(scene.activity_id), json={"reason": "请假"}, headers=admin.headers
    )
    assert asked.status_code == 409
    assert error_code(asked) == "leave.not_expected"


async def test_draft_and_cancelled_activities_take_no_leave(
    client: httpx.AsyncClient, scene: Scene, clock: FrozenClock, app: FastAPI
) -> None:
    start = clock.now() + timedelta(hours=3)
    draft = await create_activity(
        client, scene.secretary.headers, scene.world.branch_a1, starts_at=start, publish=False
    )
    asked = await client.post(
        leave_url(draft), json={"reason": "请假"}, headers=scene.member.headers
    )
    # A member cannot see a draft at all, so it is not found rather than closed.
    assert asked.status_code == 404
    assert error_code(asked) == "activity.not_found"

    cancelled = await client.post(
        f"{V1}/activities/{scene.activity_id}/cancel",
        json={"reason": "场地临时不可用"},
        headers=scene.secretary.headers,
    )
    assert cancelled.status_code == 200
    asked = await ask(client, scene)
    assert asked.status_code == 409
    assert error_code(asked) == "leave.activity_not_open"
    assert await rows(app) == []


async def test_leave_is_asked_and_withdrawn_only_before_the_start(
    client: httpx.AsyncClient, scene: Scene, clock: FrozenClock, app: FastAPI
) -> None:
    asked = await ask(client, scene)
    assert asked.status_code == 201
    clock.advance(hours=1)  # the activity starts now
    withdrawn = await client.delete(leave_url(scene.activity_id), headers=scene.member.headers)
    assert withdrawn.status_code == 409
    assert error_code(withdrawn) == "leave.too_late"
    late_member = scene.secretary  # also expected, has not asked yet
    late = await client.post(
        leave_url(scene.activity_id), json={"reason": "临时有事"}, headers=late_member.headers
    )
    assert late.status_code == 409
    assert error_code(late) == "leave.too_late"
    [stored] = await rows(app)
    assert stored.status is LeaveStatus.PENDING


async def test_the_reason_is_required_and_bounded(
    client: httpx.AsyncClient, scene: Scene, app: FastAPI
) -> None:
    for body in ({"reason": "   "}, {"reason": "假" * 501}, {}, {"reason": "ok", "extra": 1}):
        response = await client.post(
            leave_url(scene.activity_id), json=body, headers=scene.member.headers
        )
        assert response.status_code == 422, body
        assert error_code(response) == "validation_failed", body
    ok = await ask(client, scene, "假" * 500)
    assert ok.status_code == 201
    leave_id = ok.json()["id"]
    note = await client.post(
        decision_url(scene.activity_id, leave_id),
        json={"approve": True, "note": "x" * 201},
        headers=scene.secretary.headers,
    )
    assert note.status_code == 422
    assert (await rows(app))[0].status is LeaveStatus.PENDING


# --- withdrawing ----------------------------------------------------------------------------


async def test_withdrawing_approved_leave_makes_the_member_expected_again(
    client: httpx.AsyncClient, scene: Scene, app: FastAPI
) -> None:
    leave = (await ask(client, scene)).json()
    await client.post(
        decision_url(scene.activity_id, leave["id"]),
        json={"approve": True},
        headers=scene.secretary.headers,
    )
    assert (await summary(app, scene.activity_id)).excused == 1
    withdrawn = await client.delete(leave_url(scene.activity_id), headers=scene.member.headers)
    assert withdrawn.status_code == 204
    assert withdrawn.content == b""
    [stored] = await rows(app)
    assert stored.status is LeaveStatus.WITHDRAWN
    assert (await summary(app, scene.activity_id)).excused == 0

    gone = await client.delete(leave_url(scene.activity_id), headers=scene.member.headers)
    assert gone.status_code == 404
    assert error_code(gone) == "leave.not_found"
    again = await ask(client, scene, "还是去不了")
    assert again.status_code == 201
    assert again.json()["status"] == "pending"
    assert again.json()["id"] == leave["id"]


async def test_withdrawing_without_a_request_is_not_found(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    response = await client.delete(leave_url(scene.activity_id), headers=scene.member.headers)
    assert response.status_code == 404
    assert error_code(response) == "leave.not_found"


async def test_withdrawing_a_rejected_request_is_not_found(
    client: httpx.AsyncClient, scene: Scene, app: FastAPI
) -> None:
    leave = (await ask(client, scene)).json()
    await client.post(
        decision_url(scene.activity_id, leave["id"]),
        json={"approve": False},
        headers=scene.secretary.headers,
    )
    response = await client.delete(leave_url(scene.activity_id), headers=scene.member.headers)
    assert response.status_code == 404
    assert error_code(response) == "leave.not_found"
    assert (await rows(app))[0].status is LeaveStatus.REJECTED


# --- the member's own list ------------------------------------------------------------------


async def test_my_leave_requests_newest_first_page_by_page(
    client: httpx.AsyncClient, scene: Scene, clock: FrozenClock
) -> None:
    ids = [(await ask(client, scene)).json()["id"]]
    for days in (1, 2):
        other = await create_activity(
            client,
            scene.secretary.headers,
            scene.world.branch_a1,
            starts_at=clock.now() + timedelta(days=days),
        )
        response = await client.post(
            leave_url(other), json={"reason": f"第{days}次"}, headers=scene.member.headers
        )
        ids.append(response.json()["id"])
    # Someone else's request is not listed.
    await client.post(
        leave_url(scene.activity_id), json={"reason": "书记也请假"}, headers=scene.secretary.headers
    )

    first = await client.get(
        f"{V1}/me/leave-requests", params={"limit": 2}, headers=scene.member.headers
    )
    assert first.status_code == 200
    page = first.json()
    assert [r["id"] for r in page["items"]] == ids[::-1][:2]
    assert page["items"][0]["activity_title"]
    assert page["next_cursor"]
    second = await client.get(
        f"{V1}/me/leave-requests",
        params={"limit": 2, "cursor": page["next_cursor"]},
        headers=scene.member.headers,
    )
    assert [r["id"] for r in second.json()["items"]] == [ids[0]]
    assert second.json()["next_cursor"] is None


async def test_an_activitys_leave_requests_are_paged_oldest_first_and_filtered_by_status(
    client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    members = [await factory.actor(None, None, relation=world.branch_a1) for _ in range(3)]
    activity_id = await create_activity(
        client, secretary.headers, world.branch_a1, starts_at=clock.now() + timedelta(hours=1)
    )
    ids = []
    for member in members:
        asked = await client.post(
            leave_url(activity_id), json={"reason": "出差"}, headers=member.headers
        )
        assert asked.status_code == 201, asked.text
        ids.append(asked.json()["id"])
    rejected = await client.post(
        decision_url(activity_id, ids[1]), json={"approve": False}, headers=secretary.headers
    )
    assert rejected.status_code == 200, rejected.text
    url = f"{V1}/activities/{activity_id}/leave-requests"

    first = await client.get(url, params={"limit": 1}, headers=secretary.headers)
    assert first.status_code == 200, first.text
    assert [r["id"] for r in first.json()["items"]] == [ids[0]]
    assert first.json()["next_cursor"]
    rest = await client.get(
        url, params={"limit": 5, "cursor": first.json()["next_cursor"]}, headers=secretary.headers
    )
    assert rest.status_code == 200, rest.text
    assert [r["id"] for r in rest.json()["items"]] == ids[1:]
    assert rest.json()["next_cursor"] is None

    pending = await client.get(url, params={"status": "pending"}, headers=secretary.headers)
    assert pending.status_code == 200, pending.text
    assert [(r["id"], r["status"]) for r in pending.json()["items"]] == [
        (ids[0], "pending"),
        (ids[2], "pending"),
    ]
    refused = await client.get(url, params={"status": "rejected"}, headers=secretary.headers)
    assert [r["id"] for r in refused.json()["items"]] == [ids[1]]
    mine = await client.get(
        f"{V1}/me/leave-requests", params={"status": "rejected"}, headers=members[1].headers
    )
    assert [r["id"] for r in mine.json()["items"]] == [ids[1]]
    none = await client.get(
        f"{V1}/me/leave-requests", params={"status": "rejected"}, headers=members[0].headers
    )
    assert none.json() == {"items": [], "next_cursor": None}
    bad = await client.get(url, params={"status": "lost"}, headers=secretary.headers)
    assert bad.status_code == 422
    assert error_code(bad) == "validation_failed"


# --- scope ------------------------------------------------------------------------------------


async def test_a_sibling_branch_secretary_finds_none_of_it_and_changes_nothing(
    client: httpx.AsyncClient, scene: Scene, factory: Factory, app: FastAPI
) -> None:
    leave = (await ask(client, scene)).json()
    sibling = await factory.actor(Role.SECRETARY, scene.world.branch_a2)
    calls = [
        ("POST", leave_url(scene.activity_id), {"reason": "越权请假"}),
        ("DELETE", leave_url(scene.activity_id), None),
        ("GET", f"{V1}/activities/{scene.activity_id}/leave-requests", None),
        (
            "POST",
            decision_url(scene.activity_id, leave["id"]),
            {"approve": True, "note": "越权批准"},
        ),
    ]
    before = await snapshot(app)
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=sibling.headers)
        assert response.status_code == 404, (method, url, response.text)
        assert error_code(response) == "activity.not_found", (method, url)
    assert await snapshot(app) == before
    mine = await client.get(f"{V1}/me/leave-requests", headers=sibling.headers)
    assert mine.json()["items"] == []


async def test_a_plain_member_cannot_list_or_decide(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    leave = (await ask(client, scene)).json()
    listed = await client.get(
        f"{V1}/activities/{scene.activity_id}/leave-requests", headers=scene.member.headers
    )
    assert listed.status_code == 403
    assert error_code(listed) == "auth.forbidden"
    decided = await client.post(
        decision_url(scene.activity_id, leave["id"]),
        json={"approve": True},
        headers=scene.member.headers,
    )
    assert decided.status_code == 403
    assert error_code(decided) == "auth.forbidden"
