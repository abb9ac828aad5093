"""三会一课 compliance, hollow branches and a branch's activities, against a small tree whose
every figure is worked out by hand below, and the committees' norms it is measured by.

    市综合党委 (committee)            norms: branch committee 5, themed party day 1
    ├── 甲街道工委 (committee)         norms: branch committee 2 (nearer: it wins)
    │   ├── 甲党总支 (general branch)
    │   │   └── 有小组支部 (branch, one party group)
    │   ├── 无小组支部 (branch)
    │   ├── 联合支部 (joint branch)
    │   ├── 空支部 (branch)            nothing, ever
    │   └── 新支部 (branch)            entered on 15 July
    └── 乙街道工委 (committee)
        └── 乙支部 (branch)

So a branch of 甲 is expected per quarter: general meeting 1 (default), branch committee 2
(甲's), party group 3 (default) if it has party groups else 0, party lecture 1 (default),
themed party day 1 (the city's). Times are Beijing time; today is 20 September 2026, in Q3.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.kit.clock import FrozenClock
from app.kit.time import DISPLAY_ZONE
from app.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    Attendance,
    CheckInMethod,
    ExpectedAttendee,
    Member,
    Minutes,
    Organization,
    OrgKind,
    PartyGroup,
    Role,
)
from app.models.activities import ReviewStatus
from tests.factories import Actor, Factory
from tests.oversight.helpers import V1, get_json, sheet_rows

ENTERED = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)
NOW = datetime(2026, 9, 20, 4, 0, tzinfo=UTC)  # 12:00 on 20 September in Beijing
T = ActivityType


def bj(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=DISPLAY_ZONE).astimezone(UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(ENTERED)


@dataclass
class Branches:
    city: Organization
    street_a: Organization
    street_b: Organization
    grouped: Organization
    plain: Organization
    joint: Organization
    empty: Organization
    new: Organization
    other: Organization
    admin: Actor
    city_admin: Actor
    other_admin: Actor
    ids: dict[str, int]  # activity ids by name


class Arranger:
    def __init__(self, session: Any) -> None:
        self.session = session
        self.ids: dict[str, int] = {}

    async def activity(
        self,
        name: str,
        org: Organization,
        kind: ActivityType,
        starts: datetime,
        minutes: int = 90,
        *,
        status: ActivityStatus = ActivityStatus.PUBLISHED,
        present: tuple[Member, ...] = (),
        late: tuple[Member, ...] = (),
        rejected: tuple[Member, ...] = (),
        expected: tuple[Member, ...] = (),
        with_minutes: bool = False,
    ) -> None:
        activity = Activity(
            org_id=org.id,
            type=kind,
            title=name,
            status=status,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes),
            checkin_secret=os.urandom(32),
            published_at=ENTERED,
            cancelled_at=NOW if status is ActivityStatus.CANCELLED else None,
            created_at=ENTERED,
            updated_at=ENTERED,
        )
        self.session.add(activity)
        await self.session.flush()
        self.ids[name] = activity.id
        for member in expected:
            self.session.add(ExpectedAttendee(activity_id=activity.id, member_id=member.id))
        for group, is_late, review in (
            (present, False, None),
            (late, True, None),
            (rejected, False, ReviewStatus.REJECTED),
        ):
            for member in group:
                self.session.add(
                    Attendance(
                        activity_id=activity.id,
                        member_id=member.id,
                        method=CheckInMethod.ROTATING_CODE,
                        checked_in_at=starts,
                        late=is_late,
                        review_status=review,
                    )
                )
        if with_minutes:
            self.session.add(
                Minutes(activity_id=activity.id, content="会议记录", created_at=NOW, updated_at=NOW)
            )
        await self.session.flush()


@pytest.fixture
async def branches(client: httpx.AsyncClient, factory: Factory, clock: FrozenClock) -> Branches:
    city = await factory.org(OrgKind.COMMITTEE, "市综合党委")
    street_a = await factory.org(OrgKind.COMMITTEE, "甲街道工委", city)
    street_b = await factory.org(OrgKind.COMMITTEE, "乙街道工委", city)
    general = await factory.org(OrgKind.GENERAL_BRANCH, "甲党总支", street_a)
    grouped = await factory.org(OrgKind.BRANCH, "有小组支部", general)
    plain = await factory.org(OrgKind.BRANCH, "无小组支部", street_a)
    joint = await factory.org(OrgKind.JOINT_BRANCH, "联合支部", street_a)
    empty = await factory.org(OrgKind.BRANCH, "空支部", street_a)
    other = await factory.org(OrgKind.BRANCH, "乙支部", street_b)
    g1, g2 = [await factory.member(grouped) for _ in range(2)]
    m1, m2, m3, m4, m5 = [await factory.member(plain) for _ in range(5)]
    b1 = await factory.member(other)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, street_a)
    city_admin = await factory.actor(Role.COMMITTEE_ADMIN, city)
    other_admin = await factory.actor(Role.COMMITTEE_ADMIN, street_b)
    clock.at = datetime(2026, 7, 15, 4, 0, tzinfo=UTC)
    new = await factory.org(OrgKind.BRANCH, "新支部", street_a)
    clock.at = NOW
    for committee, actor, norms in (
        (city, city_admin, {"branch_committee": 5, "themed_party_day": 1}),
        (street_a, admin, {"branch_committee": 2}),
    ):
        saved = await client.put(f"{V1}/norms/{committee.id}", json=norms, headers=actor.headers)
        assert saved.status_code == 200, saved.text
    async with factory.runtime.sessionmaker.begin() as session:
        session.add(
            PartyGroup(org_id=grouped.id, name="第一党小组", created_at=NOW, updated_at=NOW)
        )
        a = Arranger(session)
        # 有小组支部
        await a.activity(
            "g_bgm", grouped, T.BRANCH_GENERAL_MEETING, bj(7, 10), present=(g1,), expected=(g1, g2)
        )
        await a.activity("g_bc1", grouped, T.BRANCH_COMMITTEE, bj(7, 5), late=(g1,))
        await a.activity("g_bc2", grouped, T.BRANCH_COMMITTEE, bj(8, 5), with_minutes=True)
        await a.activity("g_bc3", grouped, T.BRANCH_COMMITTEE, bj(9, 5), rejected=(g1,))
        for month in (7, 8, 9):
            await a.activity(f"g_pg{month}", grouped, T.PARTY_GROUP, bj(month, 12), present=(g1,))
        # 22:00 on 30 June to 00:30 on 1 July: it ends in Q3 (in UTC, still June).
        await a.activity("g_pl", grouped, T.PARTY_LECTURE, bj(6, 30, 22), 150, present=(g1,))
        await a.activity("g_tpd", grouped, T.THEMED_PARTY_DAY, bj(7, 1, 9), present=(g1,))
        await a.activity(
            "g_tpd_cancelled",
            grouped,
            T.THEMED_PARTY_DAY,
            bj(8, 1),
            status=ActivityStatus.CANCELLED,
            present=(g1,),
            expected=(g1, g2),
        )
        await a.activity("g_bc_future", grouped, T.BRANCH_COMMITTEE, bj(9, 25))
        # 无小组支部
        await a.activity(
            "n_bgm",
            plain,
            T.BRANCH_GENERAL_MEETING,
            bj(7, 20),
            present=(m1, m3, m5),
            late=(m2,),
            expected=(m1, m2, m3, m4),
        )
        await a.activity(
            "n_bc7", plain, T.BRANCH_COMMITTEE, bj(7, 8), present=(m1,), expected=(m1, m2)
        )
        await a.activity(
            "n_bc8", plain, T.BRANCH_COMMITTEE, bj(8, 8), present=(m1,), expected=(m1, m2)
        )
        await a.activity(
            "n_bc9",
            plain,
            T.BRANCH_COMMITTEE,
            bj(9, 8),
            present=(m1,),
            rejected=(m2,),
            expected=(m1, m2),
        )
        await a.activity("n_tpd", plain, T.THEMED_PARTY_DAY, bj(8, 15), present=(m3,))
        await a.activity("n_study", plain, T.GROUP_STUDY, bj(9, 1), with_minutes=True)
        # 22:00 to 23:30 on 30 June: Q2.
        await a.activity("n_q2", plain, T.PARTY_LECTURE, bj(6, 30, 22), present=(m1,))
        # 联合支部: held in June only; in Q3 an activity where nothing was recorded.
        await a.activity("j_q2", joint, T.BRANCH_GENERAL_MEETING, bj(6, 10), with_minutes=True)
        await a.activity("j_empty", joint, T.THEMED_PARTY_DAY, bj(7, 20))
        # 乙支部, another subtree.
        await a.activity("b_bgm", other, T.BRANCH_GENERAL_MEETING, bj(7, 3), present=(b1,))
        ids = a.ids
    return Branches(
        city, street_a, street_b, grouped, plain, joint, empty, new, other,
        admin, city_admin, other_admin, ids,
    )  # fmt: skip


def _held(**counts: int) -> dict[str, int]:
    return {kind.value: counts.get(kind.value, 0) for kind in ActivityType}


async def test_compliance_of_a_quarter(client: httpx.AsyncClient, branches: Branches) -> None:
    body = await get_json(
        client, f"{V1}/compliance?org_id={branches.street_a.id}&period=2026-Q3", branches.admin
    )
    assert (body["period"], body["first"], body["last"]) == ("2026-Q3", "2026-07-01", "2026-09-30")
    # 5 branches (新支部 entered on 15 July, inside Q3); compliant: 有小组支部 only; hollow:
    # 联合支部, 空支部 and 新支部; the other 4 non-compliant.
    assert body["counts"] == {"branches": 5, "compliant": 1, "non_compliant": 4, "hollow": 3}
    items = {item["name"]: item for item in body["items"]}
    assert list(items) == ["有小组支部", "无小组支部", "联合支部", "空支部", "新支部"]

    grouped = items["有小组支部"]
    # Held: the general meeting (1); branch committee 5 July (late) and 5 August (minutes
    # only), not 5 September (its one attendance rejected) nor 25 September (not ended): 2;
    # party group 3; the lecture that ended at 00:30 on 1 July (1); themed party day 1, not
    # the cancelled one. Expected: 1, 2 (甲's, not the city's 5), 3 (it has a party group),
    # 1, 1 (the city's). Held ≥ expected everywhere: compliant.
    assert grouped["held"] == _held(
        branch_general_meeting=1,
        branch_committee=2,
        party_group=3,
        party_lecture=1,
        themed_party_day=1,
    )
    assert grouped["expected"] == {
        "branch_general_meeting": 1,
        "branch_committee": 2,
        "party_group": 3,
        "party_lecture": 1,
        "themed_party_day": 1,
    }
    assert (grouped["compliant"], grouped["hollow"]) == (True, False)
    # The latest held: the party group of 12 September. Of the held ones only the general
    # meeting had expected attendees, 1 of 2 present (the cancelled one does not count).
    assert (grouped["last_held_on"], grouped["attendance_rate"]) == ("2026-09-12", 0.5)
    assert grouped["kind"] == "branch"

    plain = items["无小组支部"]
    # Held: general meeting 1, branch committee 3, themed party day 1, group study 1; the
    # lecture ended on 30 June (Q2). Expected: party group 0, no party groups. Lecture 0 < 1.
    assert plain["held"] == _held(
        branch_general_meeting=1, branch_committee=3, themed_party_day=1, group_study=1
    )
    assert plain["expected"]["party_group"] == 0
    assert plain["expected"]["party_lecture"] == 1
    assert (plain["compliant"], plain["hollow"]) == (False, False)
    # 出席率 over the held ones with expected attendees: the general meeting 3 of 4 (m5 came
    # but was not expected), each branch committee 1 of 2 (m2's rejected check-in is no
    # attendance): (3 + 1 + 1 + 1) / (4 + 2 + 2 + 2) = 6 / 10.
    assert (plain["last_held_on"], plain["attendance_rate"]) == ("2026-09-08", 0.6)

    joint = items["联合支部"]
    # Nothing held in Q3 (the 20 July one recorded nothing); its last: 10 June.
    assert joint["held"] == _held()
    assert (joint["compliant"], joint["hollow"], joint["last_held_on"]) == (
        False,
        True,
        "2026-06-10",
    )
    assert joint["kind"] == "joint_branch"
    assert joint["attendance_rate"] is None
    empty = items["空支部"]
    assert (empty["hollow"], empty["last_held_on"], empty["attendance_rate"]) == (True, None, None)
    assert empty["expected"]["party_group"] == 0


async def test_compliance_of_another_quarter_and_a_year(
    client: httpx.AsyncClient, branches: Branches
) -> None:
    url = f"{V1}/compliance?org_id={branches.street_a.id}"
    q2 = await get_json(client, f"{url}&period=2026-Q2", branches.admin)
    # 新支部 was entered after Q2 ended: 4 branches. 无小组支部 held the lecture of 30 June,
    # 联合支部 the general meeting of 10 June; 有小组支部 (its lecture ended on 1 July) and
    # 空支部 are hollow. Nobody compliant.
    assert q2["counts"] == {"branches": 4, "compliant": 0, "non_compliant": 4, "hollow": 2}
    items = {item["name"]: item for item in q2["items"]}
    assert items["无小组支部"]["held"] == _held(party_lecture=1)
    assert items["有小组支部"]["hollow"] is True
    assert items["有小组支部"]["last_held_on"] is None
    year = await get_json(client, f"{url}&period=2026", branches.admin)
    grouped = next(item for item in year["items"] if item["name"] == "有小组支部")
    # A year expects four quarters' worth: 4 × (1, 2, 3, 1, 1).
    assert grouped["expected"] == {
        "branch_general_meeting": 4,
        "branch_committee": 8,
        "party_group": 12,
        "party_lecture": 4,
        "themed_party_day": 4,
    }
    assert grouped["compliant"] is False
    # The year's held are Q2's and Q3's together (the lecture counted once).
    assert grouped["held"]["party_lecture"] == 1
    assert year["counts"]["branches"] == 5
    # Without a period: the current quarter, Q3.
    current = await get_json(client, url, branches.admin)
    assert current["period"] == "2026-Q3"
    assert current["counts"] == {"branches": 5, "compliant": 1, "non_compliant": 4, "hollow": 3}


async def test_the_lists_behind_the_counts(client: httpx.AsyncClient, branches: Branches) -> None:
    url = f"{V1}/compliance?org_id={branches.street_a.id}&period=2026-Q3"

    async def names(query: str) -> list[str]:
        body = await get_json(client, url + query, branches.admin)
        return [item["name"] for item in body["items"]]

    assert await names("&status=hollow") == ["联合支部", "空支部", "新支部"]
    assert await names("&status=compliant") == ["有小组支部"]
    assert await names("&status=non_compliant") == ["无小组支部", "联合支部", "空支部", "新支部"]
    first = await get_json(client, url + "&limit=2", branches.admin)
    assert [item["name"] for item in first["items"]] == ["有小组支部", "无小组支部"]
    rest = await get_json(client, f"{url}&limit=2&cursor={first['next_cursor']}", branches.admin)
    assert [item["name"] for item in rest["items"]] == ["联合支部", "空支部"]
    # The counts are always the whole subtree's.
    assert rest["counts"]["branches"] == 5


async def test_a_branchs_activities_and_why_each_counts_or_not(
    client: httpx.AsyncClient, branches: Branches
) -> None:
    url = f"{V1}/compliance/{branches.grouped.id}/activities?period=2026-Q3"
    seen: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(5):
        body = await get_json(client, f"{url}&limit=4{cursor}", branches.admin)
        seen += body["items"]
        if body["next_cursor"] is None:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert (body["branch_id"], body["name"], body["period"]) == (
        branches.grouped.id,
        "有小组支部",
        "2026-Q3",
    )
    # Every activity that starts or ends in Q3, by its end: 11, in pages of 4, 4 and 3.
    assert [(item["title"], item["held"], item["not_held_because"]) for item in seen] == [
        ("g_pl", True, None),
        ("g_tpd", True, None),
        ("g_bc1", True, None),
        ("g_bgm", True, None),
        ("g_pg7", True, None),
        ("g_tpd_cancelled", False, "cancelled"),
        ("g_bc2", True, None),
        ("g_pg8", True, None),
        ("g_bc3", False, "nothing_recorded"),
        ("g_pg9", True, None),
        ("g_bc_future", False, "not_ended"),
    ]
    lecture = seen[0]
    assert lecture == {
        "activity_id": branches.ids["g_pl"],
        "title": "g_pl",
        "type": "party_lecture",
        "type_label": "党课",
        "status": "ended",
        "starts_at": "2026-06-30T22:00:00+08:00",
        "ends_at": "2026-07-01T00:30:00+08:00",
        "attendances": 1,
        "has_minutes": False,
        "held": True,
        "not_held_because": None,
    }
    by_title = {item["title"]: item for item in seen}
    assert (by_title["g_bc2"]["attendances"], by_title["g_bc2"]["has_minutes"]) == (0, True)
    assert by_title["g_bc3"]["attendances"] == 0  # rejected in review
    assert by_title["g_tpd_cancelled"]["status"] == "cancelled"
    assert by_title["g_bc_future"]["status"] == "published"
    # In Q2 the lecture started but ended after it: listed, counted in Q3.
    q2 = await get_json(
        client, f"{V1}/compliance/{branches.grouped.id}/activities?period=2026-Q2", branches.admin
    )
    assert [(item["title"], item["not_held_because"]) for item in q2["items"]] == [
        ("g_pl", "ended_outside_period")
    ]


async def test_bad_periods_are_field_errors_in_chinese(
    client: httpx.AsyncClient, branches: Branches
) -> None:
    for period in ("2026-Q5", "2026-q3", "26", "2026-07", "1999", "2026-Q0", "2026Q3"):
        for path in (
            f"compliance?org_id={branches.street_a.id}&period={period}",
            f"compliance.xlsx?org_id={branches.street_a.id}&period={period}",
            f"compliance/{branches.grouped.id}/activities?period={period}",
        ):
            response = await client.get(f"{V1}/{path}", headers=branches.admin.headers)
            assert response.status_code == 422, (period, response.text)
            error = response.json()["error"]
            assert error["code"] == "validation_failed"
            assert error["details"]["fields"] == [
                {
                    "loc": ["query", "period"],
                    "code": "period.format",
                    "message": "统计周期应为季度（如 2026-Q3）或年份（如 2026），"
                    "年份在 2000—2100 之间",
                }
            ]


async def test_scope_of_compliance(
    client: httpx.AsyncClient, factory: Factory, branches: Branches
) -> None:
    for url in (
        f"{V1}/compliance?org_id={branches.street_b.id}",
        f"{V1}/compliance?org_id={branches.city.id}",
        f"{V1}/compliance.xlsx?org_id={branches.street_b.id}",
    ):
        response = await client.get(url, headers=branches.admin.headers)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "org.not_found"
    other = await client.get(
        f"{V1}/compliance/{branches.other.id}/activities", headers=branches.admin.headers
    )
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "oversight.branch_not_found"
    # A committee or a social organization is no branch to drill into.
    committee = await client.get(
        f"{V1}/compliance/{branches.street_a.id}/activities", headers=branches.admin.headers
    )
    assert committee.status_code == 404
    # The city sees 乙支部 too: 6 branches.
    city = await get_json(
        client, f"{V1}/compliance?org_id={branches.city.id}&period=2026-Q3", branches.city_admin
    )
    assert city["counts"]["branches"] == 6
    # An instructor on a branch reads its figure; a secretary reads none.
    instructor = await factory.actor(Role.INSTRUCTOR, branches.plain)
    own = await get_json(
        client, f"{V1}/compliance?org_id={branches.plain.id}&period=2026-Q3", instructor
    )
    assert [item["name"] for item in own["items"]] == ["无小组支部"]
    secretary = await factory.actor(Role.SECRETARY, branches.plain)
    refused = await client.get(
        f"{V1}/compliance?org_id={branches.plain.id}", headers=secretary.headers
    )
    assert refused.status_code == 403


async def test_the_compliance_sheet(client: httpx.AsyncClient, branches: Branches) -> None:
    rows = sheet_rows(
        await client.get(
            f"{V1}/compliance.xlsx?org_id={branches.street_a.id}&period=2026-Q3",
            headers=branches.admin.headers,
        )
    )
    assert rows[0][0] == "三会一课落实情况"
    assert [row[0] for row in rows[1:4]] == [
        "组织：甲街道工委",
        "统计周期：2026年第三季度（2026-07-01 至 2026-09-30）",
        "生成时间：2026-09-20 12:00",
    ]
    assert rows[4] == [
        "序号",
        "党支部",
        "类型",
        "支部党员大会（已召开/应召开）",
        "支部委员会（已召开/应召开）",
        "党小组会（已召开/应召开）",
        "党课（已召开/应召开）",
        "主题党日（已召开/应召开）",
        "其他活动",
        "是否达标",
        "是否空转",
        "最近一次开展",
        "出席率",
    ]
    last_held = rows[5][11]
    assert rows[5][:11] == [
        1,
        "有小组支部",
        "党支部",
        "1/1",
        "2/2",
        "3/3",
        "1/1",
        "1/1",
        0,
        "是",
        "否",
    ]
    assert last_held.date().isoformat() == "2026-09-12"
    assert rows[5][12] == "50.0%"
    assert rows[6][:11] == [
        2,
        "无小组支部",
        "党支部",
        "1/1",
        "3/2",
        "0/0",
        "0/1",
        "1/1",
        1,
        "否",
        "否",
    ]
    assert rows[6][12] == "60.0%"
    assert rows[7][1:3] == ["联合支部", "联合党支部"]
    assert rows[7][9:13] == ["否", "是", rows[7][11], None]
    assert rows[7][11].date().isoformat() == "2026-06-10"
    assert [row[1] for row in rows[8:10]] == ["空支部", "新支部"]
    assert rows[11][0] == "支部 5 个：达标 1 个，未达标 4 个，其中空转 3 个"
    hollow = sheet_rows(
        await client.get(
            f"{V1}/compliance.xlsx?org_id={branches.street_a.id}&period=2026-Q3&status=hollow",
            headers=branches.admin.headers,
        )
    )
    assert hollow[3][0] == "范围：空转的支部（本期未开展任何活动）"
    assert [row[1] for row in hollow[6:9]] == ["联合支部", "空支部", "新支部"]


async def test_the_norms_of_a_committee(
    client: httpx.AsyncClient, factory: Factory, branches: Branches
) -> None:
    url = f"{V1}/norms/{branches.street_a.id}"
    body = await get_json(client, url, branches.admin)
    assert body["committee_id"] == branches.street_a.id
    assert [
        (n["activity_type"], n["label"], n["per_quarter"], n["own"], n["decided_by_org_id"])
        for n in body["norms"]
    ] == [
        ("branch_general_meeting", "支部党员大会", 1, None, None),
        ("branch_committee", "支部委员会", 2, 2, branches.street_a.id),
        ("party_group", "党小组会", 3, None, None),
        ("party_lecture", "党课", 1, None, None),
        ("themed_party_day", "主题党日", 1, None, branches.city.id),
    ]
    # PUT replaces the committee's own: branch committee no longer given, so the city's 5
    # holds; the lecture set to 0 (not expected).
    replaced = await client.put(
        url, json={"party_lecture": 0, "themed_party_day": None}, headers=branches.admin.headers
    )
    assert replaced.status_code == 200, replaced.text
    values = {n["activity_type"]: (n["per_quarter"], n["own"]) for n in replaced.json()["norms"]}
    assert values["branch_committee"] == (5, None)
    assert values["party_lecture"] == (0, 0)
    assert values["themed_party_day"] == (1, None)
    figure = await get_json(
        client, f"{V1}/compliance?org_id={branches.street_a.id}&period=2026-Q3", branches.admin
    )
    plain = next(item for item in figure["items"] if item["name"] == "无小组支部")
    # Branch committee 3 < 5 now; the lecture 0 ≥ 0.
    assert plain["expected"]["branch_committee"] == 5
    assert plain["expected"]["party_lecture"] == 0
    assert figure["counts"]["compliant"] == 0
    # The sibling street's admin: not found; an instructor: not allowed; a branch: no
    # committee.
    other = await client.get(url, headers=branches.other_admin.headers)
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "oversight.committee_not_found"
    branch = await client.get(f"{V1}/norms/{branches.plain.id}", headers=branches.admin.headers)
    assert branch.status_code == 404
    instructor = await factory.actor(Role.INSTRUCTOR, branches.street_a)
    assert (await client.get(url, headers=instructor.headers)).status_code == 403
    # Strict numbers in range.
    for bad in ({"party_lecture": -1}, {"party_lecture": "1"}, {"party_lecture": 101}, {"x": 1}):
        refused = await client.put(url, json=bad, headers=branches.admin.headers)
        assert refused.status_code == 422, bad
