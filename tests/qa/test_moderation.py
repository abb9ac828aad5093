"""What the question, answer and follow-up routes do with each outcome of WeChat's content
check, WeChat faked at the HTTP boundary (the adapter's own mapping of WeChat's answers is
tests/integrations/test_content_check.py's): pass shows the text, review holds it, risky
refuses it and writes nothing, and WeChat down or answering an errcode holds it (never
shows it). Each written text's verdict is recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
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
    QaAssignment,
    QaMessage,
    QaSearchEntry,
    Question,
    QuestionStatus,
    ReviewSubject,
    Visibility,
)
from tests.factories import Factory
from tests.fixtures.wechat import FakeWeChat
from tests.qa.qa_scene import QA, QUESTIONS, T0, Scene, build_scene, code, qa_settings

SEC_CHECK = "/wxa/msg_sec_check"
REVIEWS = f"{QA}/reviews"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return qa_settings(database_url, content_check_backend="wechat")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Scene:
    return await build_scene(app, client, factory)


def suggesting(suggest: str, label: int) -> Callable[[httpx.Request], httpx.Response]:
    body = {"errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": label}}
    return lambda _request: httpx.Response(200, json=body)


def _down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _errcode(_request: httpx.Request) -> httpx.Response:
    # 61010: the member has not opened the mini-program in the last two hours.
    return httpx.Response(200, json={"errcode": 61010, "errmsg": "user in invalid state"})


# (WeChat's answer, the question's state, the review's outcome, label, label name, reason)
HELD_OR_SHOWN = {
    "pass": (suggesting("pass", 100), "open", CheckOutcome.PASS, 100, "正常", "wechat_pass"),
    "review": (
        suggesting("review", 20001),
        "pending_review",
        CheckOutcome.REVIEW,
        20001,
        "政治",
        "wechat_review",
    ),
    "wechat_down": (
        _down,
        "pending_review",
        CheckOutcome.REVIEW,
        None,
        "未检测",
        "wechat_unavailable",
    ),
    "errcode_in_200": (
        _errcode,
        "pending_review",
        CheckOutcome.REVIEW,
        None,
        "未检测",
        "wechat_errcode_61010",
    ),
}


@pytest.mark.parametrize("outcome", sorted(HELD_OR_SHOWN))
async def test_a_question_is_shown_or_held_by_what_wechat_answers(
    scene: Scene, wechat: FakeWeChat, outcome: str
) -> None:
    handler, status, checked, label, label_name, reason = HELD_OR_SHOWN[outcome]
    wechat.overrides[SEC_CHECK] = handler

    created = await scene.ask(title="党费标准", body="按什么标准交党费？")

    assert created["status"] == status
    [asked] = [json.loads(r.content) for r in wechat.calls_to(SEC_CHECK)]
    assert asked == {
        "content": "按什么标准交党费？",
        "version": 2,
        "openid": scene.asker.account.openid,
        "scene": 3,
        "title": "党费标准",
    }
    [review] = await scene.rows(ContentReview)
    assert (review.subject, review.subject_id) == (ReviewSubject.QUESTION, created["id"])
    assert (review.outcome, review.label, review.label_name, review.reason, review.source) == (
        checked,
        label,
        label_name,
        reason,
        "wechat",
    )
    shown = status == "open"
    assert len(await scene.rows(QaSearchEntry)) == int(shown)
    assert len(await scene.notices(NotificationKind.QA_QUESTION_ROUTED)) == int(shown)
    seen = await scene.call("GET", f"{QUESTIONS}/{created['id']}", scene.instructor)
    assert seen.status_code == (200 if shown else 404)
    queued = (await scene.call("GET", REVIEWS, scene.instructor)).json()["items"]
    assert [i["reason"] for i in queued] == ([] if shown else [reason])


async def test_a_risky_question_is_refused_and_nothing_is_written(
    scene: Scene, wechat: FakeWeChat
) -> None:
    wechat.overrides[SEC_CHECK] = suggesting("risky", 20003)

    response = await scene.call(
        "POST",
        QUESTIONS,
        scene.asker,
        json={"category_id": scene.category_id, "title": "标题", "body": "内容"},
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"]) == (
        "content.risky",
        {"label": 20003, "label_name": "辱骂"},
    )
    assert error["message"] == "内容未通过安全检测（辱骂），请修改后再提交"
    for model in (Question, QaAssignment, ContentReview, QaSearchEntry):
        assert await scene.rows(model) == []
    assert await scene.notices(NotificationKind.QA_QUESTION_ROUTED) == []


@pytest.mark.parametrize("outcome", sorted(HELD_OR_SHOWN))
async def test_an_answer_is_shown_or_held_by_what_wechat_answers(
    scene: Scene, wechat: FakeWeChat, outcome: str
) -> None:
    question = await scene.ask()
    handler, status, checked, _, _, reason = HELD_OR_SHOWN[outcome]
    wechat.overrides[SEC_CHECK] = handler

    answer = await scene.answer(question["id"], body="交到支部。")

    shown = status == "open"
    assert answer["visibility"] == ("visible" if shown else "pending_review")
    asked = json.loads(wechat.calls_to(SEC_CHECK)[-1].content)
    assert (asked["openid"], asked["scene"], "title" in asked) == (
        scene.instructor.account.openid,
        3,
        False,
    )
    review = (await scene.rows(ContentReview, ContentReview.subject == ReviewSubject.MESSAGE))[0]
    assert (review.subject_id, review.outcome, review.reason) == (answer["id"], checked, reason)
    [stored] = await scene.rows(Question)
    assert stored.status is (QuestionStatus.ANSWERED if shown else QuestionStatus.OPEN)
    assert len(await scene.notices(NotificationKind.QA_ANSWER_POSTED)) == int(shown)


async def test_a_risky_answer_or_follow_up_is_refused_and_nothing_is_written(
    scene: Scene, wechat: FakeWeChat
) -> None:
    question = await scene.ask()
    wechat.overrides[SEC_CHECK] = suggesting("risky", 10001)

    answer = await scene.call(
        "POST", f"{QUESTIONS}/{question['id']}/answers", scene.instructor, json={"body": "广告"}
    )
    follow = await scene.call(
        "POST", f"{QUESTIONS}/{question['id']}/follow-ups", scene.asker, json={"body": "广告"}
    )

    for refused in (answer, follow):
        assert (refused.status_code, code(refused)) == (422, "content.risky")
        assert refused.json()["error"]["details"]["label_name"] == "广告"
    assert await scene.rows(QaMessage) == []
    assert len(await scene.rows(ContentReview)) == 1  # the question's own


@pytest.mark.parametrize("outcome", sorted(HELD_OR_SHOWN))
async def test_a_follow_up_is_checked_as_a_comment_and_shown_or_held(
    scene: Scene, wechat: FakeWeChat, outcome: str
) -> None:
    question = await scene.ask()
    handler, status, _, _, _, _ = HELD_OR_SHOWN[outcome]
    wechat.overrides[SEC_CHECK] = handler

    response = await scene.call(
        "POST", f"{QUESTIONS}/{question['id']}/follow-ups", scene.asker, json={"body": "还有"}
    )

    assert response.status_code == 201
    shown = status == "open"
    [message] = await scene.rows(QaMessage)
    assert message.visibility is (Visibility.VISIBLE if shown else Visibility.PENDING_REVIEW)
    asked = json.loads(wechat.calls_to(SEC_CHECK)[-1].content)
    assert (asked["scene"], asked["content"]) == (2, "还有")
    routed = await scene.notices(NotificationKind.QA_QUESTION_ROUTED)
    assert [n.data["status"] for n in routed] == ["新提问", *(["有追问"] if shown else [])]


async def test_wechat_is_not_asked_for_a_request_refused_before_it(
    scene: Scene, wechat: FakeWeChat
) -> None:
    """Whoever may not answer (or follow up, or ask with that category) is refused before
    the content check: no call to WeChat, no text of theirs sent anywhere."""
    question = await scene.ask()
    calls = len(wechat.calls_to(SEC_CHECK))
    requests: list[tuple[Any, str, dict[str, Any]]] = [
        (scene.outsider, f"{QUESTIONS}/{question['id']}/answers", {"body": "答"}),
        (scene.instructor, f"{QUESTIONS}/{question['id']}/follow-ups", {"body": "问"}),
        (
            scene.asker,
            QUESTIONS,
            {"category_id": 999999, "title": "标题", "body": "内容"},
        ),
    ]

    for actor, url, body in requests:
        response = await scene.call("POST", url, actor, json=body)
        assert response.status_code in (403, 404), response.text

    assert len(wechat.calls_to(SEC_CHECK)) == calls
