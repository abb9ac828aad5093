"""Q&A figures over a period: per organization routed to and per instructor, asked,
answered, the median and 90th percentile of the time to the first answer, and the questions
waiting over 48 h, read at the period's cutoff; and their sheet. The questions and answers
are inserted as rows; every figure below is worked out by hand from them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import FrozenClock
from app.kit.time import DISPLAY_ZONE
from app.models import (
    Member,
    MessageKind,
    Organization,
    QaCategory,
    QaMessage,
    Question,
    QuestionStatus,
    Role,
    Visibility,
)
from app.qa.figures import percentile
from tests.factories import Actor, Factory, World, build_world

NOW = datetime(2025, 7, 2, 4, 0, tzinfo=UTC)  # 12:00 on 2 July in Beijing
JUNE = "from=2025-06-01&to=2025-06-30"
FIGURES = "/api/v1/qa/figures"


def bj(day: str, clock_time: str = "10:00:00") -> datetime:
    """A Beijing time, ``bj("06-02", "10:30:00")``, in 2025, as UTC."""
    local = datetime.fromisoformat(f"2025-{day}T{clock_time}").replace(tzinfo=DISPLAY_ZONE)
    return local.astimezone(UTC)


# June's cutoff: its end, 00:00 on 1 July in Beijing (now is later).
CUTOFF = bj("07-01", "00:00:00")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@dataclass
class Scene:
    client: httpx.AsyncClient
    world: World
    instructor_1: Actor  # of 甲一支部
    instructor_2: Actor  # of 甲二支部
    admin: Actor  # of 甲街道工委

    async def get(self, url: str, actor: Actor | None = None) -> httpx.Response:
        return await self.client.get(url, headers=(actor or self.admin).headers)

    async def json(self, url: str, actor: Actor | None = None) -> dict[str, Any]:
        response = await self.get(url, actor)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


class Thread:
    """Inserts questions and their answers as rows, as the question routes would leave them."""

    def __init__(self, session: AsyncSession, asker: Member, category_id: int) -> None:
        self.session = session
        self.asker = asker
        self.category_id = category_id

    async def ask(
        self,
        routed: Organization,
        asked_at: datetime,
        *,
        status: QuestionStatus = QuestionStatus.OPEN,
        role: Role = Role.INSTRUCTOR,
        assignee: Actor | None = None,
        closed_at: datetime | None = None,
    ) -> Question:
        question = Question(
            asker_member_id=self.asker.id,
            org_id=self.asker.relation_org_id,
            category_id=self.category_id,
            title="党费怎么交",
            body="流动党员的党费交到哪里？",
            status=status,
            routed_org_id=routed.id,
            routed_role=role,
            assignee_member_id=assignee.member.id if assignee else None,
            closed_at=closed_at,
            created_at=asked_at,
            updated_at=asked_at,
        )
        self.session.add(question)
        await self.session.flush()
        return question

    async def answer(
        self,
        question: Question,
        author: Actor,
        at: datetime,
        visibility: Visibility = Visibility.VISIBLE,
    ) -> None:
        self.session.add(
            QaMessage(
                question_id=question.id,
                kind=MessageKind.ANSWER,
                author_member_id=author.member.id,
                author_account_id=author.account.id,
                body="交到组织关系所在的支部。",
                visibility=visibility,
                created_at=at,
                updated_at=at,
            )
        )
        if visibility is Visibility.VISIBLE and question.first_answered_at is None:
            question.first_answered_at = at
            if question.status is QuestionStatus.OPEN:
                question.status = QuestionStatus.ANSWERED
        await self.session.flush()

    async def answered(
        self, routed: Organization, asked_at: datetime, author: Actor, after: timedelta
    ) -> Question:
        question = await self.ask(routed, asked_at)
        await self.answer(question, author, asked_at + after)
        return question


@pytest.fixture
async def scene(client: httpx.AsyncClient, app: FastAPI, factory: Factory) -> Scene:
    """Questions routed into 甲街道工委's subtree (甲一支部, 甲二支部 and the street itself)
    and out of it (the city, 乙联合支部), asked in June and around it."""
    world = await build_world(factory)
    instructor_1 = await factory.actor(Role.INSTRUCTOR, world.branch_a1)
    instructor_2 = await factory.actor(Role.INSTRUCTOR, world.branch_a2)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    asker = await factory.member(world.branch_a1, name="提问人")
    minute = timedelta(minutes=1)
    async with app.state.runtime.sessionmaker.begin() as session:
        category = await session.scalar(select(QaCategory.id).where(QaCategory.name == "党费"))
        assert category is not None
        t = Thread(session, asker, category)
        a1, a2 = world.branch_a1, world.branch_a2

        # 甲一支部: answered after 30 min, 2 h (an earlier answer still held for review does
        # not count), 1 h (by the street's admin), 10 h (a second answer changes nothing).
        await t.answered(a1, bj("06-02"), instructor_1, 30 * minute)
        held = await t.ask(a1, bj("06-03"))
        await t.answer(held, instructor_2, bj("06-03", "10:30:00"), Visibility.PENDING_REVIEW)
        await t.answer(held, instructor_1, bj("06-03", "12:00:00"))
        await t.answered(a1, bj("06-04"), admin, 60 * minute)
        later = await t.answered(a1, bj("06-05"), instructor_1, 600 * minute)
        await t.answer(later, instructor_2, bj("06-05", "21:00:00"))
        # Asked on the last day, answered the next morning: open at the cutoff, 14 h old.
        late = await t.ask(a1, bj("06-30"))
        await t.answer(late, instructor_1, bj("07-01", "09:00:00"))
        # Never answered: waiting since 10 June.
        await t.ask(a1, bj("06-10"))
        # Not asked, as the figures go: held by moderation, refused by a reviewer.
        await t.ask(a1, bj("06-06"), status=QuestionStatus.PENDING_REVIEW)
        await t.ask(a1, bj("06-07"), status=QuestionStatus.REJECTED)
        # Just outside June: 23:59 on 31 May, and 00:00 on 1 July.
        await t.answered(a1, bj("05-31", "23:59:00"), instructor_1, minute)
        await t.ask(a1, bj("07-01", "00:00:00"))

        # 甲二支部: the 48 h boundary, exactly 48 h before the cutoff (not over) and a second
        # more (over; assigned to instructor 2); closed unanswered before the cutoff (not
        # open) and after it (still open then); one answer, after 45 min.
        await t.ask(a2, CUTOFF - timedelta(hours=48))
        await t.ask(a2, CUTOFF - timedelta(hours=48, seconds=1), assignee=instructor_2)
        await t.ask(
            a2, bj("06-20"), status=QuestionStatus.CLOSED, closed_at=bj("06-21", "09:00:00")
        )
        await t.ask(
            a2, bj("06-12"), status=QuestionStatus.CLOSED, closed_at=bj("07-01", "10:00:00")
        )
        await t.answered(a2, bj("06-15"), instructor_2, 45 * minute)

        # The street's own admins: one question, unanswered, 12 h old at the cutoff.
        await t.ask(world.street_a, bj("06-29", "12:00:00"), role=Role.COMMITTEE_ADMIN)

        # Routed outside the subtree: to the city's admins (asked from 甲一支部) and to
        # 乙联合支部.
        await t.ask(world.city, bj("06-08"), role=Role.COMMITTEE_ADMIN)
        await t.answered(world.joint_b, bj("06-09"), instructor_1, 5 * minute)
    return Scene(client, world, instructor_1, instructor_2, admin)


def line(
    asked: int, answered: int, median: int | None, p90: int | None, over_48h: int
) -> dict[str, Any]:
    return {
        "asked": asked,
        "answered": answered,
        "median_seconds": median,
        "p90_seconds": p90,
        "open_over_48h": over_48h,
    }


async def test_june_per_organization_routed_to_and_in_total(scene: Scene) -> None:
    world = scene.world
    body = await scene.json(f"{FIGURES}?org_id={world.street_a.id}&{JUNE}")
    assert (body["org_id"], body["name"], body["from"], body["to"], body["cutoff"]) == (
        world.street_a.id,
        "甲街道工委",
        "2025-06-01",
        "2025-06-30",
        "2025-07-01T00:00:00+08:00",
    )
    assert body["by_org"] == [
        # No answer: no times.
        {"org_id": world.street_a.id, "name": "甲街道工委", **line(1, 0, None, None, 0)},
        # Six asked (not the held, the refused, nor the two just outside June); four answered
        # in June: 1800, 3600, 7200, 36000 s. Median: halfway between 3600 and 7200; 90th
        # percentile: rank 0.9 × 3 = 2.7, 7200 + 0.7 × (36000 − 7200). The one waiting
        # since 10 June is over 48 h; the one asked on 30 June is 14 h old.
        {"org_id": world.branch_a1.id, "name": "甲一支部", **line(6, 4, 5400, 27360, 1)},
        # One answer: it is both. Over 48 h: the one a second past the boundary and the one
        # closed only after the cutoff; not the one of exactly 48 h, nor the one closed
        # before.
        {"org_id": world.branch_a2.id, "name": "甲二支部", **line(5, 1, 2700, 2700, 2)},
    ]
    # 1800, 2700, 3600, 7200, 36000: the middle one; rank 3.6: 7200 + 0.6 × 28800.
    assert body["total"] == line(12, 5, 3600, 24480, 3)


async def test_june_per_instructor(scene: Scene) -> None:
    body = await scene.json(f"{FIGURES}?org_id={scene.world.street_a.id}&{JUNE}")
    assert body["by_instructor"] == [
        # 1800, 7200, 36000 s (their answer after June and the one outside the subtree are
        # not theirs here): rank 1.8 for the 90th, 7200 + 0.8 × 28800.
        {
            "member_id": scene.instructor_1.member.id,
            "name": scene.instructor_1.member.name,
            **line(3, 3, 7200, 30240, 0),
        },
        # The answer after 45 min, and the unanswered question assigned to them, over 48 h.
        # Their held answer and their second answer count for nobody.
        {
            "member_id": scene.instructor_2.member.id,
            "name": scene.instructor_2.member.name,
            **line(2, 1, 2700, 2700, 1),
        },
        # The admin who answered first.
        {
            "member_id": scene.admin.member.id,
            "name": scene.admin.member.name,
            **line(1, 1, 3600, 3600, 0),
        },
    ]


async def test_a_period_ending_today_is_read_now(scene: Scene) -> None:
    world = scene.world
    body = await scene.json(f"{FIGURES}?org_id={world.branch_a1.id}&from=2025-06-01&to=2025-07-02")
    assert body["cutoff"] == "2025-07-02T12:00:00+08:00"
    # Now the one asked on 30 June was answered (after 23 h: 82800 s) and the one of 1 July
    # 00:00 is asked (36 h old, not over 48 h): 1800, 3600, 7200, 36000, 82800.
    assert body["total"] == line(7, 5, 7200, 64080, 1)
    assert body["by_org"] == [
        {"org_id": world.branch_a1.id, "name": "甲一支部", **line(7, 5, 7200, 64080, 1)}
    ]
    instructor_1 = body["by_instructor"][0]
    assert instructor_1["member_id"] == scene.instructor_1.member.id
    assert (instructor_1["asked"], instructor_1["answered"]) == (4, 4)


async def test_a_wider_subtree_counts_what_was_routed_outside_the_narrower(
    scene: Scene, factory: Factory
) -> None:
    world = scene.world
    city_admin = await factory.actor(Role.COMMITTEE_ADMIN, world.city)
    body = await scene.json(f"{FIGURES}?org_id={world.city.id}&{JUNE}", city_admin)
    assert [item["org_id"] for item in body["by_org"]] == [
        world.city.id,
        world.street_a.id,
        world.branch_a1.id,
        world.branch_a2.id,
        world.joint_b.id,
    ]
    assert body["by_org"][0] == {"org_id": world.city.id, "name": "市社会组织综合党委"} | line(
        1, 0, None, None, 1
    )
    assert body["by_org"][-1] == {"org_id": world.joint_b.id, "name": "乙联合支部"} | line(
        1, 1, 300, 300, 0
    )
    # The street's twelve, the city's own (waiting since 8 June) and 乙联合支部's (300 s):
    # 300, 1800, 2700, 3600, 7200, 36000; median halfway between 2700 and 3600; rank 4.5.
    assert body["total"] == line(14, 6, 3150, 21600, 4)


async def test_nothing_asked_is_zeros_and_no_rows(scene: Scene) -> None:
    body = await scene.json(
        f"{FIGURES}?org_id={scene.world.street_a.id}&from=2025-01-01&to=2025-01-31"
    )
    assert body["total"] == line(0, 0, None, None, 0)
    assert (body["by_org"], body["by_instructor"]) == ([], [])


def test_percentiles_interpolate_between_the_nearest_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([42.0], 0.5) == 42
    assert percentile([42.0], 0.9) == 42
    assert percentile([1.0, 2.0], 0.5) == 2  # 1.5, halves up
    assert percentile([10.0, 20.0, 30.0], 0.5) == 20
    assert percentile([float(n) for n in range(10, 101, 10)], 0.9) == 91  # rank 8.1


async def test_the_callers_scope(scene: Scene, factory: Factory) -> None:
    world = scene.world
    own = await scene.json(f"{FIGURES}?org_id={world.branch_a1.id}&{JUNE}", scene.instructor_1)
    assert own["total"]["asked"] == 6
    for path in ("figures", "figures.xlsx"):
        for org in (world.street_a, world.branch_a2):
            response = await scene.get(
                f"/api/v1/qa/{path}?org_id={org.id}&{JUNE}", scene.instructor_1
            )
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"]["code"] == "org.not_found"
    other = await factory.actor(Role.COMMITTEE_ADMIN, world.street_b)
    for path in ("figures", "figures.xlsx"):
        response = await scene.get(f"/api/v1/qa/{path}?org_id={world.street_a.id}", other)
        assert response.status_code == 404, (path, response.text)
    # A secretary reads study and attendance, not Q&A.
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    response = await scene.get(f"{FIGURES}?org_id={world.branch_a1.id}", secretary)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "auth.forbidden"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from=2025-06-30&to=2025-06-01", "attendance.invalid_period"),
        ("from=2024-06-01&to=2025-06-02", "qa.period_too_long"),  # 367 days
        ("from=2025-06-31&to=2025-07-01", "validation_failed"),
        ("from=1&to=2025-07-01", "validation_failed"),
    ],
)
async def test_bad_periods_are_refused(scene: Scene, query: str, code: str) -> None:
    for path in ("figures", "figures.xlsx"):
        response = await scene.get(f"/api/v1/qa/{path}?org_id={scene.world.street_a.id}&{query}")
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"]["code"] == code
        if code == "qa.period_too_long":
            assert response.json()["error"]["details"] == {"longest_days": 366}


async def test_a_leap_year_whole_is_a_period_and_so_is_the_default(scene: Scene) -> None:
    org_id = scene.world.street_a.id
    leap = await scene.json(f"{FIGURES}?org_id={org_id}&from=2024-01-01&to=2024-12-31")
    assert leap["total"]["asked"] == 0
    default = await scene.json(f"{FIGURES}?org_id={org_id}")
    assert (default["from"], default["to"]) == ("2024-07-02", "2025-07-02")
    assert default["cutoff"] == "2025-07-02T12:00:00+08:00"
    # A year up to now: May's and July's questions join, held and refused ones still not.
    assert default["total"]["asked"] == 14


def _sheet(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "qa-figures-" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet is not None
    assert sheet.title == "问答情况"
    return [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_the_sheet(scene: Scene) -> None:
    rows = _sheet(await scene.get(f"{FIGURES}.xlsx?org_id={scene.world.street_a.id}&{JUNE}"))
    blank = [None] * 7
    assert rows[0] == ["问答情况", *blank[1:]]
    assert [row[0] for row in rows[1:5]] == [
        "组织：甲街道工委",
        "期间：2025-06-01 至 2025-06-30",
        "统计截止：2025-07-01 00:00",
        "生成时间：2025-07-02 12:00",  # 04:00 UTC, written in Beijing time
    ]
    assert rows[5] == [
        "序号",
        "名称",
        "提问数",
        "已回答",
        "首次回答用时中位数（分钟）",
        "首次回答用时90百分位（分钟）",
        "超过48小时未回答",
    ]
    assert rows[6:] == [
        ["按承办组织", *blank[1:]],
        [1, "甲街道工委", 1, 0, None, None, 0],
        # 5400 s and 27360 s; 2700 s.
        [2, "甲一支部", 6, 4, 90, 456, 1],
        [3, "甲二支部", 5, 1, 45, 45, 2],
        [None, "合计（甲街道工委）", 12, 5, 60, 408, 3],
        blank,
        ["按回答人（首个回答的作者，未回答的按指派人）", *blank[1:]],
        [1, scene.instructor_1.member.name, 3, 3, 120, 504, 0],
        [2, scene.instructor_2.member.name, 2, 1, 45, 45, 1],
        [3, scene.admin.member.name, 1, 1, 60, 60, 0],
    ]
