"""Asking and reading questions: where a question goes and who hears of it, what moderation
does with it, who sees it and its asker, the asker's own list and a staff member's queue."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.config import Settings
from app.kit.clock import FrozenClock
from app.models import (
    CheckOutcome,
    ContentReview,
    Member,
    NotificationKind,
    QaAssignment,
    QaSearchEntry,
    Question,
    ReviewSubject,
    Role,
)
from tests.factories import Factory
from tests.fixtures.apps import SpawnApp
from tests.qa.qa_scene import (
    QA,
    QUESTIONS,
    REVIEW,
    RISKY,
    T0,
    Scene,
    build_scene,
    code,
    qa_settings,
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return qa_settings(database_url, rate_limit_question="3/minute")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Scene:
    return await build_scene(app, client, factory)


# --- asking -------------------------------------------------------------------------------


async def test_a_clean_question_is_open_routed_indexed_and_its_instructor_told(
    scene: Scene,
) -> None:
    created = await scene.ask(anonymous=True)

    assert created["status"] == "open"
    assert created["status_label"] == "待回答"
    assert created["org_id"] == scene.world.branch_a1.id  # the relation, not the workplace
    assert created["category_name"] == "党费"
    assert (created["routed_org_id"], created["routed_role"]) == (
        scene.world.branch_a1.id,
        "instructor",
    )
    assert created["asker"] == {"member_id": scene.asker.member.id, "name": "张提问"}
    assert created["messages"] == []
    assert created["created_at"] == "2026-12-03T09:00:00+08:00"
    [assignment] = await scene.rows(QaAssignment)
    assert (assignment.question_id, assignment.routed_org_id, assignment.routed_role) == (
        created["id"],
        scene.world.branch_a1.id,
        Role.INSTRUCTOR,
    )
    assert assignment.reason is None
    [review] = await scene.rows(ContentReview)
    assert (review.subject, review.subject_id, review.outcome) == (
        ReviewSubject.QUESTION,
        created["id"],
        CheckOutcome.PASS,
    )
    assert review.decision is None
    [entry] = await scene.rows(QaSearchEntry)
    assert (entry.ref_id, entry.routed_org_id) == (created["id"], scene.world.branch_a1.id)
    [notice] = await scene.notices(NotificationKind.QA_QUESTION_ROUTED)
    assert notice.recipients == {scene.instructor.member.id}
    assert notice.title == "新提问：流动党员党费怎么交"
    assert notice.data == {
        "question_title": "流动党员党费怎么交",
        "category_name": "党费",
        "asked_at": "2026-12-03T09:00:00+08:00",
        "status": "新提问",
    }
    assert "张提问" not in f"{notice.title}{notice.body}{notice.data}"


async def test_the_workplace_anchors_a_member_without_a_relation(scene: Scene) -> None:
    worker = await scene.member(workplace=scene.world.social_b)
    created = await scene.ask(worker)

    assert created["org_id"] == scene.world.social_b.id
    # No instructor under street B's joint branch: street B's instructor takes it.
    assert created["routed_org_id"] == scene.world.street_b.id
    [notice] = await scene.notices(NotificationKind.QA_QUESTION_ROUTED)
    assert notice.recipients == {scene.outside_instructor.member.id}


async def test_a_held_question_is_seen_by_its_asker_only_and_reaches_nobody(
    scene: Scene,
) -> None:
    created = await scene.ask(body=f"关于集会的规定 {REVIEW}")

    assert (created["status"], created["status_label"]) == ("pending_review", "审核中")
    [review] = await scene.rows(ContentReview)
    assert (review.outcome, review.decision) == (CheckOutcome.REVIEW, None)
    assert await scene.rows(QaSearchEntry) == []
    assert await scene.notices(NotificationKind.QA_QUESTION_ROUTED) == []
    url = f"{QUESTIONS}/{created['id']}"
    mine = await scene.call("GET", url, scene.asker)
    assert mine.json()["status_label"] == "审核中"
    for other in (scene.instructor, scene.admin, scene.sibling):
        assert (await scene.call("GET", url, other)).status_code == 404
    queue = await scene.call("GET", f"{QUESTIONS}/routed", scene.instructor)
    assert queue.json()["items"] == []
    listed = await scene.call("GET", f"{QUESTIONS}/mine", scene.asker)
    assert [q["status_label"] for q in listed.json()["items"]] == ["审核中"]


async def test_a_risky_question_is_refused_with_its_label_and_nothing_is_written(
    scene: Scene,
) -> None:
    response = await scene.call(
        "POST",
        QUESTIONS,
        scene.asker,
        json={"category_id": scene.category_id, "title": "广告", "body": f"{RISKY} 加我"},
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "content.risky"
    assert error["details"] == {"label": None, "label_name": "其他"}
    assert "其他" in error["message"]
    assert await scene.rows(Question) == []
    assert await scene.rows(ContentReview) == []
    assert await scene.rows(QaAssignment) == []


async def test_a_member_without_an_organization_cannot_ask(scene: Scene) -> None:
    staff = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.city)  # no relation
    body = {"category_id": scene.category_id, "title": "问题", "body": "内容"}

    response = await scene.call("POST", QUESTIONS, staff, json=body)

    assert response.status_code == 403
    assert code(response) == "qa.no_organization"
    assert await scene.rows(Question) == []


async def test_a_member_who_left_cannot_ask(scene: Scene, app: FastAPI) -> None:
    async with app.state.runtime.sessionmaker.begin() as session:
        await session.execute(
            update(Member)
            .where(Member.id == scene.asker.member.id)
            .values(departed_at=T0, left_on=date(2026, 12, 1), departure_reason="moved_away")
        )
    body = {"category_id": scene.category_id, "title": "问题", "body": "内容"}

    response = await scene.call("POST", QUESTIONS, scene.asker, json=body)

    assert (response.status_code, code(response)) == (403, "qa.no_organization")


async def test_a_category_must_be_everyones_or_a_committees_above_the_asker(
    scene: Scene,
) -> None:
    street_b_admin = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_b)
    theirs = await scene.call(
        "POST",
        f"{QA}/categories",
        street_b_admin,
        json={"org_id": scene.world.street_b.id, "name": "乙街专题"},
    )
    ours = await scene.call(
        "POST",
        f"{QA}/categories",
        scene.admin,
        json={"org_id": scene.world.street_a.id, "name": "甲街专题"},
    )
    assert (theirs.status_code, ours.status_code) == (201, 201)

    refused = await scene.call(
        "POST",
        QUESTIONS,
        scene.asker,
        json={"category_id": theirs.json()["id"], "title": "问题", "body": "内容"},
    )
    assert (refused.status_code, code(refused)) == (404, "qa.category_not_found")
    assert await scene.rows(Question) == []
    created = await scene.ask(category_id=ours.json()["id"])
    assert created["category_name"] == "甲街专题"


async def test_asking_is_rate_limited_per_member(scene: Scene) -> None:
    for _ in range(3):
        await scene.ask()
    body = {"category_id": scene.category_id, "title": "问题", "body": "内容"}

    refused = await scene.call("POST", QUESTIONS, scene.asker, json=body)

    assert refused.status_code == 429
    assert code(refused) == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert len(await scene.rows(Question)) == 3
    # Another member has their own allowance.
    assert (await scene.call("POST", QUESTIONS, scene.sibling, json=body)).status_code == 201


async def test_asking_is_rate_limited_per_client_ip_too(
    scene: Scene, spawn_app: SpawnApp, database_url: str
) -> None:
    _, client = await spawn_app(qa_settings(database_url, rate_limit_question_per_ip="2/minute"))
    body = {"category_id": scene.category_id, "title": "问题", "body": "内容"}
    for actor in (scene.asker, scene.sibling):
        assert (await client.post(QUESTIONS, json=body, headers=actor.headers)).status_code == 201

    refused = await client.post(QUESTIONS, json=body, headers=scene.outsider.headers)

    assert (refused.status_code, code(refused)) == (429, "rate_limited")
    assert len(await scene.rows(Question)) == 2


# --- reading ------------------------------------------------------------------------------


async def test_my_questions_are_mine_newest_first_in_pages(scene: Scene) -> None:
    first = await scene.ask(title="第一个问题")
    held = await scene.ask(title="第二个问题", body=REVIEW)
    third = await scene.ask(title="第三个问题")
    await scene.ask(scene.sibling, title="别人的问题")

    page = await scene.call("GET", f"{QUESTIONS}/mine?limit=2", scene.asker)
    body = page.json()
    assert [q["id"] for q in body["items"]] == [third["id"], held["id"]]
    assert [q["status_label"] for q in body["items"]] == ["待回答", "审核中"]
    rest = await scene.call(
        "GET", f"{QUESTIONS}/mine?limit=2&cursor={body['next_cursor']}", scene.asker
    )
    assert [q["id"] for q in rest.json()["items"]] == [first["id"]]
    assert rest.json()["next_cursor"] is None


async def test_the_routed_queue_holds_the_callers_questions_oldest_first(
    scene: Scene,
) -> None:
    first = await scene.ask(anonymous=True)
    second = await scene.ask(scene.sibling)  # branch A2: no instructor there, street A's
    answered = await scene.ask(title="已回答的问题")
    await scene.answer(answered["id"])
    await scene.ask(scene.outsider)  # street B

    async def queue(actor: object, query: str = "") -> list[int]:
        response = await scene.call("GET", f"{QUESTIONS}/routed{query}", actor)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
        return [q["id"] for q in response.json()["items"]]

    assert await queue(scene.instructor) == [first["id"], answered["id"]]
    assert await queue(scene.instructor, "?status=open") == [first["id"]]
    assert await queue(scene.instructor, "?status=answered") == [answered["id"]]
    # Street A's staff reach every question routed into street A.
    assert await queue(scene.street_instructor) == [first["id"], second["id"], answered["id"]]
    assert await queue(scene.admin, "?status=open") == [first["id"], second["id"]]
    assert await queue(scene.outside_instructor) != []
    assert first["id"] not in await queue(scene.outside_instructor)
    listed = await scene.call("GET", f"{QUESTIONS}/routed", scene.instructor)
    assert listed.json()["items"][0]["asker"]["name"] == "张提问"  # staff see anonymous askers
    plain = await scene.call("GET", f"{QUESTIONS}/routed", scene.sibling)
    assert (plain.status_code, code(plain)) == (403, "auth.forbidden")
    bad = await scene.call("GET", f"{QUESTIONS}/routed?status=pending_review", scene.instructor)
    assert bad.status_code == 422


async def test_a_question_is_seen_by_its_asker_and_the_staff_over_it_only(
    scene: Scene,
) -> None:
    created = await scene.ask()
    url = f"{QUESTIONS}/{created['id']}"

    for actor in (scene.asker, scene.instructor, scene.street_instructor, scene.admin):
        assert (await scene.call("GET", url, actor)).status_code == 200
    for actor in (scene.sibling, scene.outsider, scene.outside_instructor):
        response = await scene.call("GET", url, actor)
        assert (response.status_code, code(response)) == (404, "qa.question_not_found")
    missing = await scene.call("GET", f"{QUESTIONS}/999999", scene.asker)
    assert missing.status_code == 404


async def test_an_anonymous_asker_is_hidden_from_every_other_member_on_every_route(
    scene: Scene, app: FastAPI
) -> None:
    """Members the committee lets answer see the question and its thread, never who asked
    it; instructors and admins do."""
    put = await scene.call(
        "PUT",
        f"{QA}/settings/{scene.world.street_a.id}",
        scene.admin,
        json={"members_may_answer": True},
    )
    assert put.status_code == 200
    created = await scene.ask(anonymous=True)
    await scene.answer(created["id"])
    follow = await scene.call(
        "POST", f"{QUESTIONS}/{created['id']}/follow-ups", scene.asker, json={"body": "还想问一下"}
    )
    assert follow.status_code == 201
    member_answer = await scene.answer(created["id"], scene.sibling, "我也交过，交到支部。")
    url = f"{QUESTIONS}/{created['id']}"
    asker_id, asker_name = scene.asker.member.id, "张提问"

    seen = await scene.call("GET", url, scene.sibling)
    assert seen.status_code == 200
    body = seen.json()
    assert body["asker"] is None
    [follow_up] = [m for m in body["messages"] if m["kind"] == "follow_up"]
    assert follow_up["author"] is None
    assert asker_name not in seen.text
    assert f'"member_id":{asker_id}' not in seen.text.replace(" ", "")
    assert member_answer["author"] == {"member_id": scene.sibling.member.id, "name": "李同街"}

    for staff in (scene.instructor, scene.admin):
        shown = (await scene.call("GET", url, staff)).json()
        assert shown["asker"] == {"member_id": asker_id, "name": asker_name}
        assert [m["author"] for m in shown["messages"] if m["kind"] == "follow_up"] == [
            {"member_id": asker_id, "name": asker_name}
        ]
    own = (await scene.call("GET", url, scene.asker)).json()
    assert own["asker"]["name"] == asker_name
    # Nothing a notification carries names the asker either.
    for kind in (NotificationKind.QA_QUESTION_ROUTED, NotificationKind.QA_ANSWER_POSTED):
        for notice in await scene.notices(kind):
            assert asker_name not in f"{notice.title}{notice.body}{notice.data}"
    assert app is not None
