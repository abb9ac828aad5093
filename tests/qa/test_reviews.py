"""The human review of held texts: the queue of the reviewer's scope with the held text, and
what approving or rejecting a question, an answer or a follow-up does; a text is decided
once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.kit.clock import FrozenClock
from app.models import (
    CheckOutcome,
    ContentReview,
    NotificationKind,
    QaMessage,
    QaSearchEntry,
    Question,
    QuestionStatus,
    ReviewDecision,
    Role,
    Visibility,
)
from tests.factories import Actor, Factory
from tests.qa.qa_scene import QA, QUESTIONS, REVIEW, T0, Scene, build_scene, code, qa_settings

REVIEWS = f"{QA}/reviews"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return qa_settings(database_url)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Scene:
    return await build_scene(app, client, factory)


async def queue(scene: Scene, actor: Actor) -> list[dict[str, Any]]:
    response = await scene.call("GET", REVIEWS, actor)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def decide(
    scene: Scene,
    review_id: int,
    decision: str,
    reason: str | None = None,
    actor: Actor | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"decision": decision}
    if reason is not None:
        body["reason"] = reason
    return await scene.call(
        "POST", f"{REVIEWS}/{review_id}/decision", actor or scene.instructor, json=body
    )


async def test_the_queue_holds_the_held_texts_routed_into_the_reviewers_scope(
    scene: Scene,
) -> None:
    held_question = await scene.ask(title="集会问题", body=f"能否组织集会 {REVIEW}", anonymous=True)
    open_question = await scene.ask()
    held_answer = await scene.answer(open_question["id"], body=f"请看附件 {REVIEW}")
    await scene.ask(scene.outsider, body=REVIEW)  # street B's

    items = await queue(scene, scene.instructor)

    assert [(i["subject"], i["kind"], i["question_id"]) for i in items] == [
        ("question", "question", held_question["id"]),
        ("message", "answer", open_question["id"]),
    ]
    first, second = items
    assert (first["question_title"], first["text"]) == ("集会问题", f"能否组织集会 {REVIEW}")
    assert first["author"] == {"member_id": scene.asker.member.id, "name": "张提问"}
    assert (first["label_name"], first["reason"], first["source"]) == (
        "其他",
        f"matched {REVIEW!r}",
        "wordlist",
    )
    assert (second["subject_id"], second["text"]) == (held_answer["id"], f"请看附件 {REVIEW}")
    assert second["author"]["member_id"] == scene.instructor.member.id
    assert [i["question_id"] for i in await queue(scene, scene.admin)] == [
        held_question["id"],
        open_question["id"],
    ]
    assert len(await queue(scene, scene.outside_instructor)) == 1
    secretary = await scene.factory.actor(Role.SECRETARY, scene.world.branch_a1)
    refused = await scene.call("GET", REVIEWS, secretary)
    assert (refused.status_code, code(refused)) == (403, "auth.forbidden")


async def test_an_approved_question_opens_as_if_it_had_passed(scene: Scene) -> None:
    held = await scene.ask(body=REVIEW)
    [item] = await queue(scene, scene.instructor)

    response = await decide(scene, item["id"], "approved")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": item["id"],
        "decision": "approved",
        "decision_reason": None,
        "decided_at": "2026-12-03T09:00:00+08:00",
    }
    [stored] = await scene.rows(Question)
    assert stored.status is QuestionStatus.OPEN
    [entry] = await scene.rows(QaSearchEntry)
    assert entry.ref_id == held["id"]
    [routed] = await scene.notices(NotificationKind.QA_QUESTION_ROUTED)
    assert (routed.recipients, routed.data["status"]) == ({scene.instructor.member.id}, "新提问")
    [told] = await scene.notices(NotificationKind.QA_REVIEW_DECIDED)
    assert told.recipients == {scene.asker.member.id}
    assert told.data == {
        "question_title": "流动党员党费怎么交",
        "decision": "审核通过",
        "reason": "无",
        "decided_at": "2026-12-03T09:00:00+08:00",
    }
    [review] = await scene.rows(ContentReview)
    assert (review.decision, review.decided_by_account_id) == (
        ReviewDecision.APPROVED,
        scene.instructor.account.id,
    )
    assert await queue(scene, scene.instructor) == []
    seen = await scene.call("GET", f"{QUESTIONS}/{held['id']}", scene.instructor)
    assert seen.status_code == 200


async def test_a_rejected_question_is_its_askers_alone_with_the_reason(scene: Scene) -> None:
    held = await scene.ask(body=REVIEW)
    [item] = await queue(scene, scene.instructor)

    response = await decide(scene, item["id"], "rejected", "与党建无关")

    assert response.status_code == 200
    own = (await scene.call("GET", f"{QUESTIONS}/{held['id']}", scene.asker)).json()
    assert (own["status"], own["status_label"]) == ("rejected", "未通过审核")
    assert (
        await scene.call("GET", f"{QUESTIONS}/{held['id']}", scene.instructor)
    ).status_code == 404
    assert await scene.rows(QaSearchEntry) == []
    assert await scene.notices(NotificationKind.QA_QUESTION_ROUTED) == []
    [told] = await scene.notices(NotificationKind.QA_REVIEW_DECIDED)
    assert (told.data["decision"], told.data["reason"]) == ("审核未通过", "与党建无关")
    assert told.body == "您的提问审核未通过：与党建无关"


async def test_an_approved_answer_answers_the_question_at_its_own_time(
    scene: Scene, clock: FrozenClock
) -> None:
    question = await scene.ask()
    clock.advance(minutes=30)
    held = await scene.answer(question["id"], body=REVIEW)
    [item] = await queue(scene, scene.admin)
    clock.advance(hours=3)

    assert (await decide(scene, item["id"], "approved", actor=scene.admin)).status_code == 200

    [stored] = await scene.rows(Question)
    assert stored.status is QuestionStatus.ANSWERED
    assert stored.first_answered_at == T0.replace(minute=30)
    [message] = await scene.rows(QaMessage)
    assert message.visibility is Visibility.VISIBLE
    [posted] = await scene.notices(NotificationKind.QA_ANSWER_POSTED)
    assert posted.recipients == {scene.asker.member.id}
    assert posted.data["answered_at"] == "2026-12-03T09:30:00+08:00"
    [told] = await scene.notices(NotificationKind.QA_REVIEW_DECIDED)
    assert told.recipients == {scene.instructor.member.id}
    assert told.body == "您的回答审核通过"
    shown = (await scene.call("GET", f"{QUESTIONS}/{question['id']}", scene.asker)).json()
    assert [m["id"] for m in shown["messages"]] == [held["id"]]


async def test_a_rejected_answer_stays_hidden_but_from_its_author(scene: Scene) -> None:
    question = await scene.ask()
    held = await scene.answer(question["id"], body=REVIEW)
    [item] = await queue(scene, scene.instructor)

    assert (await decide(scene, item["id"], "rejected", "措辞不当")).status_code == 200

    [stored] = await scene.rows(Question)
    assert (stored.status, stored.first_answered_at) == (QuestionStatus.OPEN, None)
    assert (await scene.call("GET", f"{QUESTIONS}/{question['id']}", scene.asker)).json()[
        "messages"
    ] == []
    own = (await scene.call("GET", f"{QUESTIONS}/{question['id']}", scene.instructor)).json()
    assert [(m["id"], m["visibility_label"]) for m in own["messages"]] == [
        (held["id"], "未通过审核")
    ]
    assert await scene.notices(NotificationKind.QA_ANSWER_POSTED) == []
    [told] = await scene.notices(NotificationKind.QA_REVIEW_DECIDED)
    assert (told.recipients, told.data["reason"]) == ({scene.instructor.member.id}, "措辞不当")


async def test_an_approved_follow_up_reaches_the_routed_members(scene: Scene) -> None:
    question = await scene.ask()
    follow = await scene.call(
        "POST", f"{QUESTIONS}/{question['id']}/follow-ups", scene.asker, json={"body": REVIEW}
    )
    assert follow.json()["visibility_label"] == "审核中"
    assert len(await scene.notices(NotificationKind.QA_QUESTION_ROUTED)) == 1
    [item] = await queue(scene, scene.instructor)
    assert item["kind"] == "follow_up"

    assert (await decide(scene, item["id"], "approved")).status_code == 200

    routed = await scene.notices(NotificationKind.QA_QUESTION_ROUTED)
    assert [n.data["status"] for n in routed] == ["新提问", "有追问"]
    [told] = await scene.notices(NotificationKind.QA_REVIEW_DECIDED)
    assert (told.recipients, told.body) == ({scene.asker.member.id}, "您的追问审核通过")


async def test_a_text_is_decided_once_and_only_within_scope(scene: Scene) -> None:
    await scene.ask(body=REVIEW)
    passed = await scene.ask()
    [item] = await queue(scene, scene.instructor)
    [passed_review] = await scene.rows(
        ContentReview,
        ContentReview.subject_id == passed["id"],
        ContentReview.outcome == CheckOutcome.PASS,
    )

    outside = await decide(scene, item["id"], "approved", actor=scene.outside_instructor)
    assert (outside.status_code, code(outside)) == (404, "qa.review_not_found")
    not_held = await decide(scene, passed_review.id, "rejected")
    assert (not_held.status_code, code(not_held)) == (404, "qa.review_not_found")
    assert (await decide(scene, item["id"], "rejected", "重复")).status_code == 200
    again = await decide(scene, item["id"], "approved", actor=scene.admin)
    assert (again.status_code, code(again)) == (409, "qa.review_decided")
    assert again.json()["error"]["details"] == {"decision": "rejected"}
    assert len(await scene.notices(NotificationKind.QA_REVIEW_DECIDED)) == 1
    bad = await decide(scene, item["id"], "maybe")
    assert bad.status_code == 422
