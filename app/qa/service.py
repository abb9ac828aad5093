"""Asking a question and reading questions: the asker's own, a staff member's queue, one
question with its thread. Who sees what is app/qa/access.py's; the thread's writes are
app/qa/thread.py's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.config import Settings
from app.integrations.content_check import Verdict
from app.models import (
    Account,
    Member,
    MessageKind,
    QaAssignment,
    QaCategory,
    QaMessage,
    Question,
    QuestionStatus,
    ReviewSubject,
    Visibility,
)
from app.qa import categories, effects, moderation
from app.qa.access import PUBLIC, Access, access
from app.qa.errors import CategoryNotFound, NoOrganization
from app.qa.routing import route_for
from app.qa.schemas import STATUS_LABELS, VISIBILITY_LABELS, QuestionCreate, QueueStatus


@dataclass(frozen=True)
class PersonView:
    member_id: int
    name: str


@dataclass(frozen=True)
class MessageView:
    message: QaMessage
    author: PersonView | None

    def __getattr__(self, name: str) -> Any:  # the message's own columns
        return getattr(self.message, name)

    @property
    def visibility_label(self) -> str:
        return VISIBILITY_LABELS[self.message.visibility]


@dataclass(frozen=True)
class QuestionView:
    question: Question
    category_name: str
    asker: PersonView | None  # None: hidden from the caller (anonymous)
    accepted_message_id: int | None
    messages: list[MessageView] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:  # the question's own columns
        return getattr(self.question, name)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.question.status]


# --- asking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asking:
    anchor_org_id: int  # the asker's relation, else workplace
    category_name: str
    asker_name: str
    openid: str | None  # for WeChat's content check


async def asking(session: AsyncSession, member_id: int, category_id: int) -> Asking:
    """Where the caller's question would be asked from, and its category, in one read before
    the content check: the writer takes it as read (its foreign keys hold the rest)."""
    anchor = func.coalesce(Member.relation_org_id, Member.workplace_org_id)
    row = (
        await session.execute(
            select(
                anchor.label("anchor"),
                Member.departed_at,
                Member.name,
                Account.openid,
                categories.name_for_question_at(category_id, anchor).label("category"),
            )
            .outerjoin(Account, Account.id == Member.account_id)
            .where(Member.id == member_id)
        )
    ).first()
    if row is None or row.anchor is None or row.departed_at is not None:
        raise NoOrganization()
    if row.category is None:
        raise CategoryNotFound()
    return Asking(int(row.anchor), row.category, row.name, row.openid)


async def anchor_of(session: AsyncSession, member_id: int) -> int | None:
    """Where a current member asks from: their relation organization, else workplace."""
    anchor: int | None = await session.scalar(
        select(func.coalesce(Member.relation_org_id, Member.workplace_org_id)).where(
            Member.id == member_id, Member.current()
        )
    )
    return anchor


async def openid_of(session: AsyncSession, account_id: int) -> str | None:
    openid: str | None = await session.scalar(
        select(Account.openid).where(Account.id == account_id)
    )
    return openid


async def ask(
    session: AsyncSession,
    settings: Settings,
    *,
    member_id: int,
    found: Asking,
    body: QuestionCreate,
    verdict: Verdict,
    now: datetime,
) -> QuestionView:
    """The question ``asking`` found the place of, routed (``routing.route_for``) with its
    first assignment row; open and its routed members told on pass, else held for review."""
    route = await route_for(session, found.anchor_org_id)
    question = Question(
        asker_member_id=member_id,
        org_id=found.anchor_org_id,
        category_id=body.category_id,
        title=body.title,
        body=body.body,
        anonymous=body.anonymous,
        status=QuestionStatus.PENDING_REVIEW if moderation.held(verdict) else QuestionStatus.OPEN,
        routed_org_id=route.org_id,
        routed_role=route.role,
        created_at=now,
        updated_at=now,
    )
    session.add(question)
    await session.flush()
    session.add(
        QaAssignment(
            question_id=question.id,
            routed_org_id=route.org_id,
            routed_role=route.role,
            created_at=now,
        )
    )
    await moderation.record(session, ReviewSubject.QUESTION, question.id, verdict, now=now)
    if not moderation.held(verdict):
        await effects.question_opened(session, settings, question, found.category_name, now=now)
    asker = PersonView(member_id, found.asker_name)
    return QuestionView(question, found.category_name, asker, None)


# --- reading ------------------------------------------------------------------------------


def _listing() -> Select[Any]:
    accepted = (
        select(QaMessage.id)
        .where(QaMessage.question_id == Question.id, QaMessage.accepted_at.is_not(None))
        .scalar_subquery()
    )
    return (
        select(Question, QaCategory.name, Member.name, accepted)
        .join(QaCategory, QaCategory.id == Question.category_id)
        .join(Member, Member.id == Question.asker_member_id)
    )


async def _views(session: AsyncSession, query: Select[Any]) -> list[QuestionView]:
    """Rows of ``_listing``, each with its asker: lists are their asker's or staff's."""
    return [
        QuestionView(question, category, PersonView(question.asker_member_id, asker), accepted)
        for question, category, asker, accepted in (await session.execute(query)).all()
    ]


async def mine(
    session: AsyncSession, member_id: int, *, after_id: int | None, limit: int
) -> list[QuestionView]:
    """The member's own questions in every state, newest first."""
    query = _listing().where(Question.asker_member_id == member_id)
    if after_id is not None:
        query = query.where(Question.id < after_id)
    return await _views(session, query.order_by(Question.id.desc()).limit(limit))


async def routed(
    session: AsyncSession,
    caller: Principal,
    *,
    status: QueueStatus | None,
    after_id: int | None,
    limit: int,
) -> list[QuestionView]:
    """The caller's queue, oldest first: the public questions assigned to them, and those
    routed to an organization of their ``qa:answer`` scope (its instructors', and those
    passed up to a committee they administer)."""
    reached = caller.scope(Permission.QA_ANSWER).covers(Question.routed_org_id)
    if caller.member_id is not None:
        reached = or_(reached, Question.assignee_member_id == caller.member_id)
    statuses = [QuestionStatus(status.value)] if status is not None else sorted(PUBLIC)
    query = _listing().where(reached, Question.status.in_(statuses))
    if after_id is not None:
        query = query.where(Question.id > after_id)
    return await _views(session, query.order_by(Question.id).limit(limit))


async def _names(session: AsyncSession, member_ids: Sequence[int]) -> dict[int, str]:
    rows = await session.execute(select(Member.id, Member.name).where(Member.id.in_(member_ids)))
    return dict(rows.all())


async def thread_view(session: AsyncSession, found: Access, caller: Principal) -> QuestionView:
    """The question as ``found`` lets the caller see it, with the visible messages and the
    caller's own held or rejected ones (审核中 / 未通过审核)."""
    question = found.question
    shown = QaMessage.visibility == Visibility.VISIBLE
    if caller.member_id is not None:
        shown = or_(shown, QaMessage.author_member_id == caller.member_id)
    messages = (
        await session.scalars(
            select(QaMessage)
            .where(QaMessage.question_id == question.id, shown)
            .order_by(QaMessage.id)
        )
    ).all()
    people = {m.author_member_id for m in messages if m.author_member_id is not None}
    names = await _names(session, sorted({*people, question.asker_member_id}))

    def person(member_id: int | None, is_asker: bool) -> PersonView | None:
        if member_id is None or (is_asker and not found.sees_asker):
            return None
        return PersonView(member_id, names.get(member_id, ""))

    thread = [
        MessageView(m, person(m.author_member_id, m.kind is MessageKind.FOLLOW_UP))
        for m in messages
    ]
    accepted = next((m.id for m in messages if m.accepted_at is not None), None)
    return QuestionView(
        question,
        found.category_name,
        person(question.asker_member_id, True),
        accepted,
        thread,
    )


async def detail(session: AsyncSession, caller: Principal, question_id: int) -> QuestionView:
    return await thread_view(session, await access(session, caller, question_id), caller)
