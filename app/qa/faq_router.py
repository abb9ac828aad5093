"""The FAQ: publishing a question with its accepted answer, reading, editing, withdrawing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from app.auth.dependencies import CurrentPrincipal, Requires
from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit.pagination import Page, PageParams, paginate
from app.kit.types import IdPath, IdQuery
from app.orgs.errors import OrgNotFound
from app.qa import faq as service
from app.qa.faq_errors import (
    AlreadyInFaq,
    CategoryNotFound,
    FaqNotFound,
    NoAcceptedAnswer,
    QuestionNotFound,
)
from app.qa.faq_schemas import FaqPublish, FaqRead, FaqUpdate
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/qa", tags=["qa"])

# Instructors and committee admins: they answer questions and publish them to the FAQ.
QaAnswerer = Annotated[Principal, Depends(Requires(Permission.QA_ANSWER))]


@router.post(
    "/questions/{question_id}/faq",
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        QuestionNotFound, OrgNotFound, CategoryNotFound, NoAcceptedAnswer, AlreadyInFaq
    ),
)
async def publish_to_faq(
    question_id: IdPath,
    body: FaqPublish,
    caller: QaAnswerer,
    session: DbSession,
    runtime: RuntimeDep,
) -> FaqRead:
    """Publish a question and its accepted answer to the FAQ of an organization's subtree.

    The question must be routed to or asked from the caller's qa:answer scope, and
    ``org_id`` must lie in it (else 404). Texts left out come from the question and its
    accepted answer; the asker's name, wherever it appears in them, becomes 某党员. 409
    ``qa.no_accepted_answer`` without an accepted answer, ``qa.already_in_faq`` when the
    question is in that organization's FAQ already (withdraw it first)."""
    return await service.publish(
        session,
        caller.scope(Permission.QA_ANSWER),
        question_id,
        body,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )


@router.get("/faq", responses=responses(OrgNotFound))
async def list_faq(
    caller: CurrentPrincipal,
    session: ReadSession,
    page: PageParams,
    org_id: IdQuery = None,
    category_id: IdQuery = None,
) -> Page[FaqRead]:
    """The FAQ entries the caller sees, newest first.

    A member sees the entries of every organization above their relation and their
    workplace (each its own ancestor); instructors and committee admins also those of their
    qa:answer scope. ``org_id``: only the entries published to that organization's subtree
    (one the caller belongs under or manages, else 404); ``category_id``: of one category."""
    viewer = await service.viewer_of(session, caller)
    found = await service.list_visible(
        session,
        viewer,
        org_id=org_id,
        category_id=category_id,
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(FaqRead, found, page)


@router.get("/faq/{faq_id}", responses=responses(FaqNotFound))
async def get_faq_entry(faq_id: IdPath, caller: CurrentPrincipal, session: ReadSession) -> FaqRead:
    """One FAQ entry the caller sees (404 for any other, and for a withdrawn one)."""
    viewer = await service.viewer_of(session, caller)
    return await service.get_visible(session, viewer, faq_id)


@router.patch("/faq/{faq_id}", responses=responses(FaqNotFound, CategoryNotFound))
async def update_faq_entry(
    faq_id: IdPath, body: FaqUpdate, caller: QaAnswerer, session: DbSession, runtime: RuntimeDep
) -> FaqRead:
    """Edit an entry of the caller's qa:answer scope: its title, texts or category. Search
    finds it by its new words from the same transaction on."""
    return await service.update(
        session, caller.scope(Permission.QA_ANSWER), faq_id, body, now=runtime.clock.now()
    )


@router.delete(
    "/faq/{faq_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(FaqNotFound)
)
async def withdraw_faq_entry(
    faq_id: IdPath, caller: QaAnswerer, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Withdraw an entry of the caller's qa:answer scope: it leaves every list and search
    (the row is kept, with its withdrawal time). Withdrawing it again is 404."""
    await service.withdraw(
        session, caller.scope(Permission.QA_ANSWER), faq_id, now=runtime.clock.now()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
