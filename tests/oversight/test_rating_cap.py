"""The rating cap: which organizations it holds, the refusal of a rating above 3A without a
reason, the reason recorded and read back, and the sheet. Against the coverage tests' tree,
with the people working in it counted by hand:

    甲协会        own_branch        3 formal (+ the 3 instructors of the tree, who work there)
    联合一会      joint             4 formal
    总支下协会    uncovered         2 formal, 1 probationary, 1 formal who left
    总支下基金会  instructor_only   5 formal, rated 5A
    直属中心      instructor_only   3 formal (the boundary), rated 4A
    直属服务站    uncovered         3 formal whose relation is elsewhere (乙's branch, none), 3A
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy import select, update

from app.kit.clock import FrozenClock
from app.models import AuditEvent, DepartureReason, Member, Organization, OrgKind, PartyStatus
from tests.factories import Factory
from tests.oversight.helpers import V1, get_json, sheet_rows
from tests.oversight.test_coverage import Tree, build_tree

NOW = datetime(2026, 10, 8, 4, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@dataclass
class Rated:
    tree: Tree
    elsewhere: Organization


async def _working(factory: Factory, org: Organization, n: int) -> list[Member]:
    """``n`` formal members working at ``org``, their relation outside the system."""
    return [await factory.member(None, org) for _ in range(n)]


async def _rate(factory: Factory, org: Organization, rating: str) -> None:
    async with factory.runtime.sessionmaker.begin() as session:
        await session.execute(
            update(Organization).where(Organization.id == org.id).values(rating=rating)
        )


@pytest.fixture
async def rated(factory: Factory) -> Rated:
    tree = await build_tree(factory)
    elsewhere = await factory.org(OrgKind.BRANCH, "乙支部", tree.street_b)
    await _working(factory, tree.own, 3)
    await _working(factory, tree.joint_one, 4)
    await _working(factory, tree.under_general, 2)
    await factory.member(None, tree.under_general, party_status=PartyStatus.PROBATIONARY)
    (gone,) = await _working(factory, tree.under_general, 1)
    async with factory.runtime.sessionmaker.begin() as session:
        await session.execute(
            update(Member)
            .where(Member.id == gone.id)
            .values(
                departed_at=NOW,
                left_on=date(2026, 10, 1),
                departure_reason=DepartureReason.MOVED_AWAY,
            )
        )
    await _working(factory, tree.general_fallback, 5)
    await _working(factory, tree.direct_instructed, 3)
    for relation in (elsewhere, elsewhere, None):
        await factory.member(relation, tree.direct_fallback)
    await _rate(factory, tree.general_fallback, "5A")
    await _rate(factory, tree.direct_instructed, "4A")
    await _rate(factory, tree.direct_fallback, "3A")
    return Rated(tree, elsewhere)


async def test_the_capped_organizations_of_a_subtree(
    client: httpx.AsyncClient, rated: Rated
) -> None:
    tree = rated.tree
    body = await get_json(client, f"{V1}/rating-cap?org_id={tree.street_a.id}", tree.admin)
    # Capped: ≥ 3 formal members working there and neither own_branch nor joint.
    # 甲协会 (6) and 联合一会 (4) have a branch; 总支下协会 has 2 formal (the probationary one
    # and the one who left do not count): 2 < 3. Left: 总支下基金会 (5), 直属中心 (3, the
    # boundary counts) and 直属服务站 (3, relations elsewhere count too): 3 capped, of which
    # rated 4A or 5A: 总支下基金会 and 直属中心, 2.
    assert (body["capped"], body["over_cap"]) == (3, 2)
    assert body["items"] == [
        {
            "org_id": tree.general_fallback.id,
            "name": "总支下基金会",
            "credit_code": tree.general_fallback.credit_code,
            "rating": "5A",
            "formal_members_working": 5,
            "coverage": "instructor_only",
            "over_cap": True,
            "exception": None,
        },
        {
            "org_id": tree.direct_instructed.id,
            "name": "直属中心",
            "credit_code": tree.direct_instructed.credit_code,
            "rating": "4A",
            "formal_members_working": 3,
            "coverage": "instructor_only",
            "over_cap": True,
            "exception": None,
        },
        {
            "org_id": tree.direct_fallback.id,
            "name": "直属服务站",
            "credit_code": tree.direct_fallback.credit_code,
            "rating": "3A",
            "formal_members_working": 3,
            "coverage": "uncovered",
            "over_cap": False,
            "exception": None,
        },
    ]
    only_over = await get_json(
        client, f"{V1}/rating-cap?org_id={tree.street_a.id}&over_cap=true&limit=1", tree.admin
    )
    assert [item["name"] for item in only_over["items"]] == ["总支下基金会"]
    assert only_over["next_cursor"] is not None
    rest = await get_json(
        client,
        f"{V1}/rating-cap?org_id={tree.street_a.id}&over_cap=true&cursor={only_over['next_cursor']}",
        tree.admin,
    )
    assert [item["name"] for item in rest["items"]] == ["直属中心"]
    assert rest["next_cursor"] is None


async def test_a_fourth_formal_member_leaving_lifts_the_cap(
    client: httpx.AsyncClient, factory: Factory, rated: Rated
) -> None:
    tree = rated.tree
    # A probationary member at 直属中心 does not make it 4; one formal member leaving makes
    # it 2: not capped any more.
    await factory.member(None, tree.direct_instructed, party_status=PartyStatus.PROBATIONARY)
    async with factory.runtime.sessionmaker.begin() as session:
        first = await session.scalar(
            select(Member.id)
            .where(
                Member.workplace_org_id == tree.direct_instructed.id,
                Member.party_status == PartyStatus.FULL_MEMBER,
            )
            .limit(1)
        )
        await session.execute(update(Member).where(Member.id == first).values(departed_at=NOW))
    body = await get_json(client, f"{V1}/rating-cap?org_id={tree.street_a.id}", tree.admin)
    assert [item["name"] for item in body["items"]] == ["总支下基金会", "直属服务站"]
    assert (body["capped"], body["over_cap"]) == (2, 1)


async def test_a_rating_above_the_cap_is_refused_without_a_reason(
    client: httpx.AsyncClient, factory: Factory, rated: Rated
) -> None:
    tree = rated.tree
    url = f"/api/v1/orgs/{tree.direct_fallback.id}"
    refused = await client.patch(url, json={"rating": "4A"}, headers=tree.admin.headers)
    assert refused.status_code == 422
    assert refused.json()["error"] == {
        "code": "org.rating_over_cap",
        "message": "该社会组织具备建立党组织的条件（在此工作的正式党员不少于3名）但未单独或"
        "联合建立党组织，评估等级不得高于3A；确需评定的，请填写理由",
        "details": {"formal_members_working": 3, "coverage": "uncovered", "cap": "3A"},
    }
    async with factory.runtime.sessionmaker() as session:
        assert (
            await session.scalar(
                select(Organization.rating).where(Organization.id == tree.direct_fallback.id)
            )
            == "3A"
        )
        assert (await session.scalars(select(AuditEvent))).all() == []
    # 3A and below need no reason; nor does an organization with a branch of its own, nor one
    # with 2 formal members.
    for org, rating in ((tree.direct_fallback, "2A"), (tree.own, "5A"), (tree.under_general, "5A")):
        fine = await client.patch(
            f"/api/v1/orgs/{org.id}", json={"rating": rating}, headers=tree.admin.headers
        )
        assert fine.status_code == 200, fine.text
        assert fine.json()["rating"] == rating
    # Sent again unchanged (a form saved whole), a rating already above the cap is no raise.
    again = await client.patch(
        f"/api/v1/orgs/{tree.direct_instructed.id}",
        json={"rating": "4A", "name": "直属中心（改名）"},
        headers=tree.admin.headers,
    )
    assert again.status_code == 200, again.text
    # 5A from 4A is a raise.
    raised = await client.patch(
        f"/api/v1/orgs/{tree.direct_instructed.id}",
        json={"rating": "5A"},
        headers=tree.admin.headers,
    )
    assert raised.status_code == 422
    assert raised.json()["error"]["details"]["coverage"] == "instructor_only"


async def test_a_move_that_leaves_it_without_a_branch_is_judged_after_the_move(
    client: httpx.AsyncClient, rated: Rated
) -> None:
    tree = rated.tree
    # 甲协会 has 6 formal members and a branch; moved under the street in the same request,
    # it has none: the 5A is refused and the move with it.
    url = f"/api/v1/orgs/{tree.own.id}"
    refused = await client.patch(
        url, json={"rating": "5A", "parent_id": tree.street_a.id}, headers=tree.admin.headers
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["formal_members_working"] == 6
    body = (await client.get(url, headers=tree.admin.headers)).json()
    assert (body["parent_id"], body["rating"]) == (tree.branch.id, None)


async def test_a_reason_lets_it_through_and_is_read_back(
    client: httpx.AsyncClient, factory: Factory, rated: Rated
) -> None:
    tree = rated.tree
    reason = "该组织已于本月提交联合党支部组建申请，经党委会研究同意评定为4A"
    saved = await client.patch(
        f"/api/v1/orgs/{tree.direct_fallback.id}",
        json={"rating": "4A", "rating_reason": reason},
        headers=tree.admin.headers,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["rating"] == "4A"
    async with factory.runtime.sessionmaker() as session:
        event = (await session.scalars(select(AuditEvent))).one()
    assert (event.action, event.object_type, event.object_id, event.org_id) == (
        "org.rating_above_cap",
        "organization",
        tree.direct_fallback.id,
        tree.direct_fallback.id,
    )
    assert event.actor_account_id == tree.admin.account.id
    assert event.details == {
        "rating": "4A",
        "previous_rating": "3A",
        "reason": reason,
        "formal_members_working": 3,
        "coverage": "uncovered",
    }
    body = await get_json(
        client, f"{V1}/rating-cap?org_id={tree.street_a.id}&over_cap=true", tree.admin
    )
    # Now 3 over the cap; the exception carries the reason, who gave it and when.
    assert body["over_cap"] == 3
    item = next(item for item in body["items"] if item["org_id"] == tree.direct_fallback.id)
    assert item["exception"] == {
        "rating": "4A",
        "reason": reason,
        "recorded_at": "2026-10-08T12:00:00+08:00",
        "recorded_by_account_id": tree.admin.account.id,
        "recorded_by_name": tree.admin.member.name,
    }
    # A reason sent where none is needed is not recorded.
    plain = await client.patch(
        f"/api/v1/orgs/{tree.own.id}",
        json={"rating": "5A", "rating_reason": "不需要的理由"},
        headers=tree.admin.headers,
    )
    assert plain.status_code == 200
    async with factory.runtime.sessionmaker() as session:
        assert len((await session.scalars(select(AuditEvent))).all()) == 1


async def test_the_rating_cap_sheet(client: httpx.AsyncClient, rated: Rated) -> None:
    tree = rated.tree
    reason = "组建中"
    await client.patch(
        f"/api/v1/orgs/{tree.direct_fallback.id}",
        json={"rating": "5A", "rating_reason": reason},
        headers=tree.admin.headers,
    )
    rows = sheet_rows(
        await client.get(
            f"{V1}/rating-cap.xlsx?org_id={tree.street_a.id}", headers=tree.admin.headers
        )
    )
    assert rows[0][0] == "评估等级上限（具备条件未建立党组织的社会组织）"
    assert [row[0] for row in rows[1:3]] == ["组织：甲街道工委", "生成时间：2026-10-08 12:00"]
    assert rows[3] == [
        "序号",
        "社会组织",
        "统一社会信用代码",
        "评估等级",
        "在此工作的正式党员",
        "覆盖情况",
        "是否超出3A上限",
        "评定理由",
        "理由记录时间",
    ]
    assert rows[4] == [
        1,
        "总支下基金会",
        tree.general_fallback.credit_code,
        "5A",
        5,
        "仅选派党建工作指导员",
        "是",
        None,
        None,
    ]
    assert rows[5][1:7] == [
        "直属中心",
        tree.direct_instructed.credit_code,
        "4A",
        3,
        "仅选派党建工作指导员",
        "是",
    ]
    assert rows[6] == [
        3,
        "直属服务站",
        tree.direct_fallback.credit_code,
        "5A",
        3,
        "未覆盖",
        "是",
        reason,
        "2026-10-08 12:00",
    ]
    assert rows[8][0] == "受限社会组织 3 个，其中评为4A以上 3 个"
    only = sheet_rows(
        await client.get(
            f"{V1}/rating-cap.xlsx?org_id={tree.street_a.id}&over_cap=false",
            headers=tree.admin.headers,
        )
    )
    assert only[2][0] == "范围：未超出上限的"
    # No row: all three are over the cap now.
    assert only[4][0] == "序号"
    assert only[6][0] == "受限社会组织 3 个，其中评为4A以上 3 个"
