"""The 24 h reminder: a question open with no visible answer for 24 hours reminds the members
it is routed to, once, then again 24 hours later at the earliest; never its asker's name,
never one who left, never twice for one window even when two runs race. The notify worker
runs it: it is registered where the other jobs are."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.kit.clock import FrozenClock
from app.models import (
    Channel,
    Delivery,
    Member,
    Notification,
    NotificationKind,
    QaCategory,
    Question,
    QuestionStatus,
    Role,
)
from app.notify.catalogue import KIND_VALUES
from app.notify.registry import registry_of
from app.notify.worker import Worker
from app.qa.reminders import remind_unanswered
from tests.factories import Actor, Factory, World, build_world

T0 = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@dataclass
class Scene:
    world: World
    asker: Member
    instructor_1: Actor
    instructor_2: Actor
    assignee: Actor
    gone: Actor
    waiting: int  # open, routed to 甲一支部's instructors
    assigned: int  # open, reassigned to one person
    young: int  # open, asked an hour after the rest


async def _ask(
    app: FastAPI,
    asker: Member,
    asked_at: datetime,
    title: str,
    *,
    status: QuestionStatus = QuestionStatus.OPEN,
    assignee: Actor | None = None,
    first_answered_at: datetime | None = None,
) -> int:
    """A question of the asker's branch, routed to its instructors, inserted as a row."""
    assert asker.relation_org_id is not None
    async with app.state.runtime.sessionmaker.begin() as session:
        category = await session.scalar(select(QaCategory.id).where(QaCategory.name == "党费"))
        assert category is not None
        question = Question(
            asker_member_id=asker.id,
            org_id=asker.relation_org_id,
            category_id=category,
            title=title,
            body="流动党员的党费交到哪里？",
            status=status,
            routed_org_id=asker.relation_org_id,
            routed_role=Role.INSTRUCTOR,
            assignee_member_id=assignee.member.id if assignee else None,
            first_answered_at=first_answered_at,
            created_at=asked_at,
            updated_at=asked_at,
        )
        session.add(question)
        await session.flush()
        return question.id


@pytest.fixture
async def scene(app: FastAPI, factory: Factory) -> Scene:
    world = await build_world(factory)
    instructor_1 = await factory.actor(Role.INSTRUCTOR, world.branch_a1)
    instructor_2 = await factory.actor(Role.INSTRUCTOR, world.branch_a1)
    assignee = await factory.actor(Role.INSTRUCTOR, world.branch_a2)
    gone = await factory.actor(Role.INSTRUCTOR, world.branch_a1)
    asker = await factory.member(world.branch_a1, name="王提问")
    async with app.state.runtime.sessionmaker.begin() as session:
        await session.execute(
            update(Member).where(Member.id == gone.member.id).values(departed_at=T0)
        )
    waiting = await _ask(app, asker, T0, "党费怎么交")
    assigned = await _ask(app, asker, T0, "组织关系怎么转", assignee=assignee)
    young = await _ask(app, asker, T0 + timedelta(hours=1), "党课什么时候上")
    # Never reminded: answered, closed, held for review, refused; and one with a visible
    # answer whose status a racing write has not moved yet.
    for status in (
        QuestionStatus.ANSWERED,
        QuestionStatus.CLOSED,
        QuestionStatus.PENDING_REVIEW,
        QuestionStatus.REJECTED,
    ):
        await _ask(app, asker, T0 - timedelta(days=3), f"不提醒{status.value}", status=status)
    await _ask(app, asker, T0, "已有回答", first_answered_at=T0 + timedelta(hours=2))
    return Scene(world, asker, instructor_1, instructor_2, assignee, gone, waiting, assigned, young)


async def run(app: FastAPI, at: datetime) -> int:
    async with app.state.runtime.sessionmaker.begin() as session:
        return await remind_unanswered(session, app.state.runtime.settings, at)


async def reminded(app: FastAPI) -> list[tuple[str, int]]:
    """(subject, member) of every reminder in an inbox, in order of writing."""
    async with app.state.runtime.sessionmaker() as session:
        rows = await session.execute(
            select(Notification.subject, Delivery.member_id)
            .join(Delivery, Delivery.notification_id == Notification.id)
            .where(
                Notification.kind == NotificationKind.QA_QUESTION_REMINDER,
                Delivery.channel == Channel.INBOX,
            )
            .order_by(Notification.id, Delivery.member_id)
        )
        return [(subject, member_id) for subject, member_id in rows.all()]


async def reminders(app: FastAPI) -> Sequence[Notification]:
    async with app.state.runtime.sessionmaker() as session:
        found = await session.scalars(
            select(Notification)
            .where(Notification.kind == NotificationKind.QA_QUESTION_REMINDER)
            .order_by(Notification.id)
        )
        return found.all()


async def last_reminded(app: FastAPI, question_id: int) -> datetime | None:
    async with app.state.runtime.sessionmaker() as session:
        return await session.scalar(
            select(Question.last_reminded_at).where(Question.id == question_id)
        )


def routed(scene: Scene) -> list[tuple[str, int]]:
    """The first round's reminders: the branch's current instructors, then the assignee."""
    return [
        (f"question:{scene.waiting}", scene.instructor_1.member.id),
        (f"question:{scene.waiting}", scene.instructor_2.member.id),
        (f"question:{scene.assigned}", scene.assignee.member.id),
    ]


async def test_after_24_hours_the_routed_members_are_reminded_once(
    app: FastAPI, scene: Scene
) -> None:
    assert await run(app, T0 + timedelta(hours=23, minutes=59, seconds=59)) == 0
    assert await reminded(app) == []

    day = T0 + timedelta(hours=24)
    assert await run(app, day) == 2
    # The branch's two current instructors (not the one who left); the reassigned
    # question's assignee alone.
    assert await reminded(app) == routed(scene)
    assert await last_reminded(app, scene.waiting) == day
    assert await last_reminded(app, scene.young) is None

    # Again at once, and the hour after: nothing new but the younger question, due now.
    assert await run(app, day) == 0
    assert await run(app, day + timedelta(hours=1)) == 1
    assert await reminded(app) == [
        *routed(scene),
        (f"question:{scene.young}", scene.instructor_1.member.id),
        (f"question:{scene.young}", scene.instructor_2.member.id),
    ]


async def test_what_a_reminder_says(app: FastAPI, scene: Scene) -> None:
    await run(app, T0 + timedelta(hours=24))
    first = (await reminders(app))[0]
    assert first.subject == f"question:{scene.waiting}"
    assert (first.title, first.body, first.page) == (
        "待回答提醒：党费怎么交",
        "该提问已超过24小时未回答，请尽快回复",
        f"pages/qa/detail?id={scene.waiting}",
    )
    assert first.org_id == scene.world.branch_a1.id
    assert first.data == {
        "question_title": "党费怎么交",
        "category_name": "党费",
        "asked_at": "2025-06-01T10:00:00+08:00",
        "status": "待回答",
    }
    # Exactly the values the catalogue lists for the kind, and the asker in none of them.
    assert set(first.data) == set(KIND_VALUES[NotificationKind.QA_QUESTION_REMINDER])
    assert "王提问" not in f"{first.title}{first.body}{first.data}"


async def test_the_next_reminder_comes_24_hours_after_the_last(app: FastAPI, scene: Scene) -> None:
    # The first round ran late, 30 h after asking: the next is due 24 h after it, not at 48 h.
    late = T0 + timedelta(hours=30)
    assert await run(app, late) == 3
    assert await run(app, T0 + timedelta(hours=48)) == 0
    assert await run(app, late + timedelta(hours=23, minutes=59)) == 0
    assert await run(app, late + timedelta(hours=24)) == 3
    by_question = [n for n in await reminders(app) if n.subject == f"question:{scene.waiting}"]
    assert [(n.source, n.body, n.created_at) for n in by_question] == [
        (
            f"qa_question_reminder:{scene.waiting}:1",
            "该提问已超过24小时未回答，请尽快回复",
            late,
        ),
        (
            f"qa_question_reminder:{scene.waiting}:2",
            "该提问已超过48小时未回答，请尽快回复",
            late + timedelta(hours=24),
        ),
    ]


async def test_an_answer_or_a_closing_ends_the_reminders(app: FastAPI, scene: Scene) -> None:
    day = T0 + timedelta(hours=24)
    await run(app, day)
    async with app.state.runtime.sessionmaker.begin() as session:
        await session.execute(
            update(Question)
            .where(Question.id == scene.waiting)
            .values(status=QuestionStatus.ANSWERED, first_answered_at=day + timedelta(hours=1))
        )
        await session.execute(
            update(Question)
            .where(Question.id == scene.assigned)
            .values(status=QuestionStatus.CLOSED, closed_at=day + timedelta(hours=1))
        )
    assert await run(app, day + timedelta(days=2)) == 1  # the younger one alone
    assert {subject for subject, _ in await reminded(app)} == {
        f"question:{scene.waiting}",
        f"question:{scene.assigned}",
        f"question:{scene.young}",
    }
    assert len(await reminders(app)) == 3


async def test_the_worker_runs_the_reminder_into_the_inbox(
    app: FastAPI, client: httpx.AsyncClient, scene: Scene, clock: FrozenClock
) -> None:
    registry = registry_of(app)
    assert "qa.remind_unanswered" in registry.jobs
    runtime = app.state.runtime
    worker = Worker(runtime.sessionmaker, registry, runtime.settings, clock)
    clock.advance(hours=24)
    await worker.tick()
    inbox = await client.get("/api/v1/me/inbox", headers=scene.instructor_2.headers)
    assert inbox.status_code == 200, inbox.text
    newest = inbox.json()["items"][0]
    assert (newest["kind"], newest["title"], newest["subject"]) == (
        "qa_question_reminder",
        "待回答提醒：党费怎么交",
        f"question:{scene.waiting}",
    )
    assert newest["data"]["status"] == "待回答"
    await worker.tick()  # a second round: nothing more
    again = await client.get("/api/v1/me/inbox", headers=scene.instructor_2.headers)
    assert len(again.json()["items"]) == len(inbox.json()["items"])


@pytest.mark.postgres_only
async def test_a_run_beside_an_uncommitted_one_takes_nothing(app: FastAPI, scene: Scene) -> None:
    """The second run skips the questions the first holds, and once the first has committed
    they are no longer due: one reminder per member, the first run's time kept."""
    first_at = T0 + timedelta(hours=24)
    sessionmaker = app.state.runtime.sessionmaker
    settings = app.state.runtime.settings
    async with sessionmaker.begin() as session:
        assert await remind_unanswered(session, settings, first_at) == 2
        # Waiting on the first's locks instead would time out here.
        assert await asyncio.wait_for(run(app, first_at + timedelta(minutes=1)), 5) == 0
    assert await run(app, first_at + timedelta(minutes=2)) == 0
    assert await reminded(app) == routed(scene)
    assert await last_reminded(app, scene.waiting) == first_at


@pytest.mark.postgres_only
async def test_runs_at_once_send_one_reminder_per_member(app: FastAPI, scene: Scene) -> None:
    at = T0 + timedelta(hours=24)
    counts = await asyncio.gather(*(run(app, at + timedelta(seconds=n)) for n in range(4)))
    assert sum(counts) == 2  # each question taken by one run
    assert sorted(await reminded(app)) == sorted(routed(scene))
    assert len(await reminders(app)) == 2
