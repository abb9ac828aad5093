"""A question's thread: who may answer (those it is routed to, members where the committee
allows it) and who only sees it; the first visible answer; follow-ups; accepting an answer
and its points; closing; reassigning."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.kit.clock import FrozenClock
from app.models import (
    ContentReview,
    NotificationKind,
    PointEntry,
    PointKind,
    QaAssignment,
    QaMessage,
    QaSearchEntry,
    Question,
    QuestionStatus,
    Role,
    Visibility,
)
from tests.factories import Actor, Factory
from tests.qa.qa_scene import QA, QUESTIONS, REVIEW, T0, Scene, build_scene, code, qa_settings


@pytest.fixture
def settings(database_url: str) -> Settings:
    return qa_settings(database_url)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Scene:
    return await build_scene(app, client, factory)


def url(question: dict[str, object], tail: str = "") -> str:
    return f"{QUESTIONS}/{question['id']}{tail}"


async def allow_members(scene: Scene, committee_id: int, allowed: bool | None = True) -> None:
    response = await scene.call(
        "PUT",
        f"{QA}/settings/{committee_id}",
        scene.admin if committee_id == scene.world.street_a.id else await city_admin(scene),
        json={"members_may_answer": allowed},
    )
    assert response.status_code == 200, response.text


async def city_admin(scene: Scene) -> Actor:
    return await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.city)


# --- answering ----------------------------------------------------------------------------


async def test_an_answer_is_shown_the_asker_told_and_the_first_one_answers_the_question(
    scene: Scene, clock: FrozenClock
) -> None:
    question = await scene.ask()
    clock.advance(hours=2)

    answer = await scene.answer(question["id"])

    assert answer["kind"] == "answer"
    assert (answer["visibility"], answer["visibility_label"]) == ("visible", "已公开")
    assert answer["author"] == {
        "member_id": scene.instructor.member.id,
        "name": scene.instructor.member.name,
    }
    assert answer["created_at"] == "2026-12-03T11:00:00+08:00"
    [notice] = await scene.notices(NotificationKind.QA_ANSWER_POSTED)
    assert notice.recipients == {scene.asker.member.id}
    assert notice.data == {
        "question_title": "流动党员党费怎么交",
        "category_name": "党费",
        "asked_at": "2026-12-03T09:00:00+08:00",
        "answered_at": "2026-12-03T11:00:00+08:00",
        "status": "有新回答",
    }
    shown = (await scene.call("GET", url(question), scene.asker)).json()
    assert (shown["status"], shown["status_label"]) == ("answered", "已回答")
    assert shown["first_answered_at"] == "2026-12-03T11:00:00+08:00"
    assert [m["id"] for m in shown["messages"]] == [answer["id"]]

    clock.advance(hours=1)
    await scene.answer(question["id"], scene.admin, "补充：可以线上交纳。")
    [stored] = await scene.rows(Question)
    assert stored.first_answered_at == T0.replace(hour=3)  # the first answer's time stays
    assert len(await scene.notices(NotificationKind.QA_ANSWER_POSTED)) == 2


async def test_staff_above_where_it_is_routed_answer_too(scene: Scene) -> None:
    question = await scene.ask()

    await scene.answer(question["id"], scene.street_instructor)
    await scene.answer(question["id"], scene.admin)

    assert len(await scene.rows(QaMessage)) == 2


async def test_plain_members_answer_only_where_their_committee_allows_it(
    scene: Scene,
) -> None:
    question = await scene.ask()
    body = {"body": "我来回答"}

    hidden = await scene.call("POST", url(question, "/answers"), scene.sibling, json=body)
    assert (hidden.status_code, code(hidden)) == (404, "qa.question_not_found")

    await allow_members(scene, scene.world.city.id)  # street A inherits the city's yes
    await scene.answer(question["id"], scene.sibling, "我来回答")
    outsider_answer = await scene.answer(question["id"], scene.outsider, "乙街也可以答")
    assert outsider_answer["kind"] == "answer"  # the city's subtree holds street B too

    await allow_members(scene, scene.world.street_a.id, False)  # street A's own no wins
    again = await scene.call("POST", url(question, "/answers"), scene.sibling, json=body)
    assert (again.status_code, code(again)) == (404, "qa.question_not_found")
    assert len(await scene.rows(QaMessage)) == 2


async def test_the_asker_and_staff_it_was_passed_away_from_see_it_but_may_not_answer(
    scene: Scene,
) -> None:
    question = await scene.ask()
    city = await city_admin(scene)
    passed = await scene.call(
        "POST",
        url(question, "/reassign"),
        scene.instructor,
        json={"org_id": scene.world.city.id, "reason": "涉及全市政策"},
    )
    assert passed.status_code == 200, passed.text
    assert passed.json()["routed_org_id"] == scene.world.city.id
    body = {"body": "我来回答"}

    for actor in (scene.asker, scene.instructor, scene.admin):
        assert (await scene.call("GET", url(question), actor)).status_code == 200
        refused = await scene.call("POST", url(question, "/answers"), actor, json=body)
        assert (refused.status_code, code(refused)) == (403, "qa.not_routed_to_you")
    await scene.answer(question["id"], city)
    assert len(await scene.rows(QaMessage)) == 1


async def test_a_held_answer_is_its_authors_alone_and_answers_nothing_yet(
    scene: Scene,
) -> None:
    question = await scene.ask()

    held = await scene.answer(question["id"], body=f"请看文件 {REVIEW}")

    assert (held["visibility"], held["visibility_label"]) == ("pending_review", "审核中")
    assert await scene.notices(NotificationKind.QA_ANSWER_POSTED) == []
    [stored] = await scene.rows(Question)
    assert (stored.status, stored.first_answered_at) == (QuestionStatus.OPEN, None)
    by_author = (await scene.call("GET", url(question), scene.instructor)).json()
    assert [(m["id"], m["visibility_label"]) for m in by_author["messages"]] == [
        (held["id"], "审核中")
    ]
    for other in (scene.asker, scene.admin):
        assert (await scene.call("GET", url(question), other)).json()["messages"] == []


async def test_nothing_is_added_to_a_closed_question(scene: Scene) -> None:
    question = await scene.ask()
    closed = await scene.call("POST", url(question, "/close"), scene.asker)
    assert (closed.status_code, closed.json()["status_label"]) == (200, "已关闭")

    answer = await scene.call(
        "POST", url(question, "/answers"), scene.instructor, json={"body": "答"}
    )
    follow = await scene.call(
        "POST", url(question, "/follow-ups"), scene.asker, json={"body": "问"}
    )
    again = await scene.call("POST", url(question, "/close"), scene.instructor)

    for refused in (answer, follow, again):
        assert (refused.status_code, code(refused)) == (409, "qa.question_not_open")
        assert refused.json()["error"]["details"] == {"status": "closed"}
    assert await scene.rows(QaMessage) == []


# --- follow-ups ---------------------------------------------------------------------------


async def test_a_follow_up_reaches_the_routed_members(scene: Scene) -> None:
    question = await scene.ask()
    await scene.answer(question["id"])

    follow = await scene.call(
        "POST", url(question, "/follow-ups"), scene.asker, json={"body": "线上怎么交？"}
    )

    assert follow.status_code == 201
    assert follow.json()["kind"] == "follow_up"
    routed = await scene.notices(NotificationKind.QA_QUESTION_ROUTED)
    assert [n.data["status"] for n in routed] == ["新提问", "有追问"]
    assert routed[-1].recipients == {scene.instructor.member.id}
    assert routed[-1].title == "有追问：流动党员党费怎么交"
    not_asker = await scene.call(
        "POST", url(question, "/follow-ups"), scene.instructor, json={"body": "追问"}
    )
    assert (not_asker.status_code, code(not_asker)) == (403, "qa.not_the_asker")


# --- accepting ----------------------------------------------------------------------------


async def test_the_asker_accepts_one_answer_which_closes_it_and_earns_points(
    scene: Scene, clock: FrozenClock
) -> None:
    question = await scene.ask()
    first = await scene.answer(question["id"])
    second = await scene.answer(question["id"], scene.admin, "另一种答案")
    clock.advance(hours=1)

    accepted = await scene.call(
        "POST", url(question, f"/answers/{first['id']}/accept"), scene.asker
    )

    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["accepted_message_id"] == first["id"]
    assert (body["status"], body["closed_at"]) == ("closed", "2026-12-03T10:00:00+08:00")
    assert [m["accepted_at"] for m in body["messages"]] == ["2026-12-03T10:00:00+08:00", None]
    [entry] = await scene.rows(PointEntry)
    assert (entry.member_id, entry.kind, entry.source, entry.points) == (
        scene.instructor.member.id,
        PointKind.ANSWER_ACCEPTED,
        f"answer:{first['id']}",
        3,
    )

    again = await scene.call("POST", url(question, f"/answers/{second['id']}/accept"), scene.asker)
    assert (again.status_code, code(again)) == (409, "qa.already_accepted")
    assert again.json()["error"]["details"] == {"accepted_message_id": first["id"]}
    assert len(await scene.rows(PointEntry)) == 1


async def test_only_the_asker_accepts_and_only_a_visible_answer(scene: Scene) -> None:
    question = await scene.ask()
    answer = await scene.answer(question["id"])
    held = await scene.answer(question["id"], scene.admin, REVIEW)
    follow = await scene.call(
        "POST", url(question, "/follow-ups"), scene.asker, json={"body": "追问"}
    )

    by_staff = await scene.call(
        "POST", url(question, f"/answers/{answer['id']}/accept"), scene.instructor
    )
    assert (by_staff.status_code, code(by_staff)) == (403, "qa.not_the_asker")
    for message_id in (held["id"], follow.json()["id"], 999999):
        refused = await scene.call(
            "POST", url(question, f"/answers/{message_id}/accept"), scene.asker
        )
        assert (refused.status_code, code(refused)) == (404, "qa.message_not_found")
    assert await scene.rows(PointEntry) == []


# --- closing ------------------------------------------------------------------------------


async def test_the_asker_or_someone_it_is_routed_to_closes_it(scene: Scene) -> None:
    await allow_members(scene, scene.world.street_a.id)
    question = await scene.ask()
    await scene.answer(question["id"], scene.sibling, "成员的回答")

    by_member = await scene.call("POST", url(question, "/close"), scene.sibling)
    assert (by_member.status_code, code(by_member)) == (403, "qa.not_routed_to_you")
    by_instructor = await scene.call("POST", url(question, "/close"), scene.instructor)
    assert by_instructor.status_code == 200
    [stored] = await scene.rows(Question)
    assert (stored.status, stored.closed_at) == (QuestionStatus.CLOSED, T0)


# --- reassigning --------------------------------------------------------------------------


async def test_reassigning_to_an_instructor_routes_it_to_them_alone(scene: Scene) -> None:
    question = await scene.ask()

    response = await scene.call(
        "POST",
        url(question, "/reassign"),
        scene.instructor,
        json={"member_id": scene.street_instructor.member.id, "reason": "请街道指导员答复"},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["routed_org_id"], body["routed_role"], body["assignee_member_id"]) == (
        scene.world.street_a.id,
        "instructor",
        scene.street_instructor.member.id,
    )
    assignments = await scene.rows(QaAssignment)
    assert [(a.assignee_member_id, a.reason, a.assigned_by_account_id) for a in assignments] == [
        (None, None, None),
        (scene.street_instructor.member.id, "请街道指导员答复", scene.instructor.account.id),
    ]
    routed = await scene.notices(NotificationKind.QA_QUESTION_ROUTED)
    assert routed[-1].recipients == {scene.street_instructor.member.id}
    assert (routed[-1].title, routed[-1].data["status"]) == (
        "转交给您：流动党员党费怎么交",
        "转交给您",
    )
    [entry] = await scene.rows(QaSearchEntry)
    assert entry.routed_org_id == scene.world.street_a.id
    queue = await scene.call("GET", f"{QUESTIONS}/routed", scene.street_instructor)
    assert [q["id"] for q in queue.json()["items"]] == [question["id"]]
    await scene.answer(question["id"], scene.street_instructor)
    refused = await scene.call(
        "POST", url(question, "/answers"), scene.instructor, json={"body": "答"}
    )
    assert (refused.status_code, code(refused)) == (403, "qa.not_routed_to_you")


async def test_reassigning_to_an_organization_routes_it_as_if_asked_there(
    scene: Scene,
) -> None:
    question = await scene.ask()
    city = await city_admin(scene)  # the city has admins, no instructor

    response = await scene.call(
        "POST",
        url(question, "/reassign"),
        scene.admin,
        json={"org_id": scene.world.city.id, "reason": "上报市委"},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["routed_org_id"], body["routed_role"], body["assignee_member_id"]) == (
        scene.world.city.id,
        "committee_admin",
        None,
    )
    assert (await scene.notices(NotificationKind.QA_QUESTION_ROUTED))[-1].recipients == {
        city.member.id
    }


async def test_a_reassignment_names_one_target_within_reach(scene: Scene) -> None:
    question = await scene.ask()
    tail = url(question, "/reassign")

    async def refused(actor: Actor, body: dict[str, object]) -> tuple[int, str]:
        response = await scene.call("POST", tail, actor, json={"reason": "转交", **body})
        return response.status_code, code(response)

    both = {"member_id": scene.street_instructor.member.id, "org_id": scene.world.city.id}
    assert await refused(scene.instructor, both) == (422, "qa.reassign_target")
    assert await refused(scene.instructor, {}) == (422, "qa.reassign_target")
    not_instructor = {"member_id": scene.sibling.member.id}
    assert await refused(scene.instructor, not_instructor) == (404, "qa.assignee_not_found")
    elsewhere = {"member_id": scene.outside_instructor.member.id}
    assert await refused(scene.instructor, elsewhere) == (404, "qa.assignee_not_found")
    other_street = {"org_id": scene.world.street_b.id}
    assert await refused(scene.instructor, other_street) == (404, "org.not_found")
    secretary = await scene.factory.actor(Role.SECRETARY, scene.world.branch_a1)
    assert await refused(secretary, {"org_id": scene.world.city.id}) == (403, "auth.forbidden")
    assert len(await scene.rows(QaAssignment)) == 1
    assert len(await scene.rows(ContentReview)) == 1
    assert all(m.visibility is Visibility.VISIBLE for m in await scene.rows(QaMessage))
