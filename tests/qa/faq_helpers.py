"""Rows the FAQ and search tests stand on, inserted directly (the question routes are
another slice's): questions with their accepted answer, FAQ entries, both indexed for
search as the services index them."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import select

from app.models import (
    FaqEntry,
    MessageKind,
    QaCategory,
    QaMessage,
    Question,
    QuestionStatus,
    Role,
    Visibility,
)
from app.qa import search as qa_search


async def category_id(app: FastAPI, name: str = "党费") -> int:
    async with app.state.runtime.sessionmaker() as session:
        found = await session.scalar(select(QaCategory.id).where(QaCategory.name == name))
    assert found is not None
    return found


async def add_question(
    app: FastAPI,
    *,
    asker_id: int,
    org_id: int,
    routed_org_id: int,
    title: str,
    body: str,
    answer: str | None = None,
    accepted: bool = True,
    anonymous: bool = False,
    status: QuestionStatus | None = None,
    category: str = "党费",
    at: datetime | None = None,
) -> int:
    """An open question routed to the instructors of ``routed_org_id``; with ``answer``, a
    visible answer (accepted unless ``accepted`` is false) and the question answered."""
    now = at or app.state.runtime.clock.now()
    category_ref = await category_id(app, category)
    async with app.state.runtime.sessionmaker.begin() as session:
        question = Question(
            asker_member_id=asker_id,
            org_id=org_id,
            category_id=category_ref,
            title=title,
            body=body,
            anonymous=anonymous,
            status=status or (QuestionStatus.ANSWERED if answer else QuestionStatus.OPEN),
            routed_org_id=routed_org_id,
            routed_role=Role.INSTRUCTOR,
            first_answered_at=now if answer else None,
            created_at=now,
            updated_at=now,
        )
        session.add(question)
        await session.flush()
        if answer is not None:
            session.add(
                QaMessage(
                    question_id=question.id,
                    kind=MessageKind.ANSWER,
                    body=answer,
                    visibility=Visibility.VISIBLE,
                    accepted_at=now if accepted else None,
                    created_at=now,
                    updated_at=now,
                )
            )
        await qa_search.index_question(session, question)
        return question.id


async def add_faq(
    app: FastAPI,
    *,
    org_id: int,
    title: str,
    question_text: str,
    answer_text: str,
    question_id: int | None = None,
    category: str = "党费",
) -> int:
    now = app.state.runtime.clock.now()
    category_ref = await category_id(app, category)
    async with app.state.runtime.sessionmaker.begin() as session:
        entry = FaqEntry(
            org_id=org_id,
            question_id=question_id,
            category_id=category_ref,
            title=title,
            question_text=question_text,
            answer_text=answer_text,
            published_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(entry)
        await session.flush()
        await qa_search.index_faq(session, entry)
        return entry.id
