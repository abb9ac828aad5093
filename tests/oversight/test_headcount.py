"""Head counts and the transfer-in rate per social organization and in total, as of a day,
and the sheet. A small tree whose every figure is worked out by hand below:

    甲街道工委 (committee)                         ← the admin's subtree
    ├── 甲支部 (branch)
    │   ├── 甲协会      staff 20
    │   └── 空协会      staff 3      only a member of the masses works there
    ├── 甲联合支部 (joint branch)
    │   └── 联合会      staff 8
    ├── 甲党总支 (general branch)
    │   └── 总支下协会  staff —
    └── 直属中心        staff 5      (its parent is the committee)
    乙街道工委 (committee)
    ├── 乙支部 (branch)
    └── 乙协会                         another subtree

Working there (party = full + probationary; here = relation at the parent branch):

    甲协会      3 full, relation 甲支部 (here); 1 probationary, relation 甲支部 (here);
                1 full, relation 乙支部 (not here); 1 full, relation outside the system;
                1 activist, relation 甲支部 (no party member); 1 full who left
                → party 6, formal 5, here 4, rate 4/6 = 0.6667
    空协会      1 of the masses                 → party 0, formal 0, here 0, rate null
    联合会      2 full, relation 甲联合支部 (here); 1 probationary, outside
                → party 3, formal 2, here 2, rate 0.6667
    总支下协会  2 full, relation 甲支部: a branch, but not the parent (a general branch)
                → party 2, formal 2, here 0, rate 0.0
    直属中心    1 full, relation 甲支部 (the parent is the committee)
                → party 1, formal 1, here 0, rate 0.0
    total       5 organizations, staff 20 + 3 + 8 + 5 = 36 (1 unrecorded),
                party 12, formal 10, here 6, rate 0.5

Everything is entered on 1 January 2026 (Beijing); the one who left, left on 1 October and
was recorded on 8 October.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from app.kit.clock import FrozenClock
from app.models import (
    DepartureReason,
    Member,
    Organization,
    OrgKind,
    PartyStatus,
    Role,
    RosterChange,
)
from tests.factories import Actor, Factory
from tests.oversight.helpers import V1, get_json, sheet_rows

NOW = datetime(2026, 10, 8, 4, 0, tzinfo=UTC)  # 12:00 on 8 October in Beijing
ENTERED = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 1 January 2026, 00:00 in Beijing
FULL, PROBATIONARY = PartyStatus.FULL_MEMBER, PartyStatus.PROBATIONARY


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@dataclass
class Tree:
    street_a: Organization
    street_b: Organization
    branch: Organization
    joint: Organization
    general: Organization
    branch_b: Organization
    association: Organization
    empty: Organization
    joint_org: Organization
    under_general: Organization
    direct: Organization
    other: Organization
    left: Member  # the full member of 甲协会 who left on 1 October
    admin: Actor
    city_admin: Actor
    other_admin: Actor


async def set_member(factory: Factory, member: Member, **values: Any) -> None:
    async with factory.runtime.sessionmaker.begin() as session:
        await session.execute(update(Member).where(Member.id == member.id).values(**values))


async def build_tree(factory: Factory) -> Tree:
    social = OrgKind.SOCIAL_ORG
    city = await factory.org(OrgKind.COMMITTEE, "市社会组织综合党委")
    street_a = await factory.org(OrgKind.COMMITTEE, "甲街道工委", city)
    street_b = await factory.org(OrgKind.COMMITTEE, "乙街道工委", city)
    branch = await factory.org(OrgKind.BRANCH, "甲支部", street_a)
    joint = await factory.org(OrgKind.JOINT_BRANCH, "甲联合支部", street_a)
    general = await factory.org(OrgKind.GENERAL_BRANCH, "甲党总支", street_a)
    branch_b = await factory.org(OrgKind.BRANCH, "乙支部", street_b)
    association = await factory.org(social, "甲协会", branch, staff_count=20)
    empty = await factory.org(social, "空协会", branch, staff_count=3)
    joint_org = await factory.org(social, "联合会", joint, staff_count=8)
    under_general = await factory.org(social, "总支下协会", general)
    direct = await factory.org(social, "直属中心", street_a, staff_count=5)
    other = await factory.org(social, "乙协会", street_b)

    for _ in range(3):
        await factory.member(branch, association)
    await factory.member(branch, association, party_status=PROBATIONARY)
    await factory.member(branch_b, association)
    await factory.member(None, association)
    await factory.member(branch, association, party_status=PartyStatus.ACTIVIST)
    left = await factory.member(branch, association, name="离开者")
    await factory.member(None, empty, party_status=PartyStatus.MASSES)
    for _ in range(2):
        await factory.member(joint, joint_org)
    await factory.member(None, joint_org, party_status=PROBATIONARY)
    for _ in range(2):
        await factory.member(branch, under_general)
    await factory.member(branch, direct)
    await factory.member(branch_b, other)
    tree = Tree(
        street_a,
        street_b,
        branch,
        joint,
        general,
        branch_b,
        association,
        empty,
        joint_org,
        under_general,
        direct,
        other,
        left,
        admin=await factory.actor(Role.COMMITTEE_ADMIN, street_a),
        city_admin=await factory.actor(Role.COMMITTEE_ADMIN, city),
        other_admin=await factory.actor(Role.COMMITTEE_ADMIN, street_b),
    )
    # Everything entered on 1 January; the ledger's rows say so too.
    async with factory.runtime.sessionmaker.begin() as session:
        for table in (Organization, Member):
            await session.execute(update(table).values(created_at=ENTERED))
        await session.execute(
            update(RosterChange).values(occurred_on=date(2026, 1, 1), recorded_at=ENTERED)
        )
    await set_member(
        factory,
        left,
        departed_at=NOW,
        left_on=date(2026, 10, 1),
        departure_reason=DepartureReason.MOVED_AWAY,
    )
    return tree


@pytest.fixture
async def tree(factory: Factory) -> Tree:
    return await build_tree(factory)


def figures(body: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        item["name"]: (
            item["staff_count"],
            item["party_members_working"],
            item["formal_members_working"],
            item["relation_here"],
            item["transfer_in_rate"],
        )
        for item in body["items"]
    }


async def test_the_head_counts_of_a_subtree(client: httpx.AsyncClient, tree: Tree) -> None:
    body = await get_json(client, f"{V1}/headcount?org_id={tree.street_a.id}", tree.admin)
    assert body["org_id"] == tree.street_a.id
    assert body["as_of"] == "2026-10-08"
    assert body["next_cursor"] is None
    assert [item["org_id"] for item in body["items"]] == sorted(
        org.id
        for org in (tree.association, tree.empty, tree.joint_org, tree.under_general, tree.direct)
    )
    assert body["items"][0] == {
        "org_id": tree.association.id,
        "name": "甲协会",
        "credit_code": tree.association.credit_code,
        "staff_count": 20,
        "party_members_working": 6,
        "formal_members_working": 5,
        "relation_here": 4,
        "transfer_in_rate": 0.6667,
    }
    assert figures(body) == {
        "甲协会": (20, 6, 5, 4, 0.6667),
        "空协会": (3, 0, 0, 0, None),  # nobody working there: no rate
        "联合会": (8, 3, 2, 2, 0.6667),  # the probationary one counts as a party member
        "总支下协会": (None, 2, 2, 0, 0.0),  # relation in a branch, but the parent is not one
        "直属中心": (5, 1, 1, 0, 0.0),
    }
    assert body["totals"] == {
        "organizations": 5,
        "staff_count": 36,
        "staff_unrecorded": 1,
        "party_members_working": 12,
        "formal_members_working": 10,
        "relation_here": 6,
        "transfer_in_rate": 0.5,  # 6 / 12: the sums, not the mean of the rates
    }
    # The city's subtree adds 乙协会: 1 full member, relation 乙支部 (its parent is the
    # street committee, not a branch): party 13, here 6, rate 6/13.
    city = await get_json(
        client, f"{V1}/headcount?org_id={tree.street_a.parent_id}", tree.city_admin
    )
    assert city["totals"]["party_members_working"] == 13
    assert city["totals"]["transfer_in_rate"] == round(6 / 13, 4)
    # Rooted at a branch: its two social organizations only.
    branch = await get_json(client, f"{V1}/headcount?org_id={tree.branch.id}", tree.admin)
    assert list(figures(branch)) == ["甲协会", "空协会"]
    assert branch["totals"]["transfer_in_rate"] == 0.6667


async def test_no_party_member_anywhere_is_a_null_rate(
    client: httpx.AsyncClient, tree: Tree
) -> None:
    body = await get_json(client, f"{V1}/headcount?org_id={tree.general.id}", tree.admin)
    assert body["totals"]["transfer_in_rate"] == 0.0
    # An organization with no social organization below it: zeros and no rate.
    joint = await get_json(client, f"{V1}/headcount?org_id={tree.empty.id}", tree.admin)
    assert joint["totals"] == {
        "organizations": 1,
        "staff_count": 3,
        "staff_unrecorded": 0,
        "party_members_working": 0,
        "formal_members_working": 0,
        "relation_here": 0,
        "transfer_in_rate": None,
    }


async def test_pages_by_id_with_the_totals_of_every_page(
    client: httpx.AsyncClient, tree: Tree
) -> None:
    url = f"{V1}/headcount?org_id={tree.street_a.id}&limit=2"
    first = await get_json(client, url, tree.admin)
    assert list(figures(first)) == ["甲协会", "空协会"]
    assert first["totals"]["organizations"] == 5
    second = await get_json(client, f"{url}&cursor={first['next_cursor']}", tree.admin)
    assert list(figures(second)) == ["联合会", "总支下协会"]
    third = await get_json(client, f"{url}&cursor={second['next_cursor']}", tree.admin)
    assert list(figures(third)) == ["直属中心"]
    assert third["next_cursor"] is None
    bad = await client.get(f"{url}&cursor=nonsense", headers=tree.admin.headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "pagination.invalid_cursor"


async def test_as_of_counts_who_was_there_at_the_end_of_that_day(
    client: httpx.AsyncClient, factory: Factory, tree: Tree
) -> None:
    # At 甲协会, each full with relation 甲支部 (here):
    # joined: entered at 00:30 on 10 September in Beijing (16:30 UTC the day before);
    joined = await factory.member(tree.branch, tree.association, name="新来者")
    await set_member(factory, joined, created_at=datetime(2026, 9, 9, 16, 30, tzinfo=UTC))
    # gone: left on 15 September, recorded on 20 September;
    gone = await factory.member(tree.branch, tree.association, name="九月离开")
    await set_member(
        factory,
        gone,
        created_at=ENTERED,
        left_on=date(2026, 9, 15),
        departed_at=datetime(2026, 9, 20, 2, 0, tzinfo=UTC),
        departure_reason=DepartureReason.TRANSFERRED_OUT,
    )
    # backdated: left on 1 September, recorded only today.
    backdated = await factory.member(tree.branch, tree.association, name="补记离开")
    await set_member(
        factory,
        backdated,
        created_at=ENTERED,
        left_on=date(2026, 9, 1),
        departed_at=NOW,
        departure_reason=DepartureReason.DECEASED,
    )
    # A social organization entered on 20 September, with one formal member.
    later = await factory.org(OrgKind.SOCIAL_ORG, "九月新会", tree.branch)
    await factory.member(tree.branch, later)
    async with factory.runtime.sessionmaker.begin() as session:
        await session.execute(
            update(Organization)
            .where(Organization.id == later.id)
            .values(created_at=datetime(2026, 9, 20, 4, 0, tzinfo=UTC))
        )
        await session.execute(
            update(Member)
            .where(Member.workplace_org_id == later.id)
            .values(created_at=datetime(2026, 9, 20, 4, 0, tzinfo=UTC))
        )

    async def association(as_of: str) -> tuple[Any, ...]:
        body = await get_json(
            client, f"{V1}/headcount?org_id={tree.branch.id}&as_of={as_of}", tree.admin
        )
        assert body["as_of"] == as_of
        return figures(body)["甲协会"][1:4]

    # Base: party 6, formal 5, here 4; ``left`` (left 1 October) counts until 30 September.
    # 31 August: base + left + gone + backdated (left 1 September: still there) = 9.
    assert await association("2026-08-31") == (9, 8, 7)
    # 1 September: backdated has left on that day: 8.
    assert await association("2026-09-01") == (8, 7, 6)
    # 9 September: joined is entered at 00:30 on the 10th, Beijing: not yet; 8.
    assert await association("2026-09-09") == (8, 7, 6)
    # 10 September: joined counts: 9.
    assert await association("2026-09-10") == (9, 8, 7)
    # 15 September: gone left that day (recorded on the 20th): 8.
    assert await association("2026-09-15") == (8, 7, 6)
    # 30 September: still 8; 1 October: left leaves: 7; today: base 6 + joined = 7.
    assert await association("2026-09-30") == (8, 7, 6)
    assert await association("2026-10-01") == (7, 6, 5)
    assert await association("2026-10-08") == (7, 6, 5)

    # 九月新会 is listed from the day it was entered.
    before = await get_json(
        client, f"{V1}/headcount?org_id={tree.branch.id}&as_of=2026-09-19", tree.admin
    )
    assert list(figures(before)) == ["甲协会", "空协会"]
    after = await get_json(
        client, f"{V1}/headcount?org_id={tree.branch.id}&as_of=2026-09-20", tree.admin
    )
    assert figures(after)["九月新会"] == (None, 1, 1, 1, 1.0)
    assert after["totals"]["organizations"] == 3

    future = await client.get(
        f"{V1}/headcount?org_id={tree.branch.id}&as_of=2026-10-09", headers=tree.admin.headers
    )
    assert future.status_code == 422
    assert future.json()["error"]["code"] == "oversight.as_of_in_future"


async def test_another_subtree_is_not_found(
    client: httpx.AsyncClient, factory: Factory, tree: Tree
) -> None:
    for path in ("headcount", "headcount.xlsx"):
        response = await client.get(
            f"{V1}/{path}?org_id={tree.street_a.id}", headers=tree.other_admin.headers
        )
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "org.not_found"
    # A secretary holds no oversight:read.
    secretary = await factory.actor(Role.SECRETARY, tree.branch)
    refused = await client.get(f"{V1}/headcount?org_id={tree.branch.id}", headers=secretary.headers)
    assert refused.status_code == 403


async def test_the_sheet(client: httpx.AsyncClient, tree: Tree) -> None:
    response = await client.get(
        f"{V1}/headcount.xlsx?org_id={tree.street_a.id}&as_of=2026-09-30",
        headers=tree.admin.headers,
    )
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    rows = sheet_rows(response)
    assert rows[0][0] == "社会组织党员人数及组织关系转入情况"
    assert rows[1][0] == "组织：甲街道工委"
    assert rows[2][0] == "统计日：2026-09-30"
    assert rows[3][0].startswith("说明：")
    assert rows[4][0] == "生成时间：2026-10-08 12:00"
    assert rows[5] == [
        "序号",
        "社会组织",
        "统一社会信用代码",
        "从业人员数",
        "在此工作的党员",
        "其中正式党员",
        "组织关系在此的党员",
        "组织关系转入率",
    ]
    # On 30 September ``left`` still counts at 甲协会: party 7, formal 6, here 5.
    assert rows[6] == [1, "甲协会", tree.association.credit_code, 20, 7, 6, 5, "71.4%"]
    assert rows[7][1:] == ["空协会", tree.empty.credit_code, 3, 0, 0, 0, None]
    assert [row[1] for row in rows[8:11]] == ["联合会", "总支下协会", "直属中心"]
    assert rows[9][3] is None
    assert rows[11] == ["合计", "5 个社会组织", None, 36, 13, 11, 7, "53.8%"]
    assert any(str(row[0]).startswith("组织关系转入率 =") for row in rows[12:])
