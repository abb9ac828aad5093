"""Study figures over a period: per member, per child organization, points per kind, and
their sheets. The rows are arranged directly (self-study days, completions, attendances of
集中学习 sessions) and points through the ledger, the one writer; every figure below is
worked out by hand from them."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import update

from app.kit.clock import FrozenClock
from app.kit.pagination import CursorKey, encode_cursor
from app.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    Attendance,
    CheckInMethod,
    MaterialKind,
    MaterialStatus,
    Member,
    PartyStatus,
    PointKind,
    Role,
    StudyDaily,
    StudyMaterial,
    StudyProgress,
)
from app.models.activities import ReviewStatus
from app.points.ledger import award, retract
from tests.factories import Actor, Factory, World, build_world

NOW = datetime(2025, 7, 2, 4, 0, tzinfo=UTC)  # 12:00 in Beijing
PERIOD = "from=2025-06-01&to=2025-06-30"
# 23:30 UTC of the period's last day is 07:30 on 1 July in Beijing: outside.
JUST_AFTER = datetime(2025, 6, 30, 23, 30, tzinfo=UTC)
FIGURES = "/api/v1/study/figures"


class _Unbounded(CursorKey):
    total: int
    id: int


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@dataclass
class Study:
    client: httpx.AsyncClient
    world: World
    m1: Member
    m2: Member
    m3: Member
    gone: Member
    far: Member
    secretary: Actor
    admin: Actor

    async def get(self, url: str, actor: Actor | None = None) -> httpx.Response:
        return await self.client.get(url, headers=(actor or self.admin).headers)

    async def json(self, url: str, actor: Actor | None = None) -> dict[str, Any]:
        response = await self.get(url, actor)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


async def _material(session: Any, org_id: int, title: str) -> StudyMaterial:
    material = StudyMaterial(
        org_id=org_id,
        kind=MaterialKind.ARTICLE,
        title=title,
        category="理论学习",
        body_html="<p>学习</p>",
        length_seconds=600,
        required_seconds=480,
        status=MaterialStatus.PUBLISHED,
        published_at=NOW,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(material)
    await session.flush()
    return material


def _session(org_id: int, starts_at: datetime, minutes: int, **fields: Any) -> Activity:
    values: dict[str, Any] = {
        "org_id": org_id,
        "type": ActivityType.GROUP_STUDY,
        "title": "集中学习",
        "status": ActivityStatus.PUBLISHED,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=minutes),
        "checkin_secret": os.urandom(32),
        "published_at": NOW,
        "created_at": NOW,
        "updated_at": NOW,
        **fields,
    }
    return Activity(**values)


def _attended(
    activity: Activity, member: Member, checked_in_at: datetime, checked_out_at: datetime | None
) -> Attendance:
    return Attendance(
        activity_id=activity.id,
        member_id=member.id,
        method=CheckInMethod.ROTATING_CODE,
        checked_in_at=checked_in_at,
        checked_out_at=checked_out_at,
    )


@pytest.fixture
async def study(client: httpx.AsyncClient, app: FastAPI, factory: Factory) -> Study:
    """Under 甲街道工委: m1 and m2 in 甲一支部, m3 working at 甲二基金会 (no relation, so
    counted by workplace in 甲二支部), a departed member; under 乙街道工委: `far`."""
    world = await build_world(factory)
    m1 = await factory.member(world.branch_a1, name="张一")
    m2 = await factory.member(world.branch_a1, name="李二", party_status=PartyStatus.PROBATIONARY)
    m3 = await factory.member(None, world.social_a2, name="王三")
    gone = await factory.member(world.branch_a1, name="赵四")
    far = await factory.member(world.joint_b, name="钱五")
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    runtime = app.state.runtime
    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(update(Member).where(Member.id == gone.id).values(departed_at=NOW))
        first = await _material(session, world.street_a.id, "党章")
        second = await _material(session, world.street_a.id, "准则")
        session.add_all(
            [
                StudyDaily(
                    member_id=m1.id, day=date(2025, 6, 10), material_id=first.id, seconds=300
                ),
                StudyDaily(
                    member_id=m1.id, day=date(2025, 6, 30), material_id=first.id, seconds=120
                ),
                StudyDaily(
                    member_id=m1.id, day=date(2025, 7, 1), material_id=first.id, seconds=999
                ),
                StudyDaily(
                    member_id=m1.id, day=date(2025, 5, 31), material_id=first.id, seconds=50
                ),
                StudyDaily(
                    member_id=m2.id, day=date(2025, 6, 15), material_id=second.id, seconds=60
                ),
                StudyDaily(
                    member_id=gone.id, day=date(2025, 6, 15), material_id=first.id, seconds=70
                ),
                StudyDaily(
                    member_id=far.id, day=date(2025, 6, 15), material_id=first.id, seconds=80
                ),
            ]
        )
        # Completions: 23:00 on the last day (in), 00:30 the day after (out), 00:00 on the
        # first day (in) and 23:59 the day before (out), all Beijing time.
        for member, material, completed_at in (
            (m1, first, datetime(2025, 6, 30, 15, 0, tzinfo=UTC)),
            (m2, first, datetime(2025, 6, 30, 16, 30, tzinfo=UTC)),
            (m3, first, datetime(2025, 5, 31, 16, 0, tzinfo=UTC)),
            (m3, second, datetime(2025, 5, 31, 15, 59, tzinfo=UTC)),
        ):
            session.add(
                StudyProgress(
                    member_id=member.id,
                    material_id=material.id,
                    credited_seconds=480,
                    first_studied_at=completed_at - timedelta(hours=1),
                    last_credited_at=completed_at,
                    completed_at=completed_at,
                )
            )
        held = _session(world.branch_a1.id, datetime(2025, 6, 20, 6, 0, tzinfo=UTC), 60)
        after = _session(world.branch_a1.id, datetime(2025, 6, 30, 16, 30, tzinfo=UTC), 60)
        cancelled = _session(
            world.branch_a1.id,
            datetime(2025, 6, 21, 6, 0, tzinfo=UTC),
            60,
            status=ActivityStatus.CANCELLED,
        )
        meeting = _session(
            world.branch_a1.id,
            datetime(2025, 6, 22, 6, 0, tzinfo=UTC),
            60,
            type=ActivityType.BRANCH_GENERAL_MEETING,
        )
        session.add_all([held, after, cancelled, meeting])
        await session.flush()
        start = held.starts_at
        rejected = _attended(held, m3, start, start + timedelta(minutes=60))
        rejected.review_status = ReviewStatus.REJECTED
        session.add_all(
            [
                # 100 minutes stayed, the session's 60 credited.
                _attended(held, m1, start - timedelta(minutes=10), start + timedelta(minutes=90)),
                _attended(held, m2, start + timedelta(minutes=10), start + timedelta(minutes=40)),
                rejected,
                _attended(held, far, start, start + timedelta(minutes=20)),
                _attended(after, m1, after.starts_at, after.starts_at + timedelta(minutes=30)),
                _attended(cancelled, m2, cancelled.starts_at, cancelled.ends_at),
                _attended(meeting, m2, meeting.starts_at, meeting.ends_at),
                # Checked in, never out: nothing.
                _attended(meeting, m3, meeting.starts_at, None),
            ]
        )
    async with runtime.engine.begin() as connection:
        at = datetime(2025, 6, 10, 2, 0, tzinfo=UTC)
        await award(
            connection, member_id=m1.id, kind=PointKind.MATERIAL_COMPLETED, source="m:1", now=at
        )
        await award(connection, member_id=m1.id, kind=PointKind.NEWS_READ, source="n:1", now=at)
        await award(
            connection, member_id=m1.id, kind=PointKind.NEWS_READ, source="n:2", now=JUST_AFTER
        )
        await award(
            connection, member_id=m2.id, kind=PointKind.ACTIVITY_ATTENDED, source="a:1", now=at
        )
        await retract(
            connection, member_id=m2.id, kind=PointKind.ACTIVITY_ATTENDED, source="a:1", now=at
        )
        await award(connection, member_id=m2.id, kind=PointKind.NEWS_READ, source="n:3", now=at)
        await award(connection, member_id=far.id, kind=PointKind.NEWS_READ, source="n:4", now=at)
    return Study(client, world, m1, m2, m3, gone, far, secretary, admin)


def figures_of(body: dict[str, Any]) -> dict[int, tuple[int, int, int, int, int]]:
    return {
        item["member_id"]: (
            item["self_study_seconds"],
            item["in_person_seconds"],
            item["total_seconds"],
            item["materials_completed"],
            item["points"],
        )
        for item in body["items"]
    }


async def test_each_member_s_study_in_the_period(study: Study) -> None:
    body = await study.json(f"{FIGURES}/members?org_id={study.world.street_a.id}&{PERIOD}")
    assert (body["org_id"], body["name"], body["from"], body["to"]) == (
        study.world.street_a.id,
        "甲街道工委",
        "2025-06-01",
        "2025-06-30",
    )
    assert [item["member_id"] for item in body["items"]] == [
        study.m1.id,
        study.m2.id,
        study.m3.id,
        study.secretary.member.id,
    ]
    assert figures_of(body) == {
        # 300 + 120 s of self-study (1 July and 31 May left out); 100 minutes at the session
        # credited as its 60; one completion at 23:00 on the last day; 2 + 1 points, the
        # read at 07:30 on 1 July left out.
        study.m1.id: (420, 3600, 4020, 1, 3),
        # 30 minutes at the session, none for the cancelled one nor the meeting; completed
        # at 00:30 on 1 July; 2 points retracted, 1 kept.
        study.m2.id: (60, 1800, 1860, 0, 1),
        # Rejected at review: nothing; completed at 00:00 on 1 June, not at 23:59 before.
        study.m3.id: (0, 0, 0, 1, 0),
        study.secretary.member.id: (0, 0, 0, 0, 0),
    }
    first = body["items"][0]
    assert (first["name"], first["org_id"], first["org_name"], first["party_status"]) == (
        "张一",
        study.world.branch_a1.id,
        "甲一支部",
        "full_member",
    )
    # Counted by workplace, having no relation organization.
    assert body["items"][2]["org_name"] == "甲二基金会"
    assert body["totals"] == {
        "members": 4,
        "studying_members": 2,
        "self_study_seconds": 480,
        "in_person_seconds": 5400,
        "total_seconds": 5880,
        "materials_completed": 2,
        "points": 4,
    }
    assert body["next_cursor"] is None


async def test_a_party_status_filter_counts_only_those(study: Study) -> None:
    body = await study.json(
        f"{FIGURES}/members?org_id={study.world.street_a.id}&{PERIOD}&party_status=probationary"
    )
    assert figures_of(body) == {study.m2.id: (60, 1800, 1860, 0, 1)}
    assert body["totals"]["members"] == 1


async def test_pages_follow_the_total_then_the_id(study: Study) -> None:
    url = f"{FIGURES}/members?org_id={study.world.street_a.id}&{PERIOD}&limit=1"
    seen: list[int] = []
    body = await study.json(url)
    while True:
        seen.extend(item["member_id"] for item in body["items"])
        assert body["totals"]["total_seconds"] == 5880  # every page carries the period's
        if body["next_cursor"] is None:
            break
        body = await study.json(f"{url}&cursor={body['next_cursor']}")
    assert seen == [study.m1.id, study.m2.id, study.m3.id, study.secretary.member.id]
    forged = await study.get(f"{url}&cursor=eyJhZnRlciI6IDF9")  # {"after": 1}: id order's
    assert forged.status_code == 422
    assert forged.json()["error"]["code"] == "pagination.invalid_cursor"
    huge = encode_cursor(_Unbounded(total=2**70, id=1))  # past every database integer
    response = await study.get(f"{url}&cursor={huge}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "pagination.invalid_cursor"


async def test_each_child_organization_and_the_whole(study: Study, factory: Factory) -> None:
    world = study.world
    body = await study.json(f"{FIGURES}/orgs?org_id={world.street_a.id}&{PERIOD}")
    assert body["total"] == {
        "org_id": world.street_a.id,
        "name": "甲街道工委",
        "members": 4,
        "studying_members": 2,
        "total_seconds": 5880,
        "average_seconds": 1470,
        "materials_completed": 2,
        "points": 4,
    }
    assert body["by_child"] == [
        {
            "org_id": world.branch_a1.id,
            "name": "甲一支部",
            "members": 3,
            "studying_members": 2,
            "total_seconds": 5880,
            "average_seconds": 1960,
            "materials_completed": 1,
            "points": 4,
        },
        {
            "org_id": world.branch_a2.id,
            "name": "甲二支部",
            "members": 1,
            "studying_members": 0,
            "total_seconds": 0,
            "average_seconds": 0,
            "materials_completed": 1,
            "points": 0,
        },
    ]
    city_admin = await factory.actor(Role.COMMITTEE_ADMIN, world.city)
    city = await study.json(f"{FIGURES}/orgs?org_id={world.city.id}&{PERIOD}", city_admin)
    street_b = city["by_child"][1]
    # 80 s alone and 20 minutes at a session of another street's branch: their own study.
    assert (street_b["name"], street_b["members"], street_b["total_seconds"]) == (
        "乙街道工委",
        1,
        1280,
    )
    assert city["total"]["total_seconds"] == 5880 + 1280
    social = await study.json(f"{FIGURES}/orgs?org_id={world.social_a1.id}&{PERIOD}")
    assert social["by_child"] == []
    assert social["total"]["members"] == 0
    assert social["total"]["average_seconds"] is None


async def test_a_secretary_sees_only_their_branch(study: Study) -> None:
    world = study.world
    own = await study.json(
        f"{FIGURES}/members?org_id={world.branch_a1.id}&{PERIOD}", study.secretary
    )
    assert set(figures_of(own)) == {study.m1.id, study.m2.id, study.secretary.member.id}
    for path in ("members", "members.xlsx", "orgs", "orgs.xlsx", "points.xlsx"):
        for org in (world.street_a, world.branch_a2):
            response = await study.get(f"{FIGURES}/{path}?org_id={org.id}", study.secretary)
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"]["code"] == "org.not_found"


async def test_another_committee_s_admin_finds_nothing(study: Study, factory: Factory) -> None:
    other = await factory.actor(Role.COMMITTEE_ADMIN, study.world.street_b)
    for path in ("members", "members.xlsx", "orgs", "orgs.xlsx", "points.xlsx"):
        response = await study.get(f"{FIGURES}/{path}?org_id={study.world.street_a.id}", other)
        assert response.status_code == 404, (path, response.text)
    plain = await factory.actor(None, None, relation=study.world.branch_a1)
    response = await study.get(f"{FIGURES}/members?org_id={study.world.branch_a1.id}", plain)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from=2025-06-30&to=2025-06-01", "attendance.invalid_period"),
        ("from=2024-06-01&to=2025-06-02", "study.period_too_long"),  # 367 days
        ("from=2025-06-31&to=2025-07-01", "validation_failed"),
        ("from=1&to=2025-07-01", "validation_failed"),
    ],
)
async def test_bad_periods_are_refused(study: Study, query: str, code: str) -> None:
    for path in ("members", "members.xlsx", "orgs", "orgs.xlsx", "points.xlsx"):
        response = await study.get(f"{FIGURES}/{path}?org_id={study.world.street_a.id}&{query}")
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"]["code"] == code
    if "2024-06-01" in query:
        assert response.json()["error"]["details"] == {"longest_days": 366}


async def test_a_leap_year_whole_is_a_period_and_so_is_the_default(study: Study) -> None:
    org_id = study.world.street_a.id
    leap = await study.json(f"{FIGURES}/members?org_id={org_id}&from=2024-01-01&to=2024-12-31")
    assert leap["totals"]["total_seconds"] == 0
    default = await study.json(f"{FIGURES}/members?org_id={org_id}")
    assert (default["from"], default["to"]) == ("2024-07-02", "2025-07-02")
    # A year up to today (2 July, Beijing): what fell just outside June counts now.
    assert figures_of(default)[study.m1.id] == (1469, 5400, 6869, 1, 4)


def _sheet(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_the_members_sheet(study: Study) -> None:
    org_id = study.world.street_a.id
    rows = _sheet(await study.get(f"{FIGURES}/members.xlsx?org_id={org_id}&{PERIOD}"))
    assert rows[0][0] == "学习情况（党员）"
    assert [row[0] for row in rows[1:4]] == [
        "组织：甲街道工委",
        "期间：2025-06-01 至 2025-06-30",
        "生成时间：2025-07-02 12:00",  # 04:00 UTC, written in Beijing time
    ]
    assert rows[4] == [
        "序号",
        "姓名",
        "组织",
        "政治面貌",
        "自学时长（分钟）",
        "集中学习时长（分钟）",
        "合计（分钟）",
        "学完资料",
        "积分",
    ]
    assert rows[5] == [1, "张一", "甲一支部", "正式党员", 7, 60, 67, 1, 3]
    assert rows[6] == [2, "李二", "甲一支部", "预备党员", 1, 30, 31, 0, 1]
    assert rows[7][:3] == [3, "王三", "甲二基金会"]
    assert rows[9] == [None, "合计", None, None, 8, 90, 98, 2, 4]
    assert len(rows) == 10
    filtered = _sheet(
        await study.get(
            f"{FIGURES}/members.xlsx?org_id={org_id}&{PERIOD}&party_status=probationary"
        )
    )
    assert filtered[3][0] == "政治面貌：预备党员"
    assert [row[1] for row in filtered[6:]] == ["李二", "合计"]


async def test_the_organizations_sheet(study: Study) -> None:
    rows = _sheet(await study.get(f"{FIGURES}/orgs.xlsx?org_id={study.world.street_a.id}&{PERIOD}"))
    assert rows[0][0] == "学习情况（组织）"
    assert rows[3][0] == "生成时间：2025-07-02 12:00"
    assert rows[4] == [
        "序号",
        "组织",
        "人数",
        "参学人数",
        "学习时长（分钟）",
        "人均时长（分钟）",
        "学完资料",
        "积分",
    ]
    assert rows[5:] == [
        [1, "甲一支部", 3, 2, 98, 32.7, 1, 4],
        [2, "甲二支部", 1, 0, 0, 0, 1, 0],
        [None, "合计（甲街道工委）", 4, 2, 98, 24.5, 2, 4],
    ]


async def test_the_points_sheet_by_kind(study: Study) -> None:
    rows = _sheet(
        await study.get(f"{FIGURES}/points.xlsx?org_id={study.world.street_a.id}&{PERIOD}")
    )
    assert rows[0][0] == "积分统计"
    assert rows[1][0] == "组织：甲街道工委"
    assert rows[4] == [
        "序号",
        "姓名",
        "组织",
        "政治面貌",
        "参加组织生活",
        "学习时长",
        "学完学习资料",
        "有效阅读新闻",
        "回答被采纳",
        "合计",
    ]
    # The attendance's 2 points and their retraction net out.
    assert rows[5] == [1, "张一", "甲一支部", "正式党员", 0, 0, 2, 1, 0, 3]
    assert rows[6] == [2, "李二", "甲一支部", "预备党员", 0, 0, 0, 1, 0, 1]
    assert [row[1] for row in rows[7:]] == ["王三", study.secretary.member.name, "合计"]
    assert rows[-1] == [None, "合计", None, None, 0, 0, 2, 2, 0, 4]
