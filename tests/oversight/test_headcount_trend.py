"""The head counts quarter by quarter, the additions and removals from the roster ledger, the
ledger's rows and the sheets. On test_headcount's tree (everything entered on 1 January), the
ledger written by the member service through the API, at moments chosen around the end of
the third quarter in Beijing:

    A  entered 23:59 on 30 September (Beijing): full, relation 甲联合支部, works at 联合会
       (relation here)                                         → joined, 2026-Q3
    B  entered 00:01 on 1 October: probationary, no relation, works at 总支下协会
                                                               → joined, 2026-Q4
    D  one of 总支下协会's full members (relation 甲支部, not here), recorded on 8 October
       as deceased on 20 September                             → deceased, 2026-Q3
    M  直属中心's member, relation moved from 甲支部 to 甲联合支部 on 8 October
                                                               → out and in, 2026-Q4

The 1 January rows (2026-Q1) of the party members whose roster lies in 甲街道工委's subtree
(the relation, else the workplace): 甲协会 3 + 1 probationary + 1 outside the system + the
one who left = 6 (the one with relation 乙支部 is 乙's; the activist is no party member);
联合会 2 + 1 = 3; 总支下协会 2; 直属中心 1: 12 joined. (The one who left was marked by hand:
no ledger row.)

Totals (party / formal / here) at each quarter's end:
    Q1, Q2 (31 March, 30 June): today's 12 / 10 / 6 plus the one who left (left on 1 October,
        full, here): 13 / 11 / 7, rate 7/13
    Q3 (30 September): + A (full, here) − D (left 20 September, full, not here):
        13 / 11 / 8, rate 8/13
    Q4 (today, 8 October): − the one who left + B (probationary, not here); M's move changes
        nothing (直属中心's parent is a committee): 13 / 10 / 7, rate 7/13
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.kit.clock import FrozenClock
from app.models import Member
from tests.factories import Factory
from tests.oversight.helpers import V1, get_json, sheet_rows
from tests.oversight.test_headcount import NOW, Tree, build_tree

Q3_LAST_MINUTE = datetime(2026, 9, 30, 15, 59, tzinfo=UTC)  # 23:59 on 30 September, Beijing
Q4_FIRST_MINUTE = datetime(2026, 9, 30, 16, 1, tzinfo=UTC)  # 00:01 on 1 October, Beijing
ZERO = {
    "joined": 0,
    "transferred_in": 0,
    "transferred_out": 0,
    "moved_away": 0,
    "deceased": 0,
    "withdrew": 0,
    "expelled": 0,
    "struck_off": 0,
    "probation_cancelled": 0,
}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


async def _post(client: httpx.AsyncClient, tree: Tree, url: str, body: dict[str, Any]) -> Any:
    response = await client.post(url, json=body, headers=tree.admin.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
async def moved(client: httpx.AsyncClient, factory: Factory, clock: FrozenClock) -> Tree:
    tree = await build_tree(factory)
    clock.at = Q3_LAST_MINUTE
    await _post(
        client,
        tree,
        "/api/v1/members",
        {
            "name": "甲",
            "party_status": "full_member",
            "relation_org_id": tree.joint.id,
            "workplace_org_id": tree.joint_org.id,
        },
    )
    clock.at = Q4_FIRST_MINUTE
    await _post(
        client,
        tree,
        "/api/v1/members",
        {"name": "乙", "party_status": "probationary", "workplace_org_id": tree.under_general.id},
    )
    clock.at = NOW
    async with factory.runtime.sessionmaker() as session:
        d = await session.scalar(
            select(Member.id)
            .where(Member.workplace_org_id == tree.under_general.id)
            .order_by(Member.id)
            .limit(1)
        )
        m = await session.scalar(select(Member.id).where(Member.workplace_org_id == tree.direct.id))
    await _post(
        client,
        tree,
        f"/api/v1/members/{d}/departure",
        {"reason": "deceased", "left_on": "2026-09-20", "note": "病故"},
    )
    response = await client.patch(
        f"/api/v1/members/{m}", json={"relation_org_id": tree.joint.id}, headers=tree.admin.headers
    )
    assert response.status_code == 200, response.text
    return tree


def _totals(party: int, formal: int, here: int) -> dict[str, Any]:
    return {
        "organizations": 5,
        "staff_count": 36,
        "staff_unrecorded": 1,
        "party_members_working": party,
        "formal_members_working": formal,
        "relation_here": here,
        "transfer_in_rate": round(here / party, 4),
    }


async def test_the_totals_at_each_quarters_end_and_the_quarters_changes(
    client: httpx.AsyncClient, moved: Tree
) -> None:
    tree = moved
    body = await get_json(
        client,
        f"{V1}/headcount/trend?org_id={tree.street_a.id}&from=2026-Q1&to=2026-Q4",
        tree.admin,
    )
    assert (body["from"], body["to"]) == ("2026-Q1", "2026-Q4")
    assert body["kind_labels"]["transferred_in"] == "组织关系转入"
    assert body["kind_labels"]["deceased"] == "去世"
    assert [
        (item["period"], item["label"], item["first"], item["last"], item["as_of"])
        for item in body["items"]
    ] == [
        ("2026-Q1", "2026年第一季度", "2026-01-01", "2026-03-31", "2026-03-31"),
        ("2026-Q2", "2026年第二季度", "2026-04-01", "2026-06-30", "2026-06-30"),
        ("2026-Q3", "2026年第三季度", "2026-07-01", "2026-09-30", "2026-09-30"),
        ("2026-Q4", "2026年第四季度", "2026-10-01", "2026-12-31", "2026-10-08"),
    ]
    q1, q2, q3, q4 = body["items"]
    assert q1["totals"] == q2["totals"] == _totals(13, 11, 7)
    assert q3["totals"] == _totals(13, 11, 8)
    assert q4["totals"] == _totals(13, 10, 7)
    assert q1["changes"] == {**ZERO, "joined": 12}
    assert (q1["added"], q1["removed"]) == (12, 0)
    assert q2["changes"] == ZERO
    # A entered at 23:59 on 30 September counts in Q3; B at 00:01 on 1 October in Q4. D's
    # death, recorded in Q4, took effect in Q3.
    assert q3["changes"] == {**ZERO, "joined": 1, "deceased": 1}
    assert (q3["added"], q3["removed"]) == (1, 1)
    assert q4["changes"] == {**ZERO, "joined": 1, "transferred_out": 1, "transferred_in": 1}
    assert (q4["added"], q4["removed"]) == (2, 1)

    # By default the current quarter and the three before it.
    default = await get_json(client, f"{V1}/headcount/trend?org_id={tree.street_a.id}", tree.admin)
    assert [item["period"] for item in default["items"]] == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]
    # Across a year: 2025-Q4 had nobody yet.
    across = await get_json(
        client,
        f"{V1}/headcount/trend?org_id={tree.street_a.id}&from=2025-Q4&to=2026-Q1",
        tree.admin,
    )
    first = across["items"][0]
    assert first["period"] == "2025-Q4"
    assert first["totals"]["organizations"] == 0
    assert first["totals"]["transfer_in_rate"] is None
    assert first["changes"] == ZERO


async def test_the_trend_refuses_what_it_cannot_count(
    client: httpx.AsyncClient, moved: Tree
) -> None:
    tree = moved
    root = f"{V1}/headcount/trend?org_id={tree.street_a.id}"
    for query, code in (
        ("&from=2026-Q3&to=2026-Q2", "oversight.invalid_quarter_range"),
        ("&from=2016-Q1&to=2026-Q4", "oversight.invalid_quarter_range"),
        ("&to=2027-Q1", "oversight.quarter_in_future"),
    ):
        response = await client.get(root + query, headers=tree.admin.headers)
        assert response.status_code == 422, (query, response.text)
        assert response.json()["error"]["code"] == code
    for query in ("&from=2026", "&to=2026-Q5", "&from=1999-Q4"):
        response = await client.get(root + query, headers=tree.admin.headers)
        assert response.status_code == 422, (query, response.text)
    # 40 quarters are fine.
    ok = await client.get(root + "&from=2016-Q4&to=2026-Q3", headers=tree.admin.headers)
    assert ok.status_code == 200, ok.text
    assert len(ok.json()["items"]) == 40


async def test_the_ledger_behind_the_numbers(client: httpx.AsyncClient, moved: Tree) -> None:
    tree = moved
    root = f"{V1}/roster-changes?org_id={tree.street_a.id}"
    body = await get_json(client, f"{root}&from=2026-07-01", tree.admin)
    assert body["next_cursor"] is None
    # Newest first by the day each took effect: M's move (in, then out: recorded together,
    # the later one first), B, A, then D's death (recorded last, effective 20 September).
    assert [(item["member_name"], item["kind"], item["occurred_on"]) for item in body["items"]] == [
        (body["items"][0]["member_name"], "transferred_in", "2026-10-08"),
        (body["items"][0]["member_name"], "transferred_out", "2026-10-08"),
        ("乙", "joined", "2026-10-01"),
        ("甲", "joined", "2026-09-30"),
        (body["items"][4]["member_name"], "deceased", "2026-09-20"),
    ]
    moved_in, moved_out, b, a, d = body["items"]
    assert (moved_in["org_id"], moved_in["org_name"]) == (tree.joint.id, "甲联合支部")
    assert (moved_out["org_id"], moved_out["org_name"]) == (tree.branch.id, "甲支部")
    assert (moved_in["direction"], moved_in["direction_label"]) == ("addition", "增加")
    assert (moved_out["direction"], moved_out["direction_label"]) == ("removal", "减少")
    assert (b["org_name"], b["party_status"], b["kind_label"]) == (
        "总支下协会",
        "probationary",
        "新增",
    )
    assert a["recorded_at"] == "2026-09-30T23:59:00+08:00"
    assert b["recorded_at"] == "2026-10-01T00:01:00+08:00"
    assert d == {
        "change_id": d["change_id"],
        "member_id": d["member_id"],
        "member_name": d["member_name"],
        "party_status": "full_member",
        "kind": "deceased",
        "kind_label": "去世",
        "direction": "removal",
        "direction_label": "减少",
        "reason": "病故",
        "org_id": tree.branch.id,  # counted where the relation lies
        "org_name": "甲支部",
        "occurred_on": "2026-09-20",
        "recorded_at": "2026-10-08T12:00:00+08:00",
        "source": "member:depart",
    }
    # The rows behind Q3's numbers: from the quarter's first to its last day.
    q3 = await get_json(client, f"{root}&from=2026-07-01&to=2026-09-30", tree.admin)
    assert [item["kind"] for item in q3["items"]] == ["joined", "deceased"]
    only = await get_json(client, f"{root}&kind=deceased", tree.admin)
    assert [item["reason"] for item in only["items"]] == ["病故"]
    # Every row, a page at a time: 12 from 1 January + 5.
    seen: list[int] = []
    cursor = ""
    while True:
        page = await get_json(client, f"{root}&limit=5{cursor}", tree.admin)
        seen += [item["change_id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert len(seen) == len(set(seen)) == 17
    # A branch's subtree: only its own rows (M out, D, and the 1 January ones of 甲支部).
    branch = await get_json(
        client, f"{V1}/roster-changes?org_id={tree.branch.id}&from=2026-07-01", tree.admin
    )
    assert [item["kind"] for item in branch["items"]] == ["transferred_out", "deceased"]
    bad = await client.get(f"{root}&from=2026-10-01&to=2026-09-30", headers=tree.admin.headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "oversight.invalid_day_range"
    forged = await client.get(f"{root}&cursor=eyJhZnRlciI6IDF9", headers=tree.admin.headers)
    assert forged.status_code == 422
    assert forged.json()["error"]["code"] == "pagination.invalid_cursor"


async def test_another_subtree_is_not_found(client: httpx.AsyncClient, moved: Tree) -> None:
    tree = moved
    for path in (
        "headcount/trend",
        "headcount/trend.xlsx",
        "roster-changes",
        "roster-changes.xlsx",
    ):
        response = await client.get(
            f"{V1}/{path}?org_id={tree.street_a.id}", headers=tree.other_admin.headers
        )
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "org.not_found"
    # 乙's admin sees 乙's rows only: none of the changes above.
    own = await get_json(client, f"{V1}/roster-changes?org_id={tree.street_b.id}", tree.other_admin)
    assert {item["org_name"] for item in own["items"]} == {"乙支部"}


async def test_the_sheets(client: httpx.AsyncClient, moved: Tree) -> None:
    tree = moved
    trend = sheet_rows(
        await client.get(
            f"{V1}/headcount/trend.xlsx?org_id={tree.street_a.id}&from=2026-Q3&to=2026-Q4",
            headers=tree.admin.headers,
        )
    )
    assert trend[0][0] == "党员人数季度变化及增减情况"
    assert trend[1][0] == "组织：甲街道工委"
    assert trend[2][0] == "统计区间：2026年第三季度 至 2026年第四季度（2026-07-01 至 2026-12-31）"
    assert trend[3][0] == "生成时间：2026-10-08 12:00"
    assert trend[4][:7] == [
        "季度",
        "统计日",
        "社会组织",
        "在此工作的党员",
        "其中正式党员",
        "组织关系在此的党员",
        "组织关系转入率",
    ]
    assert trend[4][7:] == [
        "新增",
        "组织关系转入",
        "组织关系转出",
        "离职或迁离",
        "去世",
        "退党",
        "开除党籍",
        "除名",
        "取消预备党员资格",
        "增加合计",
        "减少合计",
    ]
    assert trend[5][0] == "2026年第三季度"
    assert trend[5][2:] == [5, 13, 11, 8, "61.5%", 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]
    assert trend[6][2:] == [5, 13, 10, 7, "53.8%", 1, 1, 1, 0, 0, 0, 0, 0, 0, 2, 1]

    ledger = sheet_rows(
        await client.get(
            f"{V1}/roster-changes.xlsx?org_id={tree.street_a.id}&from=2026-07-01&kind=deceased",
            headers=tree.admin.headers,
        )
    )
    assert ledger[0][0] == "党员增减台账"
    assert ledger[1][0] == "组织：甲街道工委"
    assert ledger[2][0] == "生效日期：2026-07-01 至 今天"
    assert ledger[3][0] == "变动类型：去世"
    assert ledger[4][0] == "生成时间：2026-10-08 12:00"
    assert ledger[5] == [
        "序号",
        "生效日期",
        "党员",
        "政治面貌",
        "增减",
        "变动类型",
        "组织",
        "原因",
        "记录时间",
    ]
    assert ledger[6][0] == 1
    assert ledger[6][3:] == ["正式党员", "减少", "去世", "甲支部", "病故", "2026-10-08 12:00"]
    assert ledger[6][1].date().isoformat() == "2026-09-20"
    assert [row[0] for row in ledger[7:] if row[0]] == ["共 1 条：增加 0 条，减少 1 条"]
