"""Nominations: made within the nominator's scope, decided once by the committee above,
listed per organization and year with a status filter, a page at a time, and as a sheet;
who may do what, and other organizations' 404."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.models import Member, PartyStatus, Role
from tests.factories import Actor, Factory, World, build_world
from tests.oversight.helpers import sheet_rows

V1 = "/api/v1/honours/nominations"


@dataclass
class Scene:
    world: World
    secretary: Actor  # of 甲一支部
    admin: Actor  # of 甲街道工委
    member: Member  # a full member of 甲一支部


@pytest.fixture
async def scene(factory: Factory) -> Scene:
    world = await build_world(factory)
    return Scene(
        world,
        secretary=await factory.actor(Role.SECRETARY, world.branch_a1),
        admin=await factory.actor(Role.COMMITTEE_ADMIN, world.street_a),
        member=await factory.member(world.branch_a1, world.social_a1, name="张明"),
    )


async def nominate(
    client: httpx.AsyncClient, actor: Actor, expected: int = 201, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        V1, json={"year": 2026, "reason": "党建引领发展成效显著", **body}, headers=actor.headers
    )
    assert response.status_code == expected, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def decide(
    client: httpx.AsyncClient, actor: Actor, nomination_id: int, decision: str = "approved"
) -> httpx.Response:
    return await client.post(
        f"{V1}/{nomination_id}/decision",
        json={"decision": decision, "reason": "经党委会研究同意"},
        headers=actor.headers,
    )


def code(answer: dict[str, Any] | httpx.Response) -> str:
    body = answer.json() if isinstance(answer, httpx.Response) else answer
    return str(body["error"]["code"])


async def test_lifecycle(client: httpx.AsyncClient, scene: Scene) -> None:
    w = scene.world
    branch = await nominate(
        client, scene.secretary, kind="double_strong_branch", org_id=w.branch_a1.id
    )
    assert branch["status"] == "pending"
    assert branch["status_label"] == "待决定"
    assert branch["kind_label"] == "双强党支部"
    assert (branch["subject_org_id"], branch["subject_member_id"]) == (w.branch_a1.id, None)
    assert branch["subject_name"] == "甲一支部"
    assert (branch["org_id"], branch["committee_id"]) == (w.branch_a1.id, w.street_a.id)
    assert branch["committee_name"] == "甲街道工委"
    assert branch["nominated_by"] == {
        "account_id": scene.secretary.account.id,
        "name": scene.secretary.member.name,
    }
    assert branch["decided_at"] is None

    post = await nominate(client, scene.secretary, kind="model_post", member_id=scene.member.id)
    assert (post["subject_name"], post["org_id"], post["kind_label"]) == (
        "张明",
        w.branch_a1.id,
        "党员示范岗",
    )
    # The same member for another honour, and the same honour another year: both fine.
    await nominate(client, scene.secretary, kind="double_strong_member", member_id=scene.member.id)
    await nominate(client, scene.secretary, kind="model_post", member_id=scene.member.id, year=2027)
    again = await nominate(
        client, scene.secretary, 409, kind="model_post", member_id=scene.member.id
    )
    assert code(again) == "honours.already_nominated"
    assert again["error"]["details"]["nomination_id"] == post["id"]

    approved = await decide(client, scene.admin, branch["id"])
    assert approved.status_code == 200, approved.text
    shown = approved.json()
    assert (shown["status"], shown["status_label"]) == ("approved", "已批准")
    assert shown["decision_reason"] == "经党委会研究同意"
    assert shown["decided_by"]["account_id"] == scene.admin.account.id
    assert shown["decided_at"].endswith("+08:00")

    twice = await decide(client, scene.admin, branch["id"], "rejected")
    assert twice.status_code == 409
    assert code(twice) == "honours.already_decided"
    assert twice.json()["error"]["message"] == "该推荐已作出决定，不能重复决定"
    assert twice.json()["error"]["details"]["status"] == "approved"
    read = await client.get(f"{V1}/{branch['id']}", headers=scene.secretary.headers)
    assert read.json()["status"] == "approved"

    rejected = await decide(client, scene.admin, post["id"], "rejected")
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["status_label"] == "未批准"


async def test_wrong_subjects(client: httpx.AsyncClient, factory: Factory, scene: Scene) -> None:
    w = scene.world
    masses = await factory.member(w.branch_a1, party_status=PartyStatus.MASSES)
    for body in (
        {"kind": "double_strong_branch", "member_id": scene.member.id},
        {"kind": "model_post", "org_id": w.branch_a1.id},
        {"kind": "model_post"},
        {"kind": "model_post", "org_id": w.branch_a1.id, "member_id": scene.member.id},
        {"kind": "double_strong_branch", "org_id": w.social_a1.id},
        {"kind": "double_strong_branch", "org_id": w.street_a.id},
        {"kind": "double_strong_member", "member_id": masses.id},
    ):
        refused = await nominate(client, scene.admin, 422, **body)
        assert code(refused) == "honours.wrong_subject", body
    for body in (
        {"kind": "unknown", "org_id": w.branch_a1.id},
        {"kind": "double_strong_branch", "org_id": w.branch_a1.id, "year": 1999},
        {"kind": "double_strong_branch", "org_id": w.branch_a1.id, "reason": ""},
    ):
        refused = await nominate(client, scene.admin, 422, **body)
        assert code(refused) == "validation_failed", body


async def test_permissions_and_scope(
    client: httpx.AsyncClient, factory: Factory, scene: Scene
) -> None:
    w = scene.world
    nominated = await nominate(
        client, scene.secretary, kind="double_strong_branch", org_id=w.branch_a1.id
    )
    # A secretary nominates within their branch only.
    outside = await nominate(
        client, scene.secretary, 404, kind="double_strong_branch", org_id=w.branch_a2.id
    )
    assert code(outside) == "org.not_found"
    stranger = await factory.member(w.branch_a2)
    outside = await nominate(client, scene.secretary, 404, kind="model_post", member_id=stranger.id)
    assert code(outside) == "member.not_found"

    # Secretaries and instructors do not decide; a plain member does nothing.
    assert (await decide(client, scene.secretary, nominated["id"])).status_code == 403
    instructor = await factory.actor(Role.INSTRUCTOR, w.street_a)
    assert (await decide(client, instructor, nominated["id"])).status_code == 403
    refused = await nominate(
        client, instructor, 403, kind="double_strong_branch", org_id=w.branch_a2.id
    )
    assert code(refused) == "auth.forbidden"
    plain = await factory.actor(None, None, relation=w.branch_a1)
    answer = await client.get(f"{V1}/{nominated['id']}", headers=plain.headers)
    assert answer.status_code == 403

    # The sibling street's admin: not found, and nothing decided.
    other = await factory.actor(Role.COMMITTEE_ADMIN, w.street_b)
    for response in (
        await decide(client, other, nominated["id"]),
        await client.get(f"{V1}/{nominated['id']}", headers=other.headers),
    ):
        assert response.status_code == 404
        assert code(response) == "honours.nomination_not_found"
    refused = await nominate(client, other, 404, kind="double_strong_branch", org_id=w.branch_a2.id)
    assert code(refused) == "org.not_found"
    sibling = await factory.actor(Role.SECRETARY, w.branch_a2)
    hidden = await client.get(f"{V1}/{nominated['id']}", headers=sibling.headers)
    assert code(hidden) == "honours.nomination_not_found"
    read = await client.get(f"{V1}/{nominated['id']}", headers=scene.admin.headers)
    assert read.json()["status"] == "pending"

    # The city's admin decides for the streets below it.
    city = await factory.actor(Role.COMMITTEE_ADMIN, w.city)
    assert (await decide(client, city, nominated["id"])).status_code == 200


async def test_the_list_and_sheet(
    client: httpx.AsyncClient, factory: Factory, scene: Scene
) -> None:
    w = scene.world
    a2_member = await factory.member(w.branch_a2, name="李红")
    b_member = await factory.member(w.joint_b, name="王强")
    city = await factory.actor(Role.COMMITTEE_ADMIN, w.city)
    first = await nominate(client, scene.admin, kind="double_strong_branch", org_id=w.branch_a1.id)
    second = await nominate(client, scene.admin, kind="double_strong_branch", org_id=w.branch_a2.id)
    third = await nominate(client, scene.admin, kind="model_post", member_id=a2_member.id)
    fourth = await nominate(client, city, kind="model_post", member_id=b_member.id)
    earlier = await nominate(
        client, scene.admin, kind="model_post", member_id=scene.member.id, year=2025
    )
    await decide(client, scene.admin, first["id"])
    await decide(client, scene.admin, second["id"], "rejected")

    async def ids(actor: Actor, query: str) -> list[int]:
        response = await client.get(f"{V1}?{query}", headers=actor.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    street = f"org_id={w.street_a.id}&year=2026"
    assert await ids(scene.admin, street) == [first["id"], second["id"], third["id"]]
    assert await ids(scene.admin, f"{street}&status=pending") == [third["id"]]
    assert await ids(scene.admin, f"{street}&status=approved") == [first["id"]]
    assert await ids(scene.admin, f"{street}&status=rejected") == [second["id"]]
    assert await ids(scene.admin, f"{street}&kind=model_post") == [third["id"]]
    assert await ids(scene.admin, f"org_id={w.street_a.id}&year=2025") == [earlier["id"]]
    assert await ids(city, f"org_id={w.city.id}&year=2026") == [
        first["id"],
        second["id"],
        third["id"],
        fourth["id"],
    ]
    sibling = await factory.actor(Role.SECRETARY, w.branch_a2)
    assert await ids(sibling, f"org_id={w.branch_a2.id}&year=2026") == [second["id"], third["id"]]
    for path in ("", ".xlsx"):
        hidden = await client.get(
            f"{V1}{path}?org_id={w.street_a.id}&year=2026", headers=sibling.headers
        )
        assert hidden.status_code == 404
        assert code(hidden) == "org.not_found"

    pages: list[int] = []
    cursor = ""
    while True:
        response = await client.get(
            f"{V1}?org_id={w.city.id}&year=2026&limit=3{cursor}", headers=city.headers
        )
        body = response.json()
        pages.append(len(body["items"]))
        if body["next_cursor"] is None:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert pages == [3, 1]

    response = await client.get(
        f"{V1}.xlsx?{street}&kind=double_strong_branch", headers=scene.admin.headers
    )
    rows = sheet_rows(response)
    assert rows[0][0] == "2026年度荣誉推荐情况"
    assert rows[1:4] == [
        ["组织：甲街道工委", *[None] * 11],
        ["年度：2026", *[None] * 11],
        ["荣誉项目：双强党支部", *[None] * 11],
    ]
    assert str(rows[4][0]).startswith("生成时间：")
    assert rows[5][:6] == ["编号", "荣誉项目", "推荐对象", "所在组织", "决定党委", "推荐理由"]
    assert rows[5][8:] == ["状态", "决定理由", "决定人", "决定时间"]
    assert [(r[0], r[2], r[8], r[9]) for r in rows[6:8]] == [
        (first["id"], "甲一支部", "已批准", "经党委会研究同意"),
        (second["id"], "甲二支部", "未批准", "经党委会研究同意"),
    ]
    assert rows[7][4] == "甲街道工委"
    assert rows[9][0] == "共 2 项，待决定 0 项，已批准 1 项，未批准 1 项"
