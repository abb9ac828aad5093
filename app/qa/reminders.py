"""The 24 h reminder (issue 12, item 2): a question still open with no visible answer 24 hours
after it was asked reminds the members it is routed to (``routing.routed_members``), and
again every further 24 hours it stays so, once per window.

A round claims the due questions as the house's jobs do, SELECT ... FOR UPDATE SKIP LOCKED
(PostgreSQL; SQLite has one writer at a time), and sets their ``last_reminded_at`` in the
transaction that writes the reminders to the outbox: two runs at once take disjoint
questions, and one that looks after the other committed finds them no longer due. The
notification's source names the question and its window (the whole days since it was
asked), so even a second writer of the same reminder would add nothing. Registered with
notify's worker at start-up (``register``, called by ``app.main``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.time import shown
from app.models import NotificationKind, QaCategory, Question, QuestionStatus
from app.notify.outbox import notify
from app.notify.registry import NotifyRegistry
from app.qa.routing import routed_members

REMIND_EVERY = timedelta(hours=24)
BATCH = 100  # questions a round claims; the next round takes the rest
STATUS = "待回答"
DETAIL_PAGE = "pages/qa/detail?id={id}"


def subject(question_id: int) -> str:
    """What every notification about one question is about: the newest supersedes the rest."""
    return f"question:{question_id}"


def _due(now: datetime) -> ColumnElement[bool]:
    """SQL: open, no visible answer, asked 24 h ago or more, not reminded in the last 24 h."""
    day_ago = now - REMIND_EVERY
    return and_(
        Question.status == QuestionStatus.OPEN,
        Question.first_answered_at.is_(None),
        Question.created_at <= day_ago,
        or_(Question.last_reminded_at.is_(None), Question.last_reminded_at <= day_ago),
    )


async def remind_unanswered(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Remind the routed members of every due question (the longest waiting first, at most
    ``BATCH`` a round); answers how many questions were reminded."""
    rows = (
        await session.execute(
            select(Question, QaCategory.name)
            .join(QaCategory, QaCategory.id == Question.category_id)
            .where(_due(now))
            .order_by(Question.created_at, Question.id)
            .limit(BATCH)
            .with_for_update(of=Question, skip_locked=True)
        )
    ).all()
    if not rows:
        return 0
    await session.execute(
        update(Question)
        .where(Question.id.in_([question.id for question, _ in rows]))
        .values(last_reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    for question, category_name in rows:
        days = (now - question.created_at) // REMIND_EVERY
        await notify(
            session,
            settings,
            kind=NotificationKind.QA_QUESTION_REMINDER,
            source=f"qa_question_reminder:{question.id}:{days}",
            subject=subject(question.id),
            title=f"待回答提醒：{question.title}",
            body=f"该提问已超过{days * 24}小时未回答，请尽快回复",
            recipients=routed_members(question),
            now=now,
            org_id=question.routed_org_id,
            page=DETAIL_PAGE.format(id=question.id),
            # What app/notify/catalogue.py lists for the kind; never the asker.
            data={
                "question_title": question.title,
                "category_name": category_name,
                "asked_at": shown(question.created_at),
                "status": STATUS,
            },
        )
    return len(rows)


def register(registry: NotifyRegistry) -> None:
    """Called by app.main at start-up."""
    registry.register_job("qa.remind_unanswered", remind_unanswered)
