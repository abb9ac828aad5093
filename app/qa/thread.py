"""Writing a question's thread: answers, the asker's follow-ups, accepting an answer,
closing, reassigning. Who may do which is app/qa/access.py's.

Accepting an answer closes the question (it is resolved: no more reminders, follow-ups or
answers) and earns its author the points of ``answer_accepted``; a question has one accepted
answer, the partial unique index ``uq_qa_messages_accepted`` deciding two accepts at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission
from app.auth.scope import Principal, Scope
from app.config import Settings
from app.integrations.content_check import Verdict
from app.models import (
    Member,
    MessageKind,
    Organization,
    OrgClosure,
    PointKind,
    QaAssignment,
    QaMessage,
    QuestionStatus,
    ReviewSubject,
    Role,
    RoleAssignment,
    Visibility,
)
from app.orgs.errors import OrgNotFound
from app.points import ledger
from app.qa import effects, moderation, search
from app.qa.access import Access, access
from app.qa.errors import (
    AlreadyAccepted,
    AssigneeNotFound,
    MessageNotFound,
    NotRoutedToYou,
    NotTheAsker,
    ReassignTarget,
)
from app.qa.routing import route_for
from app.qa.schemas import Reassign
from app.qa.service import MessageView, PersonView, QuestionView, thread_view


async def answerable(session: AsyncSession, caller: Principal, question_id: int) -> Access:
    """The question, when the caller may answer it now (404, 403, 409 otherwise)."""
    found = await access(session, caller, question_id)
    found.check_may_answer()
    return found


async def followable(session: AsyncSession, caller: Principal, question_id: int) -> Access:
    """The question, when the caller asked it and it is still open to follow-ups."""
    found = await access(session, caller, question_id)
    if not found.asker:
        raise NotTheAsker()
    found.check_active()
    return found


async def _author(session: AsyncSession, caller: Principal) -> PersonView | None:
    if caller.member_id is None:
        return None
    name = await session.scalar(select(Member.name).where(Member.id == caller.member_id))
    return PersonView(caller.member_id, name or "")


async def _write(
    session: AsyncSession,
    caller: Principal,
    found: Access,
    kind: MessageKind,
    body: str,
    verdict: Verdict,
    now: datetime,
) -> QaMessage:
    message = QaMessage(
        question_id=found.question.id,
        kind=kind,
        author_member_id=caller.member_id,
        author_account_id=caller.account_id,
        body=body,
        visibility=moderation.visibility(verdict),
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    await session.flush()
    await moderation.record(session, ReviewSubject.MESSAGE, message.id, verdict, now=now)
    return message


async def answer(
    session: AsyncSession,
    settings: Settings,
    caller: Principal,
    question_id: int,
    body: str,
    verdict: Verdict,
    *,
    now: datetime,
) -> MessageView:
    """An answer: shown at once on pass (the asker told, the first one answering the
    question), else held for review."""
    found = await answerable(session, caller, question_id)
    message = await _write(session, caller, found, MessageKind.ANSWER, body, verdict, now)
    if not moderation.held(verdict):
        await effects.answer_shown(
            session, settings, found.question, found.category_name, message, now=now
        )
    return MessageView(message, await _author(session, caller))


async def follow_up(
    session: AsyncSession,
    settings: Settings,
    caller: Principal,
    question_id: int,
    body: str,
    verdict: Verdict,
    *,
    now: datetime,
) -> MessageView:
    """The asker's further question: its routed members told on pass."""
    found = await followable(session, caller, question_id)
    message = await _write(session, caller, found, MessageKind.FOLLOW_UP, body, verdict, now)
    if not moderation.held(verdict):
        await effects.follow_up_shown(
            session, settings, found.question, found.category_name, message, now=now
        )
    return MessageView(message, await _author(session, caller))


async def accept(
    session: AsyncSession, caller: Principal, question_id: int, message_id: int, *, now: datetime
) -> QuestionView:
    found = await access(session, caller, question_id)
    if not found.asker:
        raise NotTheAsker()
    question = found.question
    chosen = await session.scalar(
        select(QaMessage).where(
            QaMessage.id == message_id,
            QaMessage.question_id == question.id,
            QaMessage.kind == MessageKind.ANSWER,
            QaMessage.visibility == Visibility.VISIBLE,
        )
    )
    if chosen is None:
        raise MessageNotFound()
    accepted = await session.scalar(
        select(QaMessage.id).where(
            QaMessage.question_id == question.id, QaMessage.accepted_at.is_not(None)
        )
    )
    if accepted is not None:
        raise AlreadyAccepted(details={"accepted_message_id": accepted})
    try:
        # Two accepts at once both find none accepted; the unique index lets one through
        # (on PostgreSQL the second waits for the first to commit, then fails).
        await session.execute(
            update(QaMessage)
            .where(QaMessage.id == chosen.id)
            .values(accepted_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    except IntegrityError as exc:
        raise AlreadyAccepted() from exc
    await session.refresh(chosen, ["accepted_at", "updated_at"])
    question.status = QuestionStatus.CLOSED
    question.closed_at = question.closed_at or now
    question.updated_at = now
    await session.flush()
    if chosen.author_member_id is not None:
        await ledger.award(
            await session.connection(),
            member_id=chosen.author_member_id,
            kind=PointKind.ANSWER_ACCEPTED,
            source=f"answer:{chosen.id}",
            now=now,
        )
    return await thread_view(session, found, caller)


async def close(
    session: AsyncSession, caller: Principal, question_id: int, *, now: datetime
) -> QuestionView:
    """Closed by its asker, or by someone it is routed to."""
    found = await access(session, caller, question_id)
    if not (found.asker or found.routed):
        raise NotRoutedToYou()
    found.check_active()
    question = found.question
    question.status = QuestionStatus.CLOSED
    question.closed_at = now
    question.updated_at = now
    await session.flush()
    return await thread_view(session, found, caller)


def _above(org_id: int) -> Select[int]:
    return select(OrgClosure.ancestor_id).where(OrgClosure.descendant_id == org_id)


async def _instructor_org(session: AsyncSession, scope: Scope, anchor: int, member_id: int) -> int:
    """Where the instructor ``member_id`` takes the question: the nearest organization
    above the question's on which they are an instructor, else one in the caller's scope."""
    above = RoleAssignment.org_id.in_(_above(anchor))
    org_id = await session.scalar(
        select(RoleAssignment.org_id)
        .join(Member, Member.id == RoleAssignment.member_id)
        .join(Organization, Organization.id == RoleAssignment.org_id)
        .where(
            RoleAssignment.member_id == member_id,
            RoleAssignment.role == Role.INSTRUCTOR,
            Member.current(),
            or_(above, scope.covers(RoleAssignment.org_id)),
        )
        .order_by(above.desc(), Organization.depth.desc(), RoleAssignment.org_id)
        .limit(1)
    )
    if org_id is None:
        raise AssigneeNotFound()
    return org_id


async def _check_target_org(session: AsyncSession, scope: Scope, anchor: int, org_id: int) -> None:
    """An organization above the question's (passing it up), or one in the caller's scope."""
    found = await session.scalar(
        select(Organization.id).where(
            Organization.id == org_id,
            or_(Organization.id.in_(_above(anchor)), scope.covers(Organization.id)),
        )
    )
    if found is None:
        raise OrgNotFound()


async def reassign(
    session: AsyncSession,
    settings: Settings,
    caller: Principal,
    question_id: int,
    body: Reassign,
    *,
    now: datetime,
) -> QuestionView:
    """Pass the question to one instructor, or to an organization (routed as a question
    asked there: its instructors, else its committee's admins); recorded with its reason,
    found by search where it now is, its new routed members told (转交给您)."""
    if (body.member_id is None) == (body.org_id is None):
        raise ReassignTarget()
    found = await access(session, caller, question_id)
    found.check_routed()
    found.check_active()
    question = found.question
    scope = caller.scope(Permission.QA_ANSWER)
    if body.member_id is not None:
        question.routed_org_id = await _instructor_org(
            session, scope, question.org_id, body.member_id
        )
        question.routed_role = Role.INSTRUCTOR
        question.assignee_member_id = body.member_id
    else:
        assert body.org_id is not None
        await _check_target_org(session, scope, question.org_id, body.org_id)
        route = await route_for(session, body.org_id)
        question.routed_org_id = route.org_id
        question.routed_role = route.role
        question.assignee_member_id = None
    question.updated_at = now
    assignment = QaAssignment(
        question_id=question.id,
        routed_org_id=question.routed_org_id,
        routed_role=question.routed_role,
        assignee_member_id=question.assignee_member_id,
        reason=body.reason,
        assigned_by_account_id=caller.account_id,
        created_at=now,
    )
    session.add(assignment)
    await session.flush()
    await search.index_question(session, question)
    await effects.notify_routed(
        session,
        settings,
        question,
        found.category_name,
        status=effects.REASSIGNED,
        source=f"qa_assignment:{assignment.id}",
        now=now,
    )
    return await thread_view(session, found, caller)
