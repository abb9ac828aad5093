"""The human review of what moderation held (审核): the queue of undecided texts whose
question is routed into the reviewer's ``qa:review`` scope, and the decision.

Approved, the text becomes visible and does what it would have done on pass: a question
opens (indexed, its routed members told), an answer is shown (the asker told, the first one
answering the question), a follow-up reaches the routed members. Rejected, a question is
rejected (and out of search), a message stays hidden. Either way its author is told, with
the reason. A text is decided once: the decision is a conditional UPDATE, so two reviewers
at once leave one decision and the other gets ``qa.review_decided``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.config import Settings
from app.models import (
    CheckOutcome,
    ContentReview,
    Member,
    MessageKind,
    QaCategory,
    QaMessage,
    Question,
    QuestionStatus,
    ReviewDecision,
    ReviewSubject,
    SearchKind,
    Visibility,
)
from app.qa import effects, search
from app.qa.errors import ReviewDecided, ReviewNotFound
from app.qa.service import PersonView

_WHAT = {None: "提问", MessageKind.ANSWER: "回答", MessageKind.FOLLOW_UP: "追问"}


@dataclass(frozen=True)
class Held:
    review: ContentReview
    question: Question
    message: QaMessage | None
    category_name: str
    author: PersonView | None

    def __getattr__(self, name: str) -> Any:  # the review's own columns
        return getattr(self.review, name)

    @property
    def question_id(self) -> int:
        return self.question.id

    @property
    def question_title(self) -> str:
        return self.question.title

    @property
    def kind(self) -> str:
        return "question" if self.message is None else self.message.kind.value

    @property
    def text(self) -> str:
        return self.question.body if self.message is None else self.message.body


def _held(caller: Principal) -> Select[ContentReview, Question, QaMessage, str, int, str]:
    """Reviews of held texts with their question, message and author, where the question
    is routed into the caller's review scope."""
    of_question = ContentReview.subject == ReviewSubject.QUESTION
    author = case((of_question, Question.asker_member_id), else_=QaMessage.author_member_id)
    return (
        select(ContentReview, Question, QaMessage, QaCategory.name, Member.id, Member.name)
        .outerjoin(
            QaMessage,
            and_(
                ContentReview.subject == ReviewSubject.MESSAGE,
                QaMessage.id == ContentReview.subject_id,
            ),
        )
        .join(
            Question,
            Question.id
            == case((of_question, ContentReview.subject_id), else_=QaMessage.question_id),
        )
        .join(QaCategory, QaCategory.id == Question.category_id)
        .outerjoin(Member, Member.id == author)
        .where(
            ContentReview.outcome == CheckOutcome.REVIEW,
            caller.scope(Permission.QA_REVIEW).covers(Question.routed_org_id),
        )
    )


def _view(row: Any) -> Held:
    review, question, message, category, member_id, name = row
    author = PersonView(member_id, name) if member_id is not None else None
    return Held(review, question, message, category, author)


async def queue(
    session: AsyncSession, caller: Principal, *, after_id: int | None, limit: int
) -> list[Held]:
    """Undecided, oldest first."""
    query = _held(caller).where(ContentReview.decision.is_(None))
    if after_id is not None:
        query = query.where(ContentReview.id > after_id)
    rows = (await session.execute(query.order_by(ContentReview.id).limit(limit))).all()
    return [_view(row) for row in rows]


async def decide(
    session: AsyncSession,
    settings: Settings,
    caller: Principal,
    review_id: int,
    *,
    decision: ReviewDecision,
    reason: str | None,
    now: datetime,
) -> ContentReview:
    row = (await session.execute(_held(caller).where(ContentReview.id == review_id))).first()
    if row is None:
        raise ReviewNotFound()
    held = _view(row)
    review, question, message = held.review, held.question, held.message
    if review.decision is not None:
        raise ReviewDecided(details={"decision": review.decision.value})
    decided = await session.execute(
        update(ContentReview)
        .where(ContentReview.id == review.id, ContentReview.decision.is_(None))
        .values(
            decision=decision,
            decision_reason=reason,
            decided_by_account_id=caller.account_id,
            decided_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if not decided.rowcount:  # type: ignore[attr-defined]
        raise ReviewDecided()  # another reviewer's decision came first
    await session.refresh(review)
    approved = decision is ReviewDecision.APPROVED
    category = held.category_name
    if message is None:
        if not approved:
            question.status = QuestionStatus.REJECTED
            question.updated_at = now
            await session.flush()
            await search.remove(session, SearchKind.QUESTION, question.id)
        elif question.status is QuestionStatus.PENDING_REVIEW:
            await effects.question_opened(session, settings, question, category, now=now)
    else:
        message.visibility = Visibility.VISIBLE if approved else Visibility.REJECTED
        message.updated_at = now
        await session.flush()
        if approved and message.kind is MessageKind.ANSWER:
            await effects.answer_shown(session, settings, question, category, message, now=now)
        elif approved:
            await effects.follow_up_shown(session, settings, question, category, message, now=now)
    await effects.review_decided(
        session,
        settings,
        review_id=review.id,
        question=question,
        what=_WHAT[message.kind if message is not None else None],
        author_member_id=held.author.member_id if held.author is not None else None,
        approved=approved,
        reason=reason,
        now=now,
    )
    return review
