"""What the Q&A tables themselves guarantee, before any route writes them: everyone's five
categories are there after the migration, a question has at most one accepted answer however
the accepts race to the database, and only an answer can be accepted."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.models import (
    MessageKind,
    QaCategory,
    QaMessage,
    Question,
    QuestionStatus,
    Role,
    Visibility,
)
from tests.factories import Factory, build_world


async def _thread(app: FastAPI, factory: Factory) -> tuple[int, int, int]:
    """A question with two answers and a follow-up: (answer, answer, follow-up) ids."""
    branch = (await build_world(factory)).branch_a1
    asker = await factory.member(branch)
    now = app.state.runtime.clock.now()
    async with app.state.runtime.sessionmaker.begin() as session:
        category = await session.scalar(select(QaCategory.id).where(QaCategory.name == "党费"))
        assert category is not None
        question = Question(
            asker_member_id=asker.id,
            org_id=branch.id,
            category_id=category,
            title="党费怎么交",
            body="流动党员的党费交到哪里？",
            status=QuestionStatus.OPEN,
            routed_org_id=branch.id,
            routed_role=Role.INSTRUCTOR,
            created_at=now,
            updated_at=now,
        )
        session.add(question)
        await session.flush()
        messages = [
            QaMessage(
                question_id=question.id,
                kind=kind,
                body="……",
                visibility=Visibility.VISIBLE,
                created_at=now,
                updated_at=now,
            )
            for kind in (MessageKind.ANSWER, MessageKind.ANSWER, MessageKind.FOLLOW_UP)
        ]
        session.add_all(messages)
        await session.flush()
        first, second, follow_up = (m.id for m in messages)
    return first, second, follow_up


async def test_everyone_has_the_five_categories(app: FastAPI) -> None:
    async with app.state.runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(QaCategory.name, QaCategory.org_id).order_by(QaCategory.position)
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("政策咨询", None),
        ("组织关系", None),
        ("党费", None),
        ("学习", None),
        ("其他", None),
    ]


async def test_a_question_keeps_one_accepted_answer(app: FastAPI, factory: Factory) -> None:
    first, second, _ = await _thread(app, factory)
    now = app.state.runtime.clock.now()
    sessionmaker = app.state.runtime.sessionmaker
    async with sessionmaker.begin() as session:
        await session.execute(
            update(QaMessage).where(QaMessage.id == first).values(accepted_at=now)
        )
    with pytest.raises(IntegrityError):
        async with sessionmaker.begin() as session:
            await session.execute(
                update(QaMessage).where(QaMessage.id == second).values(accepted_at=now)
            )
    async with sessionmaker() as session:
        accepted = (
            await session.scalars(select(QaMessage.id).where(QaMessage.accepted_at.is_not(None)))
        ).all()
    assert accepted == [first]


async def test_a_follow_up_cannot_be_accepted(app: FastAPI, factory: Factory) -> None:
    _, _, follow_up = await _thread(app, factory)
    now = app.state.runtime.clock.now()
    with pytest.raises(IntegrityError):
        async with app.state.runtime.sessionmaker.begin() as session:
            await session.execute(
                update(QaMessage).where(QaMessage.id == follow_up).values(accepted_at=now)
            )
