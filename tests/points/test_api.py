"""The points routes (issue 11.5, 11.6): a committee's rules for its subtree, a member's
totals and ledger, rankings with shared ranks, and 404 for what lies outside the scope."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest
from fastapi import FastAPI

from app.kit.clock import FrozenClock
from app.models import PointEntry, PointKind, Role
from tests.factories import Actor, Factory, World, build_world
from tests.points.conftest import award

RULES = "/api/v1/points/committees/{}/rules"
RANKINGS = "/api/v1/points/rankings"
# Wednesday 2025-06-04, 10:00 in Beijing: its ISO week began on Monday the 2nd.
WEDNESDAY = datetime(2025, 6, 4, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(WEDNESDAY)


@pytest.fixture
async def world(factory: Factory) -> World:
    return await build_world(factory)


async def actor(factory: Factory, role: Role | None, org: object) -> Actor:
    if role is None:
        member = await factory.member(relation=org)  # type: ignore[arg-type]
        account = await factory.account(member)
        return Actor(member=member, account=account, headers=factory.headers_for(account))
    return await factory.actor(role, org)  # type: ignore[arg-type]


def code(response: httpx.Response) -> str:
    value: str = response.json()["error"]["code"]
    return value


async def rule_of(
    client: httpx.AsyncClient, org_id: int, kind: str, who: Actor
) -> dict[str, object]:
    response = await client.get(RULES.format(org_id), headers=who.headers)
    assert response.status_code == 200, response.text
    return next(r for r in response.json()["rules"] if r["kind"] == kind)


async def test_a_committees_rule_overrides_the_default_in_its_subtree_only(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory, world: World
) -> None:
    city = await actor(factory, Role.COMMITTEE_ADMIN, world.city)
    street = await actor(factory, Role.COMMITTEE_ADMIN, world.street_a)
    before = await rule_of(client, world.street_a.id, "news_read", street)
    assert before == {
        "kind": "news_read",
        "label": "有效阅读新闻",
        "points": 1,
        "unit_seconds": None,
        "daily_cap": 6,
        "decided_by_org_id": None,
        "own": False,
    }

    put = await client.put(
        f"{RULES.format(world.street_a.id)}/news_read",
        json={"points": 4, "daily_cap": 8},
        headers=street.headers,
    )

    assert put.status_code == 200, put.text
    assert put.json()["decided_by_org_id"] == world.street_a.id
    assert put.json()["own"] is True
    mine = await rule_of(client, world.street_a.id, "news_read", city)
    assert (mine["points"], mine["daily_cap"]) == (4, 8)
    theirs = await rule_of(client, world.street_b.id, "news_read", city)
    assert (theirs["points"], theirs["decided_by_org_id"]) == (1, None)
    inside = await factory.member(relation=world.branch_a1)
    elsewhere = await factory.member(relation=world.joint_b)
    earned = [
        await award(app, m.id, PointKind.NEWS_READ, "article:1", WEDNESDAY)
        for m in (inside, elsewhere)
    ]
    assert [a.points for a in earned if a] == [4, 1]


async def test_delete_restores_inheritance(
    client: httpx.AsyncClient, factory: Factory, world: World
) -> None:
    city = await actor(factory, Role.COMMITTEE_ADMIN, world.city)
    for org, points in ((world.city, 3), (world.street_a, 5)):
        put = await client.put(
            f"{RULES.format(org.id)}/activity_attended",
            json={"points": points, "daily_cap": None},
            headers=city.headers,
        )
        assert put.status_code == 200, put.text

    deleted = await client.delete(
        f"{RULES.format(world.street_a.id)}/activity_attended", headers=city.headers
    )

    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["points"] == 3
    assert deleted.json()["decided_by_org_id"] == world.city.id
    assert deleted.json()["own"] is False
    assert deleted.json()["daily_cap"] is None


async def test_study_time_keeps_a_unit_and_other_kinds_take_none(
    client: httpx.AsyncClient, factory: Factory, world: World
) -> None:
    admin = await actor(factory, Role.COMMITTEE_ADMIN, world.street_a)
    url = RULES.format(world.street_a.id)
    study = await client.put(
        f"{url}/study_time", json={"points": 1, "unit_seconds": 240}, headers=admin.headers
    )
    default_unit = await client.put(f"{url}/study_time", json={"points": 2}, headers=admin.headers)
    wrong = await client.put(
        f"{url}/news_read", json={"points": 1, "unit_seconds": 240}, headers=admin.headers
    )

    assert study.json()["unit_seconds"] == 240
    assert default_unit.json()["unit_seconds"] == 300
    assert wrong.status_code == 422
    assert code(wrong) == "points.unit_not_applicable"


@pytest.mark.parametrize(
    "body",
    [
        {"points": 101},
        {"points": -1},
        {"points": 1, "daily_cap": 1001},
        {"points": 1, "unit_seconds": 59},
        {"points": 1, "unit_seconds": 3601},
        {"points": "1"},
        {},
    ],
)
async def test_bad_rules_are_422(
    client: httpx.AsyncClient, factory: Factory, world: World, body: dict[str, object]
) -> None:
    admin = await actor(factory, Role.COMMITTEE_ADMIN, world.street_a)
    response = await client.put(
        f"{RULES.format(world.street_a.id)}/study_time", json=body, headers=admin.headers
    )
    assert response.status_code == 422


async def test_rules_of_another_committee_or_a_branch_are_404(
    client: httpx.AsyncClient, factory: Factory, world: World
) -> None:
    admin = await actor(factory, Role.COMMITTEE_ADMIN, world.street_a)
    other = await client.get(RULES.format(world.street_b.id), headers=admin.headers)
    branch = await client.get(RULES.format(world.branch_a1.id), headers=admin.headers)
    put = await client.put(
        f"{RULES.format(world.street_b.id)}/news_read", json={"points": 1}, headers=admin.headers
    )
    assert [r.status_code for r in (other, branch, put)] == [404, 404, 404]
    assert code(other) == "points.committee_not_found"


async def test_a_secretary_may_not_set_rules(
    client: httpx.AsyncClient, factory: Factory, world: World
) -> None:
    secretary = await actor(factory, Role.SECRETARY, world.branch_a1)
    response = await client.get(RULES.format(world.street_a.id), headers=secretary.headers)
    assert response.status_code == 403


async def add(app: FastAPI, member_id: int, points: int, day: date, n: int = 1) -> None:
    async with app.state.runtime.sessionmaker() as session, session.begin():
        session.add(
            PointEntry(
                member_id=member_id,
                kind=PointKind.NEWS_READ,
                source=f"article:{n}",
                reversal=False,
                requested=points,
                points=points,
                day=day,
                created_at=WEDNESDAY,
            )
        )


async def test_my_totals_per_week_month_year_and_all_time(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory, world: World
) -> None:
    me = await actor(factory, None, world.branch_a1)
    for n, (points, day) in enumerate(
        [
            (1, date(2025, 6, 2)),  # this week's Monday
            (2, date(2025, 6, 1)),  # Sunday: last week, this month
            (4, date(2025, 5, 31)),  # this year
            (8, date(2024, 12, 31)),  # before
        ]
    ):
        await add(app, me.member.id, points, day, n)
    await award(app, me.member.id, PointKind.ACTIVITY_ATTENDED, "attendance:1", WEDNESDAY)

    response = await client.get("/api/v1/me/points?period=week", headers=me.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["week"], body["month"], body["year"], body["all_time"]) == (3, 5, 9, 17)
    by_kind = {row["kind"]: row["points"] for row in body["by_kind"]}
    assert by_kind["news_read"] == 1
    assert by_kind["activity_attended"] == 2
    assert by_kind["study_time"] == 0


async def test_my_ledger_newest_first_with_what_earned_it(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory, world: World
) -> None:
    me = await actor(factory, None, world.branch_a1)
    await award(app, me.member.id, PointKind.STUDY_TIME, "material:5:unit:2", WEDNESDAY)
    await award(app, me.member.id, PointKind.ANSWER_ACCEPTED, "answer:9", WEDNESDAY)

    first = await client.get("/api/v1/me/points/entries?limit=1", headers=me.headers)
    rest = await client.get(
        f"/api/v1/me/points/entries?limit=1&cursor={first.json()['next_cursor']}",
        headers=me.headers,
    )

    assert first.status_code == 200, first.text
    (answer,) = first.json()["items"]
    (study,) = rest.json()["items"]
    assert rest.json()["next_cursor"] is None
    assert (answer["label"], answer["description"], answer["points"]) == (
        "回答被采纳",
        "回答被采纳",
        3,
    )
    assert study["description"] == "学习资料 第 2 个 5 分钟"  # no such material here
    assert study["created_at"] == "2025-06-04T10:00:00+08:00"
    assert study["day"] == "2025-06-04"


async def test_ties_share_a_rank_and_members_without_points_come_last(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory, world: World
) -> None:
    secretary = await actor(factory, Role.SECRETARY, world.branch_a1)
    a, b, c, d = [await factory.member(relation=world.branch_a1) for _ in range(4)]
    await add(app, a.id, 5, date(2025, 6, 3))
    await add(app, b.id, 5, date(2025, 6, 10))
    await add(app, c.id, 3, date(2025, 6, 30))
    await add(app, d.id, 9, date(2025, 7, 1))  # next month
    departed = await factory.member(relation=world.branch_a1, name="已离开")
    await add(app, departed.id, 50, date(2025, 6, 3))
    async with app.state.runtime.sessionmaker() as session, session.begin():
        gone = await session.get(type(departed), departed.id)
        assert gone is not None
        gone.departed_at = WEDNESDAY

    response = await client.get(
        RANKINGS,
        params={"org_id": world.branch_a1.id, "period": "2025-06"},
        headers=secretary.headers,
    )

    assert response.status_code == 200, response.text
    ranked = [(i["rank"], i["member_id"], i["points"]) for i in response.json()["items"]]
    members = {secretary.member.id, d.id}
    assert ranked[:3] == [(1, a.id, 5), (1, b.id, 5), (3, c.id, 3)]
    assert sorted(ranked[3:]) == sorted((4, m, 0) for m in members)
    assert response.json()["items"][0]["org_name"] == world.branch_a1.name


async def test_a_ranking_pages_by_cursor_and_a_committee_ranks_its_subtree(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory, world: World
) -> None:
    admin = await actor(factory, Role.COMMITTEE_ADMIN, world.street_a)
    a1 = await factory.member(relation=world.branch_a1)
    a2 = await factory.member(relation=world.branch_a2)
    b = await factory.member(relation=world.joint_b)
    await add(app, a1.id, 2, date(2025, 6, 4))
    await add(app, a2.id, 7, date(2025, 6, 4))
    await add(app, b.id, 9, date(2025, 6, 4))
    params = {"org_id": world.street_a.id, "period": "2025-W23", "limit": 1}

    first = await client.get(RANKINGS, params=params, headers=admin.headers)
    second = await client.get(
        RANKINGS, params={**params, "cursor": first.json()["next_cursor"]}, headers=admin.headers
    )

    assert [(i["member_id"], i["rank"]) for i in first.json()["items"]] == [(a2.id, 1)]
    assert [(i["member_id"], i["rank"]) for i in second.json()["items"]] == [(a1.id, 2)]


async def test_a_ranking_outside_the_scope_is_404(
    client: httpx.AsyncClient, factory: Factory, world: World
) -> None:
    secretary = await actor(factory, Role.SECRETARY, world.branch_a1)
    for org in (world.joint_b, world.street_b, world.street_a, world.social_a1):
        response = await client.get(RANKINGS, params={"org_id": org.id}, headers=secretary.headers)
        assert response.status_code == 404, org.name
        assert code(response) == "points.org_not_found"


@pytest.mark.parametrize(
    "period",
    ["2025-13", "2025-00", "2025-W00", "2025-W53", "25", "1999", "2025-6", "abc", "2025-W"],
)
async def test_a_bad_period_is_422(
    client: httpx.AsyncClient, factory: Factory, world: World, period: str
) -> None:
    me = await actor(factory, None, world.branch_a1)
    response = await client.get("/api/v1/me/rank", params={"period": period}, headers=me.headers)
    assert response.status_code == 422
    assert code(response) == "points.invalid_period"


async def test_my_rank_in_my_branch_and_committee_and_the_top_of_my_branch(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory, world: World
) -> None:
    me = await actor(factory, None, world.branch_a1)
    rival = await factory.member(relation=world.branch_a1)
    other = await factory.member(relation=world.branch_a2)
    await add(app, me.member.id, 4, date(2025, 6, 4))
    await add(app, rival.id, 6, date(2025, 6, 4))
    await add(app, other.id, 8, date(2025, 6, 4))

    response = await client.get("/api/v1/me/rank", headers=me.headers)  # this month

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["period"], body["points"]) == ("2025-06", 4)
    assert body["branch"] == {
        "org_id": world.branch_a1.id,
        "org_name": world.branch_a1.name,
        "rank": 2,
        "points": 4,
        "members": 2,
    }
    assert (body["committee"]["org_id"], body["committee"]["rank"]) == (world.street_a.id, 3)
    assert [i["member_id"] for i in body["top"]] == [rival.id, me.member.id]
