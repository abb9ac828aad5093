"""Party groups (党小组) and the branch committee (支委) through the API: who may keep them,
who may be in them, and what the database holds afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.kit.clock import FrozenClock
from app.models import CommitteeSeat, Member, PartyGroup, PartyGroupMember, Role
from tests.factories import Actor, Factory, World, build_world

T0 = datetime(2025, 6, 1, 2, 0, 0, tzinfo=UTC)
V1 = "/api/v1"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@dataclass
class Scene:
    client: httpx.AsyncClient
    app: FastAPI
    factory: Factory
    world: World
    secretary: Actor  # of branch_a1
    members: list[Member]  # current members of branch_a1

    def groups_url(self, branch_id: int | None = None) -> str:
        return f"{V1}/orgs/{branch_id or self.world.branch_a1.id}/party-groups"

    def committee_url(self, branch_id: int | None = None) -> str:
        return f"{V1}/orgs/{branch_id or self.world.branch_a1.id}/committee"

    async def create_group(
        self, name: str, *, by: Actor | None = None, **fields: Any
    ) -> httpx.Response:
        return await self.client.post(
            self.groups_url(), json={"name": name, **fields}, headers=(by or self.secretary).headers
        )

    async def group_rows(self) -> list[tuple[int, int, int]]:
        async with self.app.state.runtime.sessionmaker() as session:
            rows = await session.execute(
                select(
                    PartyGroupMember.group_id, PartyGroupMember.member_id, PartyGroupMember.org_id
                ).order_by(PartyGroupMember.group_id, PartyGroupMember.member_id)
            )
            return [tuple(row) for row in rows]

    async def seat_rows(self) -> list[tuple[int, int, str]]:
        async with self.app.state.runtime.sessionmaker() as session:
            rows = await session.execute(
                select(CommitteeSeat.org_id, CommitteeSeat.member_id, CommitteeSeat.post).order_by(
                    CommitteeSeat.id
                )
            )
            return [(org_id, member_id, post.value) for org_id, member_id, post in rows]


@pytest.fixture
async def scene(client: httpx.AsyncClient, app: FastAPI, factory: Factory) -> Scene:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    members = [await factory.member(relation=world.branch_a1) for _ in range(4)]
    return Scene(client, app, factory, world, secretary, members)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


# --- party groups -----------------------------------------------------------------------------


async def test_secretary_sets_up_a_party_group(scene: Scene) -> None:
    m1, m2, m3, _ = scene.members
    created = await scene.create_group(
        "第一党小组", leader_member_id=m1.id, member_ids=[m2.id, m3.id, m2.id]
    )
    assert created.status_code == 201, created.text
    group = created.json()
    assert group["name"] == "第一党小组"
    assert group["org_id"] == scene.world.branch_a1.id
    assert group["leader_member_id"] == m1.id
    assert group["leader_name"] == m1.name
    assert group["member_count"] == 3  # the leader joins the group
    assert group["created_at"].endswith("+08:00")
    assert await scene.group_rows() == [
        (group["id"], m, scene.world.branch_a1.id) for m in sorted([m1.id, m2.id, m3.id])
    ]

    second = await scene.create_group("第二党小组")
    assert second.status_code == 201
    assert second.json()["member_count"] == 0
    assert second.json()["leader_name"] is None

    listed = await scene.client.get(
        scene.groups_url(), params={"limit": 1}, headers=scene.secretary.headers
    )
    assert listed.status_code == 200
    assert [g["name"] for g in listed.json()["items"]] == ["第一党小组"]
    rest = await scene.client.get(
        scene.groups_url(),
        params={"limit": 1, "cursor": listed.json()["next_cursor"]},
        headers=scene.secretary.headers,
    )
    assert [g["name"] for g in rest.json()["items"]] == ["第二党小组"]
    assert rest.json()["next_cursor"] is None

    members = await scene.client.get(
        f"{scene.groups_url()}/{group['id']}/members",
        params={"limit": 2},
        headers=scene.secretary.headers,
    )
    assert members.status_code == 200
    ordered = sorted([(m1.id, m1.name), (m2.id, m2.name), (m3.id, m3.name)])
    assert [(m["member_id"], m["name"]) for m in members.json()["items"]] == ordered[:2]
    assert members.json()["next_cursor"] is not None

    one = await scene.client.get(
        f"{scene.groups_url()}/{group['id']}", headers=scene.secretary.headers
    )
    assert one.status_code == 200
    assert one.json() == group


async def test_a_member_is_in_one_group_of_their_branch(scene: Scene) -> None:
    m1, m2, _, _ = scene.members
    first = (await scene.create_group("第一党小组", member_ids=[m1.id])).json()
    second = (await scene.create_group("第二党小组", member_ids=[m2.id])).json()
    before = await scene.group_rows()

    again = await scene.create_group("第三党小组", member_ids=[m1.id])
    assert again.status_code == 409
    assert error_code(again) == "party_group.member_in_other_group"
    assert again.json()["error"]["details"] == {"member_ids": [m1.id]}
    moved = await scene.client.post(
        f"{scene.groups_url()}/{second['id']}/members",
        json={"member_ids": [m2.id, m1.id]},
        headers=scene.secretary.headers,
    )
    assert moved.status_code == 409
    assert error_code(moved) == "party_group.member_in_other_group"
    assert await scene.group_rows() == before
    async with scene.app.state.runtime.sessionmaker() as session:
        names = list(await session.scalars(select(PartyGroup.name).order_by(PartyGroup.id)))
    assert names == ["第一党小组", "第二党小组"]

    # Adding one already there changes nothing; taking them out lets them move.
    twice = await scene.client.post(
        f"{scene.groups_url()}/{first['id']}/members",
        json={"member_ids": [m1.id]},
        headers=scene.secretary.headers,
    )
    assert twice.status_code == 204
    assert await scene.group_rows() == before
    out = await scene.client.delete(
        f"{scene.groups_url()}/{first['id']}/members/{m1.id}", headers=scene.secretary.headers
    )
    assert out.status_code == 204
    assert (
        await scene.client.post(
            f"{scene.groups_url()}/{second['id']}/members",
            json={"member_ids": [m1.id]},
            headers=scene.secretary.headers,
        )
    ).status_code == 204
    branch = scene.world.branch_a1.id
    assert await scene.group_rows() == sorted(
        [(second["id"], m1.id, branch), (second["id"], m2.id, branch)]
    )
    gone = await scene.client.delete(
        f"{scene.groups_url()}/{first['id']}/members/{m1.id}", headers=scene.secretary.headers
    )
    assert gone.status_code == 404
    assert error_code(gone) == "party_group.member_not_found"


async def test_members_must_be_current_members_of_the_branch(scene: Scene) -> None:
    w = scene.world
    m1, leaving, _, _ = scene.members
    sibling = await scene.factory.member(relation=w.branch_a2)
    worker = await scene.factory.member(relation=w.joint_b, workplace=w.social_a1)
    departed = await scene.client.post(
        f"{V1}/members/{leaving.id}/departure",
        json={"reason": "moved_away", "left_on": "2025-05-01"},
        headers=scene.secretary.headers,
    )
    assert departed.status_code == 200, departed.text

    for outsider in (sibling, worker, leaving):
        refused = await scene.create_group("第一党小组", member_ids=[m1.id, outsider.id])
        assert refused.status_code == 422, refused.text
        assert error_code(refused) == "groups.member_not_in_branch"
        assert refused.json()["error"]["details"] == {"member_ids": [outsider.id]}
        seat = await scene.client.put(
            scene.committee_url(),
            json={"seats": [{"member_id": outsider.id, "post": "secretary"}]},
            headers=scene.secretary.headers,
        )
        assert seat.status_code == 422
        assert error_code(seat) == "groups.member_not_in_branch"
    assert await scene.group_rows() == []
    assert await scene.seat_rows() == []


async def test_leader_name_and_deletion_rules(scene: Scene) -> None:
    m1, m2, m3, _ = scene.members
    group = (
        await scene.create_group("第一党小组", leader_member_id=m1.id, member_ids=[m2.id])
    ).json()
    url = f"{scene.groups_url()}/{group['id']}"
    await scene.create_group("第二党小组")

    taken = await scene.client.patch(
        url, json={"name": "第二党小组"}, headers=scene.secretary.headers
    )
    assert taken.status_code == 409
    assert error_code(taken) == "party_group.name_taken"
    same = await scene.create_group("第一党小组")
    assert error_code(same) == "party_group.name_taken"
    outsider = await scene.client.patch(
        url, json={"leader_member_id": m3.id}, headers=scene.secretary.headers
    )
    assert outsider.status_code == 422
    assert error_code(outsider) == "party_group.leader_not_member"
    leader_out = await scene.client.delete(
        f"{url}/members/{m1.id}", headers=scene.secretary.headers
    )
    assert leader_out.status_code == 409
    assert error_code(leader_out) == "party_group.leader_removal"

    changed = await scene.client.patch(
        url, json={"name": "机关党小组", "leader_member_id": m2.id}, headers=scene.secretary.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "机关党小组"
    assert changed.json()["leader_name"] == m2.name
    cleared = await scene.client.patch(
        url, json={"leader_member_id": None}, headers=scene.secretary.headers
    )
    assert cleared.json()["leader_member_id"] is None
    kept = await scene.client.patch(
        url, json={"name": "机关党小组"}, headers=scene.secretary.headers
    )
    assert kept.json()["leader_member_id"] is None

    # A group whose meetings are on record stays; an unused one goes, with its members.
    meeting = await scene.client.post(
        f"{V1}/activities",
        json={
            "org_id": scene.world.branch_a1.id,
            "type": "party_group",
            "party_group_id": group["id"],
            "title": "党小组会",
            "starts_at": (T0 + timedelta(days=1)).isoformat(),
            "ends_at": (T0 + timedelta(days=1, hours=1)).isoformat(),
        },
        headers=scene.secretary.headers,
    )
    assert meeting.status_code == 201, meeting.text
    refused = await scene.client.delete(url, headers=scene.secretary.headers)
    assert refused.status_code == 409
    assert error_code(refused) == "party_group.has_activities"
    unused = (await scene.create_group("第三党小组", member_ids=[m3.id])).json()
    deleted = await scene.client.delete(
        f"{scene.groups_url()}/{unused['id']}", headers=scene.secretary.headers
    )
    assert deleted.status_code == 204
    assert unused["id"] not in {row[0] for row in await scene.group_rows()}
    again = await scene.client.get(
        f"{scene.groups_url()}/{unused['id']}", headers=scene.secretary.headers
    )
    assert again.status_code == 404
    assert error_code(again) == "party_group.not_found"


async def test_scope_of_groups_and_committee(scene: Scene) -> None:
    w = scene.world
    m1 = scene.members[0]
    group = (await scene.create_group("第一党小组", member_ids=[m1.id])).json()
    sibling = await scene.factory.actor(Role.SECRETARY, w.branch_a2)
    before = (await scene.group_rows(), await scene.seat_rows())

    own_url = f"{scene.groups_url()}/{group['id']}"
    for method, url, body in (
        ("GET", scene.groups_url(), None),
        ("POST", scene.groups_url(), {"name": "越权"}),
        ("GET", own_url, None),
        ("PATCH", own_url, {"name": "越权"}),
        ("DELETE", own_url, None),
        ("GET", f"{own_url}/members", None),
        ("POST", f"{own_url}/members", {"member_ids": [m1.id]}),
        ("DELETE", f"{own_url}/members/{m1.id}", None),
        ("GET", scene.committee_url(), None),
        ("PUT", scene.committee_url(), {"seats": [{"member_id": m1.id, "post": "secretary"}]}),
    ):
        response = await scene.client.request(method, url, json=body, headers=sibling.headers)
        assert response.status_code == 404, (method, url, response.text)
        assert error_code(response) == "org.not_found"
    # Through their own branch, our group is not theirs.
    through_own = await scene.client.get(
        f"{scene.groups_url(w.branch_a2.id)}/{group['id']}", headers=sibling.headers
    )
    assert through_own.status_code == 404
    assert error_code(through_own) == "party_group.not_found"
    assert (await scene.group_rows(), await scene.seat_rows()) == before

    # An instructor reads them, does not keep them; a plain member does neither.
    instructor = await scene.factory.actor(Role.INSTRUCTOR, w.branch_a1)
    assert (await scene.client.get(own_url, headers=instructor.headers)).status_code == 200
    write = await scene.create_group("指导员建的", by=instructor)
    assert write.status_code == 403
    plain = await scene.factory.actor(None, None, relation=w.branch_a1)
    assert (await scene.client.get(scene.groups_url(), headers=plain.headers)).status_code == 403
    # A committee admin keeps those below; groups belong to branches only.
    admin = await scene.factory.actor(Role.COMMITTEE_ADMIN, w.street_a)
    assert (await scene.create_group("街道建的", by=admin)).status_code == 201
    for org in (w.street_a, w.social_a1):
        refused = await scene.client.get(scene.groups_url(org.id), headers=admin.headers)
        assert refused.status_code == 422
        assert error_code(refused) == "groups.not_a_branch"


# --- the branch committee ----------------------------------------------------------------------


async def test_secretary_sets_the_committee(scene: Scene) -> None:
    m1, m2, m3, m4 = scene.members
    branch = scene.world.branch_a1.id
    seats = [
        {"member_id": m1.id, "post": "secretary"},
        {"member_id": m2.id, "post": "organization"},
        {"member_id": m2.id, "post": "discipline"},  # 组织委员兼纪检委员
        {"member_id": m3.id, "post": "member"},
        {"member_id": m3.id, "post": "member"},
    ]
    put = await scene.client.put(
        scene.committee_url(), json={"seats": seats}, headers=scene.secretary.headers
    )
    assert put.status_code == 200, put.text
    assert put.json()["next_cursor"] is None
    assert [
        (s["member_id"], s["member_name"], s["post"], s["post_label"]) for s in put.json()["items"]
    ] == [
        (m1.id, m1.name, "secretary", "书记"),
        (m2.id, m2.name, "organization", "组织委员"),
        (m2.id, m2.name, "discipline", "纪检委员"),
        (m3.id, m3.name, "member", "委员"),
    ]
    assert await scene.seat_rows() == [
        (branch, m1.id, "secretary"),
        (branch, m2.id, "organization"),
        (branch, m2.id, "discipline"),
        (branch, m3.id, "member"),
    ]
    first = await scene.client.get(
        scene.committee_url(), params={"limit": 3}, headers=scene.secretary.headers
    )
    assert [s["post"] for s in first.json()["items"]] == ["secretary", "organization", "discipline"]
    rest = await scene.client.get(
        scene.committee_url(),
        params={"limit": 3, "cursor": first.json()["next_cursor"]},
        headers=scene.secretary.headers,
    )
    assert [s["member_id"] for s in rest.json()["items"]] == [m3.id]

    two = await scene.client.put(
        scene.committee_url(),
        json={
            "seats": [
                {"member_id": m1.id, "post": "secretary"},
                {"member_id": m4.id, "post": "secretary"},
            ]
        },
        headers=scene.secretary.headers,
    )
    assert two.status_code == 422
    assert error_code(two) == "committee.post_taken"
    assert two.json()["error"]["details"] == {"post": "secretary"}
    unknown = await scene.client.put(
        scene.committee_url(),
        json={"seats": [{"member_id": m1.id, "post": "chairman"}]},
        headers=scene.secretary.headers,
    )
    assert unknown.status_code == 422

    deputies = [
        {"member_id": m4.id, "post": "secretary"},
        {"member_id": m1.id, "post": "deputy_secretary"},
        {"member_id": m2.id, "post": "deputy_secretary"},
    ]
    replaced = await scene.client.put(
        scene.committee_url(), json={"seats": deputies}, headers=scene.secretary.headers
    )
    assert replaced.status_code == 200
    assert await scene.seat_rows() == [
        (branch, m4.id, "secretary"),
        (branch, m1.id, "deputy_secretary"),
        (branch, m2.id, "deputy_secretary"),
    ]
    emptied = await scene.client.put(
        scene.committee_url(), json={"seats": []}, headers=scene.secretary.headers
    )
    assert emptied.json() == {"items": [], "next_cursor": None}
    assert await scene.seat_rows() == []
