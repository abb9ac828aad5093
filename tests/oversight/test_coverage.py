"""Coverage, the affiliation picture and the organizations behind each number, against a
small tree whose every figure is worked out by hand below.

    市社会组织综合党委 (committee)
    ├── 甲街道工委 (committee)                       ← the admin's subtree
    │   ├── 甲支部 (branch)
    │   │   └── 甲协会            territorial           own_branch
    │   ├── 甲联合支部 (joint branch)
    │   │   ├── 联合一会          attached              joint
    │   │   └── 联合二会          business_supervisor   joint
    │   ├── 甲党总支 (general branch)
    │   │   ├── 总支下协会        territorial           uncovered (no branch above it is its parent)
    │   │   └── 总支下基金会      fallback, instructor on itself           instructor_only
    │   ├── 直属中心              (none), instructor on itself             instructor_only
    │   └── 直属服务站            fallback, instructor on 甲街道工委 only   uncovered
    └── 乙街道工委 (committee)
        └── 乙协会                territorial           uncovered (another subtree)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from app.kit.clock import FrozenClock
from app.models import AffiliationMode, Organization, OrgKind, Role
from tests.factories import Actor, Factory
from tests.oversight.helpers import V1, get_json, sheet_rows

NOW = datetime(2026, 10, 8, 4, 0, tzinfo=UTC)  # 12:00 on 8 October in Beijing


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@dataclass
class Tree:
    city: Organization
    street_a: Organization
    street_b: Organization
    branch: Organization
    joint: Organization
    general: Organization
    own: Organization
    joint_one: Organization
    joint_two: Organization
    under_general: Organization
    general_fallback: Organization
    direct_instructed: Organization
    direct_fallback: Organization
    other: Organization
    admin: Actor
    city_admin: Actor
    other_admin: Actor


async def build_tree(factory: Factory) -> Tree:
    social = OrgKind.SOCIAL_ORG
    city = await factory.org(OrgKind.COMMITTEE, "市社会组织综合党委")
    street_a = await factory.org(OrgKind.COMMITTEE, "甲街道工委", city)
    street_b = await factory.org(OrgKind.COMMITTEE, "乙街道工委", city)
    branch = await factory.org(OrgKind.BRANCH, "甲支部", street_a)
    joint = await factory.org(OrgKind.JOINT_BRANCH, "甲联合支部", street_a)
    general = await factory.org(OrgKind.GENERAL_BRANCH, "甲党总支", street_a)
    mode = AffiliationMode
    own = await factory.org(social, "甲协会", branch, affiliation_mode=mode.TERRITORIAL)
    joint_one = await factory.org(social, "联合一会", joint, affiliation_mode=mode.ATTACHED)
    joint_two = await factory.org(
        social, "联合二会", joint, affiliation_mode=mode.BUSINESS_SUPERVISOR
    )
    under_general = await factory.org(
        social, "总支下协会", general, affiliation_mode=mode.TERRITORIAL
    )
    general_fallback = await factory.org(
        social, "总支下基金会", general, affiliation_mode=mode.FALLBACK
    )
    direct_instructed = await factory.org(social, "直属中心", street_a)
    direct_fallback = await factory.org(
        social, "直属服务站", street_a, affiliation_mode=mode.FALLBACK
    )
    other = await factory.org(social, "乙协会", street_b, affiliation_mode=mode.TERRITORIAL)
    for place in (general_fallback, direct_instructed, street_a):
        instructor = await factory.member(None, own)
        await factory.grant(instructor, Role.INSTRUCTOR, place)
    return Tree(
        city,
        street_a,
        street_b,
        branch,
        joint,
        general,
        own,
        joint_one,
        joint_two,
        under_general,
        general_fallback,
        direct_instructed,
        direct_fallback,
        other,
        admin=await factory.actor(Role.COMMITTEE_ADMIN, street_a),
        city_admin=await factory.actor(Role.COMMITTEE_ADMIN, city),
        other_admin=await factory.actor(Role.COMMITTEE_ADMIN, street_b),
    )


@pytest.fixture
async def tree(factory: Factory) -> Tree:
    return await build_tree(factory)


async def test_the_coverage_of_a_subtree(client: httpx.AsyncClient, tree: Tree) -> None:
    body = await get_json(client, f"{V1}/coverage?org_id={tree.street_a.id}", tree.admin)
    # 甲街道工委: 7 social organizations. own_branch: 甲协会 (1); joint: 联合一会, 联合二会 (2);
    # instructor_only: 总支下基金会 and 直属中心, each with an instructor on itself (2);
    # uncovered: 总支下协会 (under a general branch, no instructor) and 直属服务站 (the
    # instructor is on the street committee, not on it) (2). 1 + 2 + 2 + 2 = 7.
    assert body == {
        "org_id": tree.street_a.id,
        "name": "甲街道工委",
        "as_of": "2026-10-08",
        "total": 7,
        "own_branch": 1,
        "joint": 2,
        "instructor_only": 2,
        "uncovered": 2,
    }
    city = await get_json(client, f"{V1}/coverage?org_id={tree.city.id}", tree.city_admin)
    # The city adds 乙协会, uncovered: 8 in all, 3 uncovered.
    assert (city["total"], city["uncovered"], city["own_branch"]) == (8, 3, 1)


async def test_the_organizations_behind_each_number(client: httpx.AsyncClient, tree: Tree) -> None:
    root = f"{V1}/coverage/orgs?org_id={tree.street_a.id}"

    async def names(query: str) -> list[str]:
        body = await get_json(client, f"{root}{query}", tree.admin)
        return [item["name"] for item in body["items"]]

    assert await names("&category=own_branch") == ["甲协会"]
    assert await names("&category=joint") == ["联合一会", "联合二会"]
    assert await names("&category=instructor_only") == ["总支下基金会", "直属中心"]
    assert await names("&category=uncovered") == ["总支下协会", "直属服务站"]
    assert len(await names("")) == 7
    first = (await get_json(client, f"{root}&category=uncovered", tree.admin))["items"][0]
    assert first == {
        "org_id": tree.under_general.id,
        "name": "总支下协会",
        "credit_code": tree.under_general.credit_code,
        "parent_id": tree.general.id,
        "parent_name": "甲党总支",
        "parent_kind": "general_branch",
        "coverage": "uncovered",
        "coverage_label": "未覆盖",
        "affiliation_mode": "territorial",
        "rating": None,
        "contradictions": ["uncovered_without_fallback"],
    }


async def test_pages_of_organizations(client: httpx.AsyncClient, tree: Tree) -> None:
    url = f"{V1}/coverage/orgs?org_id={tree.street_a.id}&limit=3"
    seen: list[int] = []
    cursor = ""
    for _ in range(4):
        body = await get_json(client, url + cursor, tree.admin)
        seen += [item["org_id"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        cursor = f"&cursor={body['next_cursor']}"
    # 7 organizations in pages of 3, 3 and 1, by id, none twice.
    assert len(seen) == 7
    assert seen == sorted(set(seen))


async def test_the_affiliation_picture_and_its_contradictions(
    client: httpx.AsyncClient, tree: Tree
) -> None:
    url = f"{V1}/coverage/affiliation?org_id={tree.street_a.id}"
    body = await get_json(client, url, tree.admin)
    modes = {
        mode["affiliation_mode"]: (
            mode["label"],
            mode["total"],
            mode["own_branch"],
            mode["joint"],
            mode["instructor_only"],
            mode["uncovered"],
        )
        for mode in body["modes"]
    }
    assert modes == {
        # 甲协会 (own_branch), 总支下协会 (uncovered)
        "territorial": ("属地", 2, 1, 0, 0, 1),
        # 联合二会
        "business_supervisor": ("业务主管", 1, 0, 1, 0, 0),
        # 联合一会
        "attached": ("挂靠", 1, 0, 1, 0, 0),
        # 总支下基金会 (instructor_only), 直属服务站 (uncovered)
        "fallback": ("托底", 2, 0, 0, 1, 1),
        # 直属中心, nothing recorded
        "unrecorded": ("未填写", 1, 0, 0, 1, 0),
    }
    assert [mode["affiliation_mode"] for mode in body["modes"]] == [
        "territorial",
        "business_supervisor",
        "attached",
        "fallback",
        "unrecorded",
    ]
    # No committee designated 综合党委 yet: both 托底 organizations lie outside one (2).
    # Uncovered and not 托底: 总支下协会 only; 直属服务站 is uncovered but 托底 (1).
    assert body["contradictions"] == {
        "fallback_outside_comprehensive": 2,
        "uncovered_without_fallback": 1,
    }
    assert body["comprehensive_committees"] == []
    assert body["under_comprehensive_committee"] is False
    listed = await get_json(
        client,
        f"{V1}/coverage/orgs?org_id={tree.street_a.id}&contradiction=fallback_outside_comprehensive",
        tree.admin,
    )
    assert [item["name"] for item in listed["items"]] == ["总支下基金会", "直属服务站"]
    cell = await get_json(
        client,
        f"{V1}/coverage/orgs?org_id={tree.street_a.id}&affiliation=fallback&category=uncovered",
        tree.admin,
    )
    assert [item["name"] for item in cell["items"]] == ["直属服务站"]
    unrecorded = await get_json(
        client, f"{V1}/coverage/orgs?org_id={tree.street_a.id}&affiliation=unrecorded", tree.admin
    )
    assert [item["name"] for item in unrecorded["items"]] == ["直属中心"]


async def test_a_designated_comprehensive_committee_takes_its_fallback_organizations_in(
    client: httpx.AsyncClient, tree: Tree
) -> None:
    url = f"{V1}/coverage/affiliation?org_id={tree.street_a.id}"
    # The sibling street designated: 甲's 托底 organizations are still outside.
    designated = await client.put(
        f"{V1}/comprehensive-committees/{tree.street_b.id}", headers=tree.other_admin.headers
    )
    assert designated.status_code == 200, designated.text
    assert (await get_json(client, url, tree.admin))["contradictions"][
        "fallback_outside_comprehensive"
    ] == 2
    # The street admin cannot designate the city above it: not in its scope.
    refused = await client.put(
        f"{V1}/comprehensive-committees/{tree.city.id}", headers=tree.admin.headers
    )
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "oversight.committee_not_found"
    # Nor a branch: only committees are designated.
    branch = await client.put(
        f"{V1}/comprehensive-committees/{tree.branch.id}", headers=tree.admin.headers
    )
    assert branch.status_code == 404
    # The city admin designates the city: every 托底 organization below lies under it (0).
    city = await client.put(
        f"{V1}/comprehensive-committees/{tree.city.id}", headers=tree.city_admin.headers
    )
    assert city.status_code == 200
    assert city.json() == {
        "committee_id": tree.city.id,
        "name": "市社会组织综合党委",
        "designated_at": "2026-10-08T12:00:00+08:00",
    }
    again = await client.put(
        f"{V1}/comprehensive-committees/{tree.city.id}", headers=tree.city_admin.headers
    )
    assert again.json() == city.json()
    body = await get_json(client, url, tree.admin)
    assert body["contradictions"] == {
        "fallback_outside_comprehensive": 0,
        "uncovered_without_fallback": 1,
    }
    # Above the street, so not listed to its admin, but the street lies under one.
    assert body["comprehensive_committees"] == []
    assert body["under_comprehensive_committee"] is True
    whole = await get_json(
        client, f"{V1}/coverage/affiliation?org_id={tree.city.id}", tree.city_admin
    )
    assert whole["comprehensive_committees"] == [
        {"org_id": tree.city.id, "name": "市社会组织综合党委"},
        {"org_id": tree.street_b.id, "name": "乙街道工委"},
    ]
    # Withdrawn: both are outside again.
    withdrawn = await client.delete(
        f"{V1}/comprehensive-committees/{tree.city.id}", headers=tree.city_admin.headers
    )
    assert withdrawn.status_code == 204
    assert (await get_json(client, url, tree.admin))["contradictions"][
        "fallback_outside_comprehensive"
    ] == 2


async def test_as_of_counts_what_was_entered_by_that_day(
    client: httpx.AsyncClient, factory: Factory, clock: FrozenClock, tree: Tree
) -> None:
    # Two days later: a new social organization under the branch, and an instructor
    # appointed on 总支下协会 (uncovered → instructor_only).
    clock.advance(days=2)
    await factory.org(OrgKind.SOCIAL_ORG, "新协会", tree.branch)
    instructor = await factory.member(None, tree.own)
    await factory.grant(instructor, Role.INSTRUCTOR, tree.under_general)
    today = await get_json(client, f"{V1}/coverage?org_id={tree.street_a.id}", tree.admin)
    # 7 + 1 = 8; own_branch 1 + 1 = 2; instructor_only 2 + 1 = 3; uncovered 2 - 1 = 1.
    assert (today["as_of"], today["total"], today["own_branch"]) == ("2026-10-10", 8, 2)
    assert (today["instructor_only"], today["uncovered"]) == (3, 1)
    before = await get_json(
        client, f"{V1}/coverage?org_id={tree.street_a.id}&as_of=2026-10-08", tree.admin
    )
    # As entered by the end of 8 October: the first figure again.
    assert (before["total"], before["own_branch"], before["instructor_only"]) == (7, 1, 2)
    assert before["uncovered"] == 2
    ahead = await client.get(
        f"{V1}/coverage?org_id={tree.street_a.id}&as_of=2026-10-11", headers=tree.admin.headers
    )
    assert ahead.status_code == 422
    assert ahead.json()["error"]["code"] == "oversight.as_of_in_future"


async def test_another_subtree_is_not_found_and_members_are_refused(
    client: httpx.AsyncClient, factory: Factory, tree: Tree
) -> None:
    for path in (
        "coverage",
        "coverage/orgs",
        "coverage/orgs.xlsx",
        "coverage/affiliation",
        "coverage/affiliation.xlsx",
        "rating-cap",
        "rating-cap.xlsx",
    ):
        # Above the admin's subtree and beside it: 404.
        for org in (tree.city, tree.street_b):
            response = await client.get(f"{V1}/{path}?org_id={org.id}", headers=tree.admin.headers)
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"]["code"] == "org.not_found"
    secretary = await factory.actor(Role.SECRETARY, tree.branch)
    response = await client.get(f"{V1}/coverage?org_id={tree.branch.id}", headers=secretary.headers)
    assert response.status_code == 403
    # An instructor reads the figures of what they guide.
    instructor = await factory.actor(Role.INSTRUCTOR, tree.general)
    guided = await get_json(client, f"{V1}/coverage?org_id={tree.general.id}", instructor)
    assert (guided["total"], guided["instructor_only"], guided["uncovered"]) == (2, 1, 1)
    refused = await client.put(
        f"{V1}/comprehensive-committees/{tree.street_a.id}", headers=instructor.headers
    )
    assert refused.status_code == 403


async def test_the_coverage_sheet(client: httpx.AsyncClient, tree: Tree) -> None:
    rows = sheet_rows(
        await client.get(
            f"{V1}/coverage/orgs.xlsx?org_id={tree.street_a.id}&category=uncovered",
            headers=tree.admin.headers,
        )
    )
    assert rows[0][0] == "社会组织覆盖情况"
    assert [row[0] for row in rows[1:5]] == [
        "组织：甲街道工委",
        "统计日：2026-10-08",
        "覆盖情况：未覆盖",
        "生成时间：2026-10-08 12:00",
    ]
    assert rows[5] == [
        "序号",
        "社会组织",
        "统一社会信用代码",
        "上级组织",
        "上级组织类型",
        "覆盖情况",
        "管理方式",
        "评估等级",
        "与覆盖矛盾之处",
    ]
    assert rows[6] == [
        1,
        "总支下协会",
        tree.under_general.credit_code,
        "甲党总支",
        "党总支",
        "未覆盖",
        "属地",
        None,
        "未覆盖且未托底",
    ]
    assert rows[7] == [
        2,
        "直属服务站",
        tree.direct_fallback.credit_code,
        "甲街道工委",
        "党委",
        "未覆盖",
        "托底",
        None,
        "托底管理但不在综合党委之下",
    ]
    assert rows[9][0] == "共 2 个社会组织"
    assert len(rows) == 10
    past = sheet_rows(
        await client.get(
            f"{V1}/coverage/orgs.xlsx?org_id={tree.street_a.id}&as_of=2026-10-01",
            headers=tree.admin.headers,
        )
    )
    # Nothing was entered by 1 October; the sheet says what a past day means.
    assert past[2][0] == "统计日：2026-10-01"
    assert past[3][0].startswith("说明：")
    assert past[-1][0] == "共 0 个社会组织"


async def test_the_sheet_is_limited_to_the_callers_scope(
    client: httpx.AsyncClient, tree: Tree
) -> None:
    everything = sheet_rows(
        await client.get(
            f"{V1}/coverage/orgs.xlsx?org_id={tree.city.id}", headers=tree.city_admin.headers
        )
    )
    assert "乙协会" in [row[1] for row in everything]
    own = sheet_rows(
        await client.get(
            f"{V1}/coverage/orgs.xlsx?org_id={tree.street_a.id}", headers=tree.admin.headers
        )
    )
    assert "乙协会" not in [row[1] for row in own]
    assert own[-1][0] == "共 7 个社会组织"


async def test_the_affiliation_sheet(client: httpx.AsyncClient, tree: Tree) -> None:
    rows = sheet_rows(
        await client.get(
            f"{V1}/coverage/affiliation.xlsx?org_id={tree.street_a.id}", headers=tree.admin.headers
        )
    )
    assert rows[0][0] == "隶属关系与覆盖情况"
    assert [row[0] for row in rows[1:4]] == [
        "组织：甲街道工委",
        "统计日：2026-10-08",
        "生成时间：2026-10-08 12:00",
    ]
    assert rows[4] == [
        "管理方式",
        "社会组织",
        "单独建立党支部",
        "联合党支部覆盖",
        "仅选派党建工作指导员",
        "未覆盖",
    ]
    # The picture's rows as worked out above, and the 合计 row is the coverage figure.
    assert rows[5:11] == [
        ["属地", 2, 1, 0, 0, 1],
        ["业务主管", 1, 0, 1, 0, 0],
        ["挂靠", 1, 0, 1, 0, 0],
        ["托底", 2, 0, 0, 1, 1],
        ["未填写", 1, 0, 0, 1, 0],
        ["合计", 7, 1, 2, 2, 2],
    ]
    assert [row[0] for row in rows[12:14]] == [
        "托底管理但不在综合党委之下：2 个",
        "未覆盖且未托底：1 个",
    ]
