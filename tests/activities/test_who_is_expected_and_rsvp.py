"""Who a 支部委员会 and a 党小组会 expect, the RSVP and its counts, the expected list's pages,
and the managers' activity list (by start, cancelled left out unless asked, filters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.kit.clock import FrozenClock
from app.models import Activity, ActivityRsvp, Member, Role
from tests.factories import Actor, Factory, World, build_world

T0 = datetime(2025, 6, 1, 2, 0, 0, tzinfo=UTC)
START = T0 + timedelta(days=2)
V1 = "/api/v1"
ACTIVITIES = f"{V1}/activities"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


@dataclass
class Scene:
    client: httpx.AsyncClient
    app: FastAPI
    factory: Factory
    clock: FrozenClock
    world: World
    secretary: Actor  # of branch_a1, a member there too
    members: list[Actor]  # four more members of branch_a1

    async def create(self, *, publish: bool = False, **fields: Any) -> httpx.Response:
        start = fields.pop("starts_at", START)
        body = {
            "org_id": self.world.branch_a1.id,
            "type": "themed_party_day",
            "title": "主题党日",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            **fields,
        }
        created = await self.client.post(ACTIVITIES, json=body, headers=self.secretary.headers)
        if publish and created.status_code == 201:
            published = await self.client.post(
                f"{ACTIVITIES}/{created.json()['id']}/publish", headers=self.secretary.headers
            )
            assert published.status_code == 200, published.text
        return created

    async def expected(self, activity_id: int) -> list[int]:
        response = await self.client.get(
            f"{ACTIVITIES}/{activity_id}/expected",
            params={"limit": 100},
            headers=self.secretary.headers,
        )
        assert response.status_code == 200, response.text
        return [row["member_id"] for row in response.json()["items"]]

    async def summary(self, activity_id: int) -> dict[str, Any]:
        response = await self.client.get(
            f"{ACTIVITIES}/{activity_id}/rsvp-summary", headers=self.secretary.headers
        )
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def rsvp(self, activity_id: int, who: Actor) -> httpx.Response:
        return await self.client.put(
            f"{ACTIVITIES}/{activity_id}/rsvp", json={"answer": "attending"}, headers=who.headers
        )

    async def rsvp_rows(self) -> list[tuple[int, int, str]]:
        async with self.app.state.runtime.sessionmaker() as session:
            rows = await session.execute(
                select(ActivityRsvp.activity_id, ActivityRsvp.member_id, ActivityRsvp.answer)
            )
            return sorted((a, m, answer.value) for a, m, answer in rows)


@pytest.fixture
async def scene(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory, clock: FrozenClock
) -> Scene:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    members = [await factory.actor(None, None, relation=world.branch_a1) for _ in range(4)]
    return Scene(client, app, factory, clock, world, secretary, members)


def ids(*actors: Actor | Member) -> list[int]:
    return sorted(a.member.id if isinstance(a, Actor) else a.id for a in actors)


# --- who is expected ------------------------------------------------------------------------


async def test_a_branch_committee_meeting_expects_the_seat_holders(scene: Scene) -> None:
    m1, m2, m3, _ = scene.members
    seats = [
        {"member_id": scene.secretary.member.id, "post": "secretary"},
        {"member_id": m1.member.id, "post": "organization"},
        {"member_id": m1.member.id, "post": "discipline"},
        {"member_id": m2.member.id, "post": "propaganda"},
    ]
    put = await scene.client.put(
        f"{V1}/orgs/{scene.world.branch_a1.id}/committee",
        json={"seats": seats},
        headers=scene.secretary.headers,
    )
    assert put.status_code == 200, put.text
    lost = await scene.factory.member(relation=scene.world.branch_a1, is_lost_contact=True)
    assert lost

    created = await scene.create(type="branch_committee", title="支委会")
    assert created.status_code == 201, created.text
    assert created.json()["expected_count"] == 3
    assert await scene.expected(created.json()["id"]) == ids(scene.secretary, m1, m2)
    # The other meetings still expect the whole branch.
    general = await scene.create(type="branch_general_meeting", title="党员大会")
    assert m3.member.id in await scene.expected(general.json()["id"])
    assert len(await scene.expected(general.json()["id"])) == 5


async def test_a_branch_committee_meeting_needs_the_committee_or_a_list(scene: Scene) -> None:
    """A 支委会 of a branch with no committee recorded would expect nobody at all."""
    refused = await scene.create(type="branch_committee", title="支委会")
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "activity.no_branch_committee"
    assert refused.json()["error"]["message"].startswith("该支部尚未登记支委")
    named = await scene.create(
        type="branch_committee",
        title="支委会",
        expected_member_ids=ids(scene.secretary, scene.members[0]),
    )
    assert named.status_code == 201, named.text
    assert await scene.expected(named.json()["id"]) == ids(scene.secretary, scene.members[0])


async def test_a_party_group_meeting_expects_the_group(scene: Scene) -> None:
    m1, m2, m3, m4 = scene.members
    url = f"{V1}/orgs/{scene.world.branch_a1.id}/party-groups"
    group = await scene.client.post(
        url,
        json={"name": "第一党小组", "leader_member_id": m1.member.id, "member_ids": [m2.member.id]},
        headers=scene.secretary.headers,
    )
    other = await scene.client.post(
        url,
        json={"name": "第二党小组", "member_ids": [m3.member.id, m4.member.id]},
        headers=scene.secretary.headers,
    )
    assert group.status_code == other.status_code == 201

    created = await scene.create(
        type="party_group", title="党小组会", party_group_id=group.json()["id"]
    )
    assert created.status_code == 201, created.text
    assert created.json()["party_group_id"] == group.json()["id"]
    assert created.json()["expected_count"] == 2
    assert await scene.expected(created.json()["id"]) == ids(m1, m2)
    read = await scene.client.get(
        f"{ACTIVITIES}/{created.json()['id']}", headers=scene.secretary.headers
    )
    assert read.json()["party_group_id"] == group.json()["id"]


async def test_party_group_id_is_required_and_must_be_the_branchs(scene: Scene) -> None:
    w = scene.world
    sibling = await scene.factory.actor(Role.SECRETARY, w.branch_a2)
    theirs = await scene.client.post(
        f"{V1}/orgs/{w.branch_a2.id}/party-groups",
        json={"name": "兄弟支部党小组"},
        headers=sibling.headers,
    )
    ours = await scene.client.post(
        f"{V1}/orgs/{w.branch_a1.id}/party-groups",
        json={"name": "第一党小组"},
        headers=scene.secretary.headers,
    )
    async with scene.app.state.runtime.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(Activity))

    for fields, code in (
        ({"type": "party_group"}, "activity.party_group_required"),
        (
            {"type": "party_group", "party_group_id": theirs.json()["id"]},
            "activity.party_group_invalid",
        ),
        (
            {"type": "party_group", "party_group_id": 2_000_000_000},
            "activity.party_group_invalid",
        ),
        (
            {"type": "themed_party_day", "party_group_id": ours.json()["id"]},
            "activity.party_group_not_applicable",
        ),
    ):
        refused = await scene.create(**fields)
        assert refused.status_code == 422, (fields, refused.text)
        assert error_code(refused) == code
    async with scene.app.state.runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Activity)) == before

    # A change is checked against what is stored.
    day = (await scene.create()).json()
    url = f"{ACTIVITIES}/{day['id']}"
    to_group = await scene.client.patch(
        url, json={"type": "party_group"}, headers=scene.secretary.headers
    )
    assert to_group.status_code == 422
    assert error_code(to_group) == "activity.party_group_required"
    named = await scene.client.patch(
        url,
        json={"type": "party_group", "party_group_id": ours.json()["id"]},
        headers=scene.secretary.headers,
    )
    assert named.status_code == 200, named.text
    assert named.json()["party_group_id"] == ours.json()["id"]
    back = await scene.client.patch(
        url, json={"type": "party_lecture"}, headers=scene.secretary.headers
    )
    assert back.status_code == 200
    assert back.json()["party_group_id"] is None


async def test_the_expected_list_is_paged(scene: Scene) -> None:
    created = (await scene.create()).json()
    everyone = ids(scene.secretary, *scene.members)
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = await scene.client.get(
            f"{ACTIVITIES}/{created['id']}/expected", params=params, headers=scene.secretary.headers
        )
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) == 1
        seen += [row["member_id"] for row in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if len(seen) < len(everyone):
            assert cursor is not None
        if cursor is None:
            break
    assert seen == everyone


# --- RSVP -------------------------------------------------------------------------------------


async def test_rsvp_before_the_start_and_the_counts(scene: Scene) -> None:
    m1, m2, m3, m4 = scene.members
    activity = (await scene.create(publish=True)).json()
    url = f"{ACTIVITIES}/{activity['id']}"

    answered = await scene.rsvp(activity["id"], m1)
    assert answered.status_code == 200, answered.text
    assert answered.json() == {
        "activity_id": activity["id"],
        "answer": "attending",
        "answered_at": "2025-06-01T10:00:00+08:00",
        "leave_status": None,
    }
    assert (await scene.rsvp(activity["id"], m1)).status_code == 200  # again: the same
    asked = await scene.client.post(f"{url}/leave", json={"reason": "出差"}, headers=m2.headers)
    assert asked.status_code == 201, asked.text
    excused = await scene.client.post(f"{url}/leave", json={"reason": "生病"}, headers=m3.headers)
    decided = await scene.client.post(
        f"{url}/leave-requests/{excused.json()['id']}/decision",
        json={"approve": True},
        headers=scene.secretary.headers,
    )
    assert decided.status_code == 200, decided.text
    # Said they will come, then asked leave: leave counts.
    assert (await scene.rsvp(activity["id"], m4)).status_code == 200
    assert (
        await scene.client.post(f"{url}/leave", json={"reason": "临时有事"}, headers=m4.headers)
    ).status_code == 201

    assert await scene.summary(activity["id"]) == {
        "activity_id": activity["id"],
        "expected": 5,
        "attending": 1,
        "leave_requested": 2,
        "leave_approved": 1,
        "no_answer": 1,  # the secretary
    }
    on_leave = await scene.rsvp(activity["id"], m2)
    assert on_leave.status_code == 409
    assert error_code(on_leave) == "rsvp.on_leave"
    mine = await scene.client.get(f"{url}/rsvp", headers=m4.headers)
    assert mine.status_code == 200
    assert (mine.json()["answer"], mine.json()["leave_status"]) == ("attending", "pending")
    assert await scene.rsvp_rows() == sorted(
        [(activity["id"], m1.member.id, "attending"), (activity["id"], m4.member.id, "attending")]
    )

    withdrawn = await scene.client.delete(f"{url}/rsvp", headers=m1.headers)
    assert withdrawn.status_code == 204
    assert (await scene.summary(activity["id"]))["attending"] == 0
    nothing = await scene.client.delete(f"{url}/rsvp", headers=m1.headers)
    assert nothing.status_code == 404
    assert error_code(nothing) == "rsvp.not_found"
    assert (await scene.client.get(f"{url}/rsvp", headers=m1.headers)).json()["answer"] is None


async def test_rsvp_after_the_start_and_by_others_is_refused(scene: Scene) -> None:
    w = scene.world
    m1, m2, _, _ = scene.members
    activity = (await scene.create(publish=True)).json()
    draft = (await scene.create(title="草稿")).json()
    assert (await scene.rsvp(activity["id"], m1)).status_code == 200
    later = await scene.factory.actor(None, None, relation=w.branch_a1)  # not on the list
    sibling = await scene.factory.actor(None, None, relation=w.branch_a2)
    before = await scene.rsvp_rows()

    not_expected = await scene.rsvp(activity["id"], later)
    assert not_expected.status_code == 409
    assert error_code(not_expected) == "rsvp.not_expected"
    foreign = await scene.rsvp(activity["id"], sibling)
    assert foreign.status_code == 404
    assert error_code(foreign) == "activity.not_found"
    unpublished = await scene.rsvp(draft["id"], scene.secretary)
    assert unpublished.status_code == 409
    assert error_code(unpublished) == "rsvp.not_open"
    summary_by_member = await scene.client.get(
        f"{ACTIVITIES}/{activity['id']}/rsvp-summary", headers=m1.headers
    )
    assert summary_by_member.status_code == 403

    scene.clock.at = START
    too_late = await scene.rsvp(activity["id"], m2)
    assert too_late.status_code == 409
    assert error_code(too_late) == "rsvp.too_late"
    take_back = await scene.client.delete(f"{ACTIVITIES}/{activity['id']}/rsvp", headers=m1.headers)
    assert take_back.status_code == 409
    assert error_code(take_back) == "rsvp.too_late"
    assert await scene.rsvp_rows() == before
    assert (await scene.summary(activity["id"]))["attending"] == 1


# --- the managers' list -----------------------------------------------------------------------


async def test_the_activity_list_by_start_without_the_cancelled(scene: Scene) -> None:
    async def made(title: str, days: int, **fields: Any) -> int:
        created = await scene.create(
            title=title, starts_at=T0 + timedelta(days=days, hours=1), **fields
        )
        assert created.status_code == 201, created.text
        activity_id: int = created.json()["id"]
        return activity_id

    third = await made("第三", 3, publish=True)
    first = await made("第一", 1, type="party_lecture")
    cancelled = await made("取消", 2, publish=True)
    second = await made("第二", 2)  # the same start as the cancelled one
    cancel = await scene.client.post(
        f"{ACTIVITIES}/{cancelled}/cancel",
        json={"reason": "场地冲突"},
        headers=scene.secretary.headers,
    )
    assert cancel.status_code == 200

    async def listed(**params: Any) -> list[int]:
        response = await scene.client.get(
            ACTIVITIES, params={"limit": 100, **params}, headers=scene.secretary.headers
        )
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()["items"]]

    assert await listed() == [first, second, third]
    assert await listed(include_cancelled="true") == [first, cancelled, second, third]
    assert await listed(status="cancelled") == [cancelled]
    assert await listed(status="draft") == [first, second]
    assert await listed(status="published") == [third]
    assert await listed(type="party_lecture") == [first]
    assert await listed(type="party_lecture", status="published") == []

    # Pages walk the order, the same start included.
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1, "include_cancelled": "true"}
        if cursor:
            params["cursor"] = cursor
        page = await scene.client.get(ACTIVITIES, params=params, headers=scene.secretary.headers)
        seen += [a["id"] for a in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [first, cancelled, second, third]

    scene.clock.at = T0 + timedelta(days=3, hours=4)
    assert await listed(status="ended") == [third]
    assert await listed(status="published") == []
    for bad in ({"status": "finished"}, {"type": "picnic"}, {"include_cancelled": "yes"}):
        refused = await scene.client.get(ACTIVITIES, params=bad, headers=scene.secretary.headers)
        assert refused.status_code == 422, bad
    id_cursor = await scene.client.get(
        f"{ACTIVITIES}/{first}/expected", params={"limit": 1}, headers=scene.secretary.headers
    )
    wrong_list = await scene.client.get(
        ACTIVITIES,
        params={"cursor": id_cursor.json()["next_cursor"]},
        headers=scene.secretary.headers,
    )
    assert wrong_list.status_code == 422
    assert error_code(wrong_list) == "pagination.invalid_cursor"
