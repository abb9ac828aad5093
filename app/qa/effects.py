"""What happens when a text becomes visible, at once on pass or when a reviewer approves it,
and the notifications of Q&A. Every notification names the question by its title and
category, never by its asker (anonymous questions), and is written to the outbox in the
transaction of the change (``app.notify.outbox.notify``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.time import shown
from app.models import Member, NotificationKind, QaMessage, Question, QuestionStatus
from app.notify import outbox
from app.qa import search
from app.qa.routing import routed_members

QUESTION_PAGE = "pages/qa/question?id={id}"

# The status phrases of QA_QUESTION_ROUTED (app/notify/catalogue.py).
NEW_QUESTION = "新提问"
REASSIGNED = "转交给您"
FOLLOWED_UP = "有追问"
NEW_ANSWER = "有新回答"
APPROVED = "审核通过"
REJECTED = "审核未通过"
NO_REASON = "无"

_ROUTED_BODIES = {
    NEW_QUESTION: "{category}类问题，请及时回答",
    REASSIGNED: "{category}类问题已转交给您，请及时回答",
    FOLLOWED_UP: "提问人对该{category}类问题有追问",
}


def _question_data(question: Question, category_name: str) -> dict[str, Any]:
    return {
        "question_title": question.title,
        "category_name": category_name,
        "asked_at": shown(question.created_at),
    }


def _subject(question: Question) -> str:
    return f"qa_question:{question.id}"


async def notify_routed(
    session: AsyncSession,
    settings: Settings,
    question: Question,
    category_name: str,
    *,
    status: str,
    source: str,
    now: datetime,
) -> None:
    """The members the question is routed to (``routing.routed_members``): new, passed on
    to them, or followed up."""
    await outbox.notify(
        session,
        settings,
        kind=NotificationKind.QA_QUESTION_ROUTED,
        source=source,
        subject=_subject(question),
        title=f"{status}：{question.title}",
        body=_ROUTED_BODIES[status].format(category=category_name),
        recipients=routed_members(question),
        now=now,
        org_id=question.org_id,
        page=QUESTION_PAGE.format(id=question.id),
        data={**_question_data(question, category_name), "status": status},
    )


async def question_opened(
    session: AsyncSession,
    settings: Settings,
    question: Question,
    category_name: str,
    *,
    now: datetime,
) -> None:
    """Open to its answerers (on pass, or approved): found by search, its routed members
    told."""
    if question.status is not QuestionStatus.OPEN:
        question.status = QuestionStatus.OPEN
        question.updated_at = now
        await session.flush()
    await search.index_question(session, question)
    await notify_routed(
        session,
        settings,
        question,
        category_name,
        status=NEW_QUESTION,
        source=f"qa_question:{question.id}:opened",
        now=now,
    )


async def answer_shown(
    session: AsyncSession,
    settings: Settings,
    question: Question,
    category_name: str,
    answer: QaMessage,
    *,
    now: datetime,
) -> None:
    """The first visible answer sets ``first_answered_at`` (its own time) and takes an open
    question to answered. Each is a conditional UPDATE: on PostgreSQL an answer landing at
    the same moment waits for this one's row lock and then finds it done."""
    await session.execute(
        update(Question)
        .where(Question.id == question.id, Question.status == QuestionStatus.OPEN)
        .values(status=QuestionStatus.ANSWERED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Question)
        .where(Question.id == question.id, Question.first_answered_at.is_(None))
        .values(first_answered_at=answer.created_at)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(question, ["status", "first_answered_at", "updated_at"])
    await outbox.notify(
        session,
        settings,
        kind=NotificationKind.QA_ANSWER_POSTED,
        source=f"qa_message:{answer.id}:answer",
        subject=_subject(question),
        title=f"{NEW_ANSWER}：{question.title}",
        body="您的问题有了新回答",
        recipients=select(Member.id).where(Member.id == question.asker_member_id),
        now=now,
        org_id=question.org_id,
        page=QUESTION_PAGE.format(id=question.id),
        data={
            **_question_data(question, category_name),
            "answered_at": shown(answer.created_at),
            "status": NEW_ANSWER,
        },
    )


async def follow_up_shown(
    session: AsyncSession,
    settings: Settings,
    question: Question,
    category_name: str,
    follow_up: QaMessage,
    *,
    now: datetime,
) -> None:
    await notify_routed(
        session,
        settings,
        question,
        category_name,
        status=FOLLOWED_UP,
        source=f"qa_message:{follow_up.id}:follow_up",
        now=now,
    )


async def review_decided(
    session: AsyncSession,
    settings: Settings,
    *,
    review_id: int,
    question: Question,
    what: str,
    author_member_id: int | None,
    approved: bool,
    reason: str | None,
    now: datetime,
) -> None:
    """The author of a held text hears the decision, with the reviewer's reason."""
    if author_member_id is None:  # a staff account without a member record, or erased
        return
    decision = APPROVED if approved else REJECTED
    await outbox.notify(
        session,
        settings,
        kind=NotificationKind.QA_REVIEW_DECIDED,
        source=f"qa_review:{review_id}:decided",
        subject=_subject(question),
        title=f"{decision}：{question.title}",
        body=f"您的{what}{decision}" + (f"：{reason}" if reason else ""),
        recipients=select(Member.id).where(Member.id == author_member_id),
        now=now,
        org_id=question.org_id,
        page=QUESTION_PAGE.format(id=question.id),
        data={
            "question_title": question.title,
            "decision": decision,
            "reason": reason or NO_REASON,
            "decided_at": shown(now),
        },
    )
