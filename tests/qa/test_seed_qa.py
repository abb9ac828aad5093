"""Issue 12's acceptance on the demo data: the demo member asks a question, it is moderated,
routed to the demo instructor, answered, accepted and published to the FAQ, and the member
finds it by searching a two-character word (and first for a longer one). And the demo's own
questions are where each state puts them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.config import Settings
from app.kit.clock import FrozenClock
from app.models import (
    Channel,
    CheckOutcome,
    ContentReview,
    Delivery,
    FaqEntry,
    Member,
    Notification,
    NotificationKind,
    Question,
    QuestionStatus,
    ReviewDecision,
    ReviewSubject,
)
from app.seed.demo import DEMO_LOGINS, run_seed
from app.seed.qa import QUESTIONS

QA = "/api/v1/qa"
TITLE = "预备党员转正需要提交哪些材料？"
BODY = (
    "我是去年七月入党的预备党员，预备期快满一年了。转正时需要自己写转正申请吗？"
    "还要准备哪些材料，支部大会一般什么时候开？"
)
ANSWER = (
    "预备期满前一个月左右，请向支部递交书面转正申请，写明预备期间的思想、学习和工作情况。"
    "支部会征求党内外群众意见，由支委会审查后提交支部大会讨论表决，通过后报上级党组织审批。"
)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))  # tokens are checked against the real time


async def _signed_in(client: httpx.AsyncClient, label: str) -> dict[str, str]:
    login = await client.post("/api/v1/auth/wechat/login", json={"code": DEMO_LOGINS[label]})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(url, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _member_id(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    me = await _get(client, "/api/v1/me", headers)
    member_id: int = me["member"]["id"]
    return member_id


async def _told(app: FastAPI, kind: NotificationKind, question_id: int) -> set[int]:
    """The members the question's notifications of ``kind`` reach in their inbox."""
    async with app.state.runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(Delivery.member_id)
            .join(Notification, Notification.id == Delivery.notification_id)
            .where(
                Notification.kind == kind,
                Notification.subject == f"qa_question:{question_id}",
                Delivery.channel == Channel.INBOX,
            )
        )
        return {member_id for member_id in rows if member_id is not None}


async def test_the_demo_member_asks_and_finds_the_answer_in_the_faq(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    assert await run_seed(settings, clock)
    member = await _signed_in(client, "member")
    instructor = await _signed_in(client, "instructor")
    member_id = await _member_id(client, member)
    instructor_id = await _member_id(client, instructor)
    me = await _get(client, "/api/v1/me", member)
    branch_id = me["member"]["relation_org_id"]

    categories = await _get(client, f"{QA}/categories", member)
    category_id = next(c["id"] for c in categories if c["name"] == "组织关系")
    asked = await client.post(
        f"{QA}/questions",
        json={"category_id": category_id, "title": TITLE, "body": BODY},
        headers=member,
    )
    assert asked.status_code == 201, asked.text
    question = asked.json()
    question_id = question["id"]
    # Moderated: the word list passed it, so it is open at once, routed to the branch's
    # instructors, the demo instructor among them.
    assert (question["status"], question["status_label"]) == ("open", "待回答")
    assert (question["routed_org_id"], question["routed_role"]) == (branch_id, "instructor")
    async with app.state.runtime.sessionmaker() as session:
        [review] = await session.scalars(
            select(ContentReview).where(
                ContentReview.subject == ReviewSubject.QUESTION,
                ContentReview.subject_id == question_id,
            )
        )
    assert (review.outcome, review.source) == (CheckOutcome.PASS, "wordlist")

    queue = await _get(client, f"{QA}/questions/routed", instructor, status="open", limit=50)
    assert question_id in {item["id"] for item in queue["items"]}
    assert instructor_id in await _told(app, NotificationKind.QA_QUESTION_ROUTED, question_id)

    clock.advance(hours=2)
    answered = await client.post(
        f"{QA}/questions/{question_id}/answers", json={"body": ANSWER}, headers=instructor
    )
    assert answered.status_code == 201, answered.text
    answer_id = answered.json()["id"]

    seen = await _get(client, f"{QA}/questions/{question_id}", member)
    assert seen["status_label"] == "已回答"
    [shown] = seen["messages"]
    assert (shown["id"], shown["body"], shown["visibility"]) == (answer_id, ANSWER, "visible")
    assert shown["author"]["member_id"] == instructor_id
    assert await _told(app, NotificationKind.QA_ANSWER_POSTED, question_id) == {member_id}

    clock.advance(minutes=30)
    accepted = await client.post(
        f"{QA}/questions/{question_id}/answers/{answer_id}/accept", headers=member
    )
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["status"], accepted.json()["accepted_message_id"]) == (
        "closed",
        answer_id,
    )

    published = await client.post(
        f"{QA}/questions/{question_id}/faq", json={"org_id": branch_id}, headers=instructor
    )
    assert published.status_code == 201, published.text
    entry = published.json()
    assert (entry["title"], entry["answer_text"]) == (TITLE, ANSWER)
    assert me["member"]["name"] not in entry["question_text"]

    faq = await _get(client, f"{QA}/faq", member)
    assert entry["id"] in {item["id"] for item in faq["items"]}
    found = await _get(client, f"{QA}/search", member, q="转正")
    hits = [(item["kind"], item["id"]) for item in found["items"]]
    assert ("faq", entry["id"]) in hits
    assert ("question", question_id) in hits  # the member's own question too
    best = await _get(client, f"{QA}/search", member, q="预备党员转正申请")
    assert best["items"], best
    first = (best["items"][0]["kind"], best["items"][0]["id"])
    assert first in {("faq", entry["id"]), ("question", question_id)}
    # The demo's own FAQ entry (党费) is found by its word, and not by this one.
    dues = await _get(client, f"{QA}/search", member, q="党费")
    assert {i["kind"] for i in dues["items"]} >= {"faq"}
    assert ("faq", entry["id"]) not in [(i["kind"], i["id"]) for i in dues["items"]]


async def test_the_demo_questions_are_where_their_states_put_them(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    assert await run_seed(settings, clock)
    member = await _signed_in(client, "member")
    instructor = await _signed_in(client, "instructor")
    by_title = {demo.title: demo for demo in QUESTIONS}

    async with app.state.runtime.sessionmaker() as session:
        questions = {q.title: q for q in await session.scalars(select(Question))}
        asked_by = dict((await session.execute(select(Member.id, Member.name))).all())
        reviews = {
            r.subject_id: r
            for r in await session.scalars(
                select(ContentReview).where(ContentReview.subject == ReviewSubject.QUESTION)
            )
        }
        [entry] = await session.scalars(select(FaqEntry))
    assert set(questions) == set(by_title)
    states = {q.status for q in questions.values()}
    assert states == set(QuestionStatus)
    assert len({q.asker_member_id for q in questions.values()}) >= 5
    assert sum(q.anonymous for q in questions.values()) == 1
    rejected = next(q for q in questions.values() if q.status is QuestionStatus.REJECTED)
    decided = reviews[rejected.id]
    assert (decided.outcome, decided.decision) == (CheckOutcome.REVIEW, ReviewDecision.REJECTED)
    assert decided.decision_reason
    held = next(q for q in questions.values() if q.status is QuestionStatus.PENDING_REVIEW)
    assert (reviews[held.id].outcome, reviews[held.id].decision) == (CheckOutcome.REVIEW, None)
    closed = next(q for q in questions.values() if q.status is QuestionStatus.CLOSED)
    assert entry.question_id == closed.id
    assert asked_by[closed.asker_member_id] not in entry.question_text + entry.answer_text

    # The member's own list: their closed question and the one held for review (审核中).
    mine = await _get(client, f"{QA}/questions/mine", member)
    labels = {item["title"]: item["status_label"] for item in mine["items"]}
    assert labels == {closed.title: "已关闭", held.title: "审核中"}

    # The instructor's queue: the open and answered questions of their branches, the
    # anonymous one with its asker; nothing held, rejected, or routed to another instructor.
    queue = await _get(client, f"{QA}/questions/routed", instructor, limit=50)
    listed = {item["title"]: item for item in queue["items"]}
    theirs = {
        title
        for title, q in questions.items()
        if q.status in (QuestionStatus.OPEN, QuestionStatus.ANSWERED, QuestionStatus.CLOSED)
        and q.routed_org_id != questions["退休后组织关系应该转到哪里？"].routed_org_id
    }
    assert set(listed) == theirs
    open_ones = await _get(client, f"{QA}/questions/routed", instructor, status="open")
    assert {item["title"] for item in open_ones["items"]} == {
        title for title in theirs if questions[title].status is QuestionStatus.OPEN
    }
    anonymous = next(item for item in listed.values() if item["anonymous"])
    assert anonymous["asker"] is not None  # instructors see who asked

    # The held question waits in the instructor's review queue, the rejected one does not.
    pending = await _get(client, f"{QA}/reviews", instructor)
    assert [item["question_title"] for item in pending["items"]] == [held.title]

    # The member sees the FAQ entry of their branch, and the answered question's thread is
    # the instructor's answer, then the member's follow-up, then the accepted answer.
    faq = await _get(client, f"{QA}/faq", member)
    assert [item["id"] for item in faq["items"]] == [entry.id]
    thread = await _get(client, f"{QA}/questions/{closed.id}", member)
    assert [m["kind"] for m in thread["messages"]] == ["answer", "follow_up", "answer"]
    assert thread["accepted_message_id"] == thread["messages"][-1]["id"]
    # The instructor finds the questions routed to them by two-character words.
    for word, title in (
        ("转接", "组织关系从外省转入需要多长时间？"),
        ("流动", "流动党员在外地怎样参加组织生活？"),
    ):
        hits = await _get(client, f"{QA}/search", instructor, q=word)
        assert title in {item["title"] for item in hits["items"]}, word
