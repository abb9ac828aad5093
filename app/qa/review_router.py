"""The review queue of held Q&A texts (审核) and its decisions."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.dependencies import QaReviewer
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit.pagination import Page, PageParams, paginate
from app.kit.types import IdPath
from app.qa import reviews
from app.qa.errors import ReviewDecided, ReviewNotFound
from app.qa.schemas import Decision, DecisionRead, ReviewRead
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/qa", tags=["qa reviews"])


@router.get("/reviews")
async def list_reviews(
    caller: QaReviewer, session: ReadSession, page: PageParams
) -> Page[ReviewRead]:
    """Texts the content check held (questions, answers, follow-ups) whose question is
    routed into the caller's ``qa:review`` scope, undecided, oldest first, each with the
    held text, its author and why it was held."""
    found = await reviews.queue(session, caller, after_id=page.after, limit=page.size + 1)
    return paginate(ReviewRead, found, page)


@router.post("/reviews/{review_id}/decision", responses=responses(ReviewNotFound, ReviewDecided))
async def decide_review(
    review_id: IdPath,
    body: Decision,
    caller: QaReviewer,
    session: DbSession,
    runtime: RuntimeDep,
) -> DecisionRead:
    """Approve (the text becomes visible, with what passing would have done: a question
    opens and its routed members are told, an answer reaches the asker) or reject (a
    question is rejected, a message stays hidden); the author is told either way. Once:
    a second decision is 409 ``qa.review_decided``."""
    review = await reviews.decide(
        session,
        runtime.settings,
        caller,
        review_id,
        decision=body.decision,
        reason=body.reason,
        now=runtime.clock.now(),
    )
    return DecisionRead.model_validate(review)
