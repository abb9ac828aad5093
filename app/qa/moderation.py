"""Moderation of what members write in Q&A: every question, answer and follow-up passes
``runtime.content_check`` before anyone else sees it.

- pass: shown at once; review (WeChat's review, WeChat down, an errcode, a political label):
  held, 审核中 to its author and to nobody else, until a reviewer decides; risky: refused
  with ``content.risky`` and its label, nothing written.
- Every verdict of a text that was written is recorded as a ``ContentReview``, pass too, so
  the figures and an audit see what the check said of each text.

The check is a network call (WeChat): routes make it before their writer's first statement,
never inside the transaction (on SQLite that holds the write lock)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.integrations.content_check import ContentCheck, Outcome, Scene, Verdict
from app.models import ContentReview, ReviewSubject, Visibility
from app.qa.errors import ContentRisky

logger = logging.getLogger("app.qa")

# msg_sec_check's scenes: questions and answers are 论坛 posts, follow-ups 评论.
QUESTION_SCENE = Scene.FORUM
ANSWER_SCENE = Scene.FORUM
FOLLOW_UP_SCENE = Scene.COMMENT


async def check(
    content_check: ContentCheck,
    text: str,
    *,
    openid: str | None,
    scene: Scene,
    title: str | None = None,
) -> Verdict:
    """The verdict on a text about to be written: pass or review; risky is refused here."""
    verdict = await content_check.check(text, openid=openid, scene=scene, title=title)
    if verdict.outcome is Outcome.RISKY:
        # The text stays out of the log: it may be anything.
        logger.info("content check refused a text: %s (%s)", verdict.label_name, verdict.reason)
        raise ContentRisky(details={"label": verdict.label, "label_name": verdict.label_name})
    return verdict


def held(verdict: Verdict) -> bool:
    return verdict.outcome is not Outcome.PASS


def visibility(verdict: Verdict) -> Visibility:
    return Visibility.PENDING_REVIEW if held(verdict) else Visibility.VISIBLE


async def record(
    session: AsyncSession,
    subject: ReviewSubject,
    subject_id: int,
    verdict: Verdict,
    *,
    now: datetime,
) -> ContentReview:
    review = ContentReview(
        subject=subject,
        subject_id=subject_id,
        outcome=verdict.outcome,
        label=verdict.label,
        label_name=verdict.label_name[:20],
        reason=verdict.reason[:200],
        source=verdict.source,
        created_at=now,
    )
    session.add(review)
    await session.flush()
    return review
