"""Q&A under races (PostgreSQL, where requests really run at once). Each race holds both
requests at the statement that decides it until both have reached it, so both have passed
every check before either writes: what remains to decide is the database's."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.util import await_only

from app.config import Settings
from app.kit.clock import FrozenClock
from app.models import (
    ContentReview,
    NotificationKind,
    PointEntry,
    QaMessage,
    Question,
    QuestionStatus,
    ReviewDecision,
    Visibility,
)
from tests.factories import Factory
from tests.qa.qa_scene import QA, QUESTIONS, REVIEW, T0, Scene, build_scene, code, qa_settings

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def settings(database_url: str) -> Settings:
    return qa_settings(database_url)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Scene:
    return await build_scene(app, client, factory)


@contextmanager
def both_at(app: FastAPI, statement: str) -> Iterator[None]:
    """Holds each of two requests before the first statement starting with ``statement``
    until the other has reached it too."""
    barrier = asyncio.Barrier(2)
    engine = app.state.runtime.engine.sync_engine
    held: list[str] = []

    def hold(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.lstrip().startswith(statement) and len(held) < 2:
            held.append(sql)
            await_only(asyncio.wait_for(barrier.wait(), timeout=10))

    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", hold)
    assert len(held) == 2, f"the race never reached {statement!r}"


async def test_two_instructors_answering_at_once_both_land(scene: Scene) -> None:
    question = await scene.ask()
    url = f"{QUESTIONS}/{question['id']}/answers"

    with both_at(scene.app, "INSERT INTO qa_messages"):
        first, second = await asyncio.gather(
            scene.call("POST", url, scene.instructor, json={"body": "第一个回答"}),
            scene.call("POST", url, scene.admin, json={"body": "第二个回答"}),
        )

    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    messages = await scene.rows(QaMessage)
    assert len(messages) == 2
    assert all(m.visibility is Visibility.VISIBLE for m in messages)
    [stored] = await scene.rows(Question)
    assert (stored.status, stored.first_answered_at) == (QuestionStatus.ANSWERED, T0)
    assert len(await scene.notices(NotificationKind.QA_ANSWER_POSTED)) == 2


async def test_two_accepts_at_once_leave_one_accepted_and_one_conflict(scene: Scene) -> None:
    question = await scene.ask()
    first = await scene.answer(question["id"])
    second = await scene.answer(question["id"], scene.admin, "另一个回答")
    accept = f"{QUESTIONS}/{question['id']}/answers/{{}}/accept"

    with both_at(scene.app, "UPDATE qa_messages SET accepted_at"):
        answers = await asyncio.gather(
            scene.call("POST", accept.format(first["id"]), scene.asker),
            scene.call("POST", accept.format(second["id"]), scene.asker),
        )

    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    [refused] = [r for r in answers if r.status_code == 409]
    assert code(refused) == "qa.already_accepted"
    accepted = [m for m in await scene.rows(QaMessage) if m.accepted_at is not None]
    assert len(accepted) == 1
    [entry] = await scene.rows(PointEntry)
    assert entry.source == f"answer:{accepted[0].id}"


async def test_two_reviewers_deciding_at_once_leave_one_decision(scene: Scene) -> None:
    await scene.ask(body=REVIEW)
    [review] = await scene.rows(ContentReview)
    url = f"{QA}/reviews/{review.id}/decision"

    with both_at(scene.app, "UPDATE content_reviews SET decision"):
        answers = await asyncio.gather(
            scene.call("POST", url, scene.instructor, json={"decision": "approved"}),
            scene.call("POST", url, scene.admin, json={"decision": "rejected", "reason": "不宜"}),
        )

    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    [won] = [r for r in answers if r.status_code == 200]
    [lost] = [r for r in answers if r.status_code == 409]
    assert code(lost) == "qa.review_decided"
    [stored] = await scene.rows(ContentReview)
    assert stored.decision is ReviewDecision(won.json()["decision"])
    [question] = await scene.rows(Question)
    expected = (
        QuestionStatus.OPEN
        if stored.decision is ReviewDecision.APPROVED
        else (QuestionStatus.REJECTED)
    )
    assert question.status is expected
    assert len(await scene.notices(NotificationKind.QA_REVIEW_DECIDED)) == 1
