"""The subtree's list of checklists and its sheet, against figures counted by hand.

甲街道工委 (street_a)
  甲一支部 (branch_a1)   all six met                                  6, complete
  甲二支部 (branch_a2)   site met, facilities checked not met, rest unchecked   1
  甲总支 (general)       nothing checked                              0
    甲总支一支部 (g1)    five met, rules checked not met               5
  甲一协会 (social_a1)   a social organization: not listed
乙街道工委 (street_b)
  乙联合支部 (joint_b)   party_flag met                               1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.models import Organization, OrgKind, Role
from tests.factories import Actor, Factory, World, build_world
from tests.oversight.helpers import sheet_rows

V1 = "/api/v1"
ITEMS = ("site", "facilities", "signage", "party_flag", "reading", "rules")


@dataclass
class Tree:
    world: World
    general: Organization
    g1: Organization
    admin: Actor


async def check(
    client: httpx.AsyncClient, actor: Actor, org: Organization, item: str, met: bool
) -> None:
    response = await client.put(
        f"{V1}/orgs/{org.id}/venue/items/{item}", json={"met": met}, headers=actor.headers
    )
    assert response.status_code == 200, response.text


@pytest.fixture
async def tree(client: httpx.AsyncClient, factory: Factory) -> Tree:
    world = await build_world(factory)
    general = await factory.org(OrgKind.GENERAL_BRANCH, "甲总支", world.street_a)
    g1 = await factory.org(OrgKind.BRANCH, "甲总支一支部", general)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.city)
    for item in ITEMS:
        await check(client, admin, world.branch_a1, item, True)
    await check(client, admin, world.branch_a2, "site", True)
    await check(client, admin, world.branch_a2, "facilities", False)
    for item in ITEMS[:5]:
        await check(client, admin, g1, item, True)
    await check(client, admin, g1, "rules", False)
    await check(client, admin, world.joint_b, "party_flag", True)
    return Tree(world, general, g1, admin)


async def listed(client: httpx.AsyncClient, actor: Actor, query: str) -> dict[str, Any]:
    response = await client.get(f"{V1}/venue/checklists?{query}", headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_street_counted_by_hand(client: httpx.AsyncClient, tree: Tree) -> None:
    w = tree.world
    body = await listed(client, tree.admin, f"org_id={w.street_a.id}")
    assert (body["organizations"], body["complete"], body["incomplete"]) == (4, 1, 3)
    rows = {row["name"]: row for row in body["items"]}
    assert {name: row["met_count"] for name, row in rows.items()} == {
        "甲一支部": 6,
        "甲二支部": 1,
        "甲总支": 0,
        "甲总支一支部": 5,
    }
    assert rows["甲一支部"]["missing"] == []
    assert rows["甲二支部"]["missing"] == [
        "facilities",
        "signage",
        "party_flag",
        "reading",
        "rules",
    ]
    assert rows["甲总支"]["missing"] == list(ITEMS)
    assert rows["甲总支"]["last_checked_at"] is None
    assert rows["甲总支一支部"]["missing"] == ["rules"]
    assert rows["甲总支一支部"]["parent_name"] == "甲总支"
    assert rows["甲总支一支部"]["kind"] == "branch"
    assert rows["甲总支"]["kind"] == "general_branch"

    missing = await listed(client, tree.admin, f"org_id={w.street_a.id}&missing=true")
    assert [r["name"] for r in missing["items"]] == ["甲二支部", "甲总支", "甲总支一支部"]
    assert missing["organizations"] == 4  # the totals ignore the filter
    complete = await listed(client, tree.admin, f"org_id={w.street_a.id}&missing=false")
    assert [r["name"] for r in complete["items"]] == ["甲一支部"]

    city = await listed(client, tree.admin, f"org_id={w.city.id}")
    assert (city["organizations"], city["complete"], city["incomplete"]) == (5, 1, 4)
    # One general branch's subtree: itself and its branch.
    general = await listed(client, tree.admin, f"org_id={tree.general.id}")
    assert [(r["name"], r["met_count"]) for r in general["items"]] == [
        ("甲总支", 0),
        ("甲总支一支部", 5),
    ]


async def test_pages(client: httpx.AsyncClient, tree: Tree) -> None:
    seen: list[str] = []
    cursor = ""
    while True:
        body = await listed(client, tree.admin, f"org_id={tree.world.city.id}&limit=2{cursor}")
        seen += [r["name"] for r in body["items"]]
        if body["next_cursor"] is None:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert seen == ["甲一支部", "甲二支部", "乙联合支部", "甲总支", "甲总支一支部"]


async def test_scope(client: httpx.AsyncClient, factory: Factory, tree: Tree) -> None:
    w = tree.world
    secretary = await factory.actor(Role.SECRETARY, w.branch_a2)
    own = await listed(client, secretary, f"org_id={w.branch_a2.id}")
    assert [(r["name"], r["met_count"]) for r in own["items"]] == [("甲二支部", 1)]
    for org in (w.street_a, w.branch_a1):
        for path in ("checklists", "checklists.xlsx"):
            response = await client.get(
                f"{V1}/venue/{path}?org_id={org.id}", headers=secretary.headers
            )
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "org.not_found"
    plain = await factory.actor(None, None, relation=w.branch_a2)
    response = await client.get(
        f"{V1}/venue/checklists?org_id={w.branch_a2.id}", headers=plain.headers
    )
    assert response.status_code == 403


async def test_the_sheet(client: httpx.AsyncClient, tree: Tree) -> None:
    response = await client.get(
        f"{V1}/venue/checklists.xlsx?org_id={tree.world.street_a.id}&missing=true",
        headers=tree.admin.headers,
    )
    rows = sheet_rows(response)
    assert "attachment" in response.headers["content-disposition"]
    assert rows[0][0] == "党组织活动场所“六有”情况"
    assert rows[1][0] == "组织：甲街道工委"
    assert rows[2][0] == "范围：有未达标项的"
    assert str(rows[3][0]).startswith("生成时间：")
    assert rows[4] == [
        "组织编号",
        "组织名称",
        "类型",
        "上级组织",
        "场所",
        "设施",
        "标志",
        "党旗",
        "书报",
        "制度",
        "已达标项数",
        "最近检查时间",
    ]
    body = rows[5:8]
    assert [r[1:11] for r in body] == [
        [
            "甲二支部",
            "党支部",
            "甲街道工委",
            "是",
            "否",
            "未检查",
            "未检查",
            "未检查",
            "未检查",
            "1/6",
        ],
        ["甲总支", "党总支", "甲街道工委", *["未检查"] * 6, "0/6"],
        ["甲总支一支部", "党支部", "甲总支", "是", "是", "是", "是", "是", "否", "5/6"],
    ]
    assert body[2][0] == tree.g1.id
    assert body[1][11] in ("", None)
    assert rows[9][0] == "共 4 个党组织，六有齐全 1 个，有未达标项 3 个；本表列出 3 个"
