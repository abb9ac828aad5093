"""Questions and their threads (党员问答). Who sees a question and may act on it is written
once, in app/qa/access.py; what moderation does with a text, in app/qa/moderation.py.

A route that writes a member's text reads first (may the caller do this at all?), then asks
the content check (a network call), and only then begins its writer: no WeChat call is made
inside a transaction, nor for a request that would be refused anyway."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, status

from app.auth.dependencies import CurrentMember, CurrentPrincipal, QaAnswerer
from app.db import DbSession, ReadSession
from app.errors import TooManyRequests, responses
from app.idempotency.route import IdempotentRoute
from app.kit.net import client_ip
from app.kit.pagination import Page, PageParams, paginate
from app.kit.types import IdPath
from app.kit.validation import Lax
from app.orgs.errors import OrgNotFound
from app.qa import moderation, service, thread
from app.qa.errors import (
    AlreadyAccepted,
    AssigneeNotFound,
    CategoryNotFound,
    ContentRisky,
    MessageNotFound,
    NoOrganization,
    NotRoutedToYou,
    NotTheAsker,
    QuestionNotFound,
    QuestionNotOpen,
    ReassignTarget,
)
from app.qa.schemas import (
    AnswerCreate,
    FollowUpCreate,
    MessageRead,
    QuestionCreate,
    QuestionDetail,
    QuestionRead,
    QueueStatus,
    Reassign,
)
from app.qa.service import QuestionView
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/qa", tags=["qa"])

QUESTION = "/questions/{question_id}"


def _detail(view: QuestionView) -> QuestionDetail:
    return QuestionDetail.model_validate(view, from_attributes=True)


@router.post(
    "/questions",
    status_code=status.HTTP_201_CREATED,
    responses=responses(NoOrganization, CategoryNotFound, ContentRisky, TooManyRequests),
)
async def ask(
    body: QuestionCreate,
    request: Request,
    caller: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> QuestionDetail:
    """Ask from the caller's relation organization (else workplace): routed to the nearest
    instructors up the tree, else the nearest committee's admins. On the content check's
    pass it is open and they are told; on review it is held (审核中, to the asker only);
    risky is refused (``content.risky``) and nothing is written. At most
    ``rate_limit_question`` per member (429 with Retry-After beyond)."""
    settings = runtime.settings
    await runtime.limiter.check(settings.rate_limit_question, "qa-question", str(caller.member_id))
    await runtime.limiter.check(
        settings.rate_limit_question_per_ip,
        "qa-question-ip",
        client_ip(request, trust_forwarded_for=settings.trust_forwarded_for),
    )
    async with runtime.read_sessionmaker() as read:
        asking = await service.asking(read, caller.member_id, body.category_id)
    verdict = await moderation.check(
        runtime.content_check,
        body.body,
        openid=asking.openid,
        scene=moderation.QUESTION_SCENE,
        title=body.title,
    )
    view = await service.ask(
        session,
        settings,
        member_id=caller.member_id,
        found=asking,
        body=body,
        verdict=verdict,
        now=runtime.clock.now(),
    )
    return _detail(view)


@router.get("/questions/mine")
async def my_questions(
    caller: CurrentMember, session: ReadSession, page: PageParams
) -> Page[QuestionRead]:
    """The caller's own questions in every state (审核中 while held), newest first."""
    found = await service.mine(session, caller.member_id, after_id=page.after, limit=page.size + 1)
    return paginate(QuestionRead, found, page)


@router.get("/questions/routed")
async def routed_questions(
    caller: QaAnswerer,
    session: ReadSession,
    page: PageParams,
    status: Annotated[QueueStatus, Lax] | None = None,
) -> Page[QuestionRead]:
    """The caller's queue, oldest first: questions assigned to them and those routed to an
    organization of their ``qa:answer`` scope, with their askers (anonymous ones too);
    ``status``: only open, answered or closed ones. Held and rejected questions are in no
    queue (reviewers see them in /qa/reviews)."""
    found = await service.routed(
        session, caller, status=status, after_id=page.after, limit=page.size + 1
    )
    return paginate(QuestionRead, found, page)


@router.get(QUESTION, responses=responses(QuestionNotFound))
async def get_question(
    question_id: IdPath, caller: CurrentPrincipal, session: ReadSession
) -> QuestionDetail:
    """The question and its thread, for its asker, staff whose ``qa:answer`` scope holds
    the organization it was asked from or routed to, and members the committee lets
    answer. The asker of an anonymous question is shown to its asker and to staff only."""
    return _detail(await service.detail(session, caller, question_id))


@router.post(
    f"{QUESTION}/answers",
    status_code=status.HTTP_201_CREATED,
    responses=responses(QuestionNotFound, NotRoutedToYou, QuestionNotOpen, ContentRisky),
)
async def post_answer(
    question_id: IdPath,
    body: AnswerCreate,
    caller: CurrentPrincipal,
    session: DbSession,
    runtime: RuntimeDep,
) -> MessageRead:
    """Answer an open or answered question routed to the caller (its assignee, staff whose
    ``qa:answer`` scope holds where it is routed) or, where the committee allows it, as a
    member of its subtree; 403 ``qa.not_routed_to_you`` to others who see it. Moderated as
    a question is; a visible answer tells the asker, and the first one answers the question."""
    async with runtime.read_sessionmaker() as read:
        await thread.answerable(read, caller, question_id)
        openid = await service.openid_of(read, caller.account_id)
    verdict = await moderation.check(
        runtime.content_check, body.body, openid=openid, scene=moderation.ANSWER_SCENE
    )
    view = await thread.answer(
        session, runtime.settings, caller, question_id, body.body, verdict, now=runtime.clock.now()
    )
    return MessageRead.model_validate(view, from_attributes=True)


@router.post(
    f"{QUESTION}/follow-ups",
    status_code=status.HTTP_201_CREATED,
    responses=responses(QuestionNotFound, NotTheAsker, QuestionNotOpen, ContentRisky),
)
async def post_follow_up(
    question_id: IdPath,
    body: FollowUpCreate,
    caller: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> MessageRead:
    """The asker asks further on an open or answered question; moderated, and once
    visible its routed members are told (有追问)."""
    async with runtime.read_sessionmaker() as read:
        await thread.followable(read, caller, question_id)
        openid = await service.openid_of(read, caller.account_id)
    verdict = await moderation.check(
        runtime.content_check, body.body, openid=openid, scene=moderation.FOLLOW_UP_SCENE
    )
    view = await thread.follow_up(
        session, runtime.settings, caller, question_id, body.body, verdict, now=runtime.clock.now()
    )
    return MessageRead.model_validate(view, from_attributes=True)


@router.post(
    f"{QUESTION}/answers/{{message_id}}/accept",
    responses=responses(QuestionNotFound, NotTheAsker, MessageNotFound, AlreadyAccepted),
)
async def accept_answer(
    question_id: IdPath,
    message_id: IdPath,
    caller: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> QuestionDetail:
    """The asker accepts one visible answer: the question is closed (resolved) and the
    answer's author earns the points of ``answer_accepted``. One per question: a second
    accept, at once or later, is 409 ``qa.already_accepted``."""
    view = await thread.accept(session, caller, question_id, message_id, now=runtime.clock.now())
    return _detail(view)


@router.post(
    f"{QUESTION}/close",
    responses=responses(QuestionNotFound, NotRoutedToYou, QuestionNotOpen),
)
async def close_question(
    question_id: IdPath, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> QuestionDetail:
    """Close an open or answered question: by its asker, or by someone it is routed to."""
    view = await thread.close(session, caller, question_id, now=runtime.clock.now())
    return _detail(view)


@router.post(
    f"{QUESTION}/reassign",
    responses=responses(
        QuestionNotFound,
        NotRoutedToYou,
        QuestionNotOpen,
        ReassignTarget,
        AssigneeNotFound,
        OrgNotFound,
    ),
)
async def reassign_question(
    question_id: IdPath,
    body: Reassign,
    caller: QaAnswerer,
    session: DbSession,
    runtime: RuntimeDep,
) -> QuestionDetail:
    """Pass a question routed to the caller to an instructor (``member_id``: one holding
    the instructor role above the question's organization or in the caller's scope) or to
    an organization (``org_id``, above the question's or in the caller's scope: routed as
    a question asked there), with a reason. Recorded; the new routed members are told."""
    view = await thread.reassign(
        session, runtime.settings, caller, question_id, body, now=runtime.clock.now()
    )
    return _detail(view)
