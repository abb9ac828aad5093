"""What a committee decides for Q&A in its subtree: its categories, and whether plain
members may answer its questions."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.auth.dependencies import CurrentPrincipal, QaManager
from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit.types import IdPath, IdQuery
from app.orgs.errors import OrgNotFound
from app.qa import categories, service
from app.qa import settings as qa_settings
from app.qa.errors import CategoryExists, CommitteeNotFound
from app.qa.schemas import CategoryCreate, CategoryRead, QaSettingsRead, QaSettingsWrite
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/qa", tags=["qa settings"])


@router.get("/categories", responses=responses(OrgNotFound))
async def list_categories(
    caller: CurrentPrincipal, session: ReadSession, org_id: IdQuery = None
) -> list[CategoryRead]:
    """The categories a question asked from ``org_id`` may take: everyone's, then those of
    the committees at or above it from the top down. Without ``org_id``: where the caller
    asks from (their relation, else workplace). ``org_id`` is one of the caller's own
    organizations or one above them, or one in their Q&A scope."""
    if org_id is not None:
        await categories.check_reachable(session, caller, org_id)
    elif caller.member_id is not None:
        org_id = await service.anchor_of(session, caller.member_id)
    found = await categories.open_at(session, org_id)
    return [CategoryRead.model_validate(c) for c in found]


@router.post(
    "/categories",
    status_code=status.HTTP_201_CREATED,
    responses=responses(CommitteeNotFound, CategoryExists),
)
async def create_category(
    body: CategoryCreate, caller: QaManager, session: DbSession, runtime: RuntimeDep
) -> CategoryRead:
    """A category for the questions of a committee's subtree, after its others; a name
    already open there (everyone's, the committee's, one above) is 409."""
    category = await categories.create(
        session,
        caller.scope(Permission.QA_MANAGE),
        body.org_id,
        body.name,
        now=runtime.clock.now(),
    )
    return CategoryRead.model_validate(category)


@router.get("/settings/{org_id}", responses=responses(CommitteeNotFound))
async def get_qa_settings(
    org_id: IdPath, caller: QaManager, session: ReadSession
) -> QaSettingsRead:
    """What holds for a committee's subtree (may plain members answer), and who set it."""
    found = await qa_settings.effective(session, caller.scope(Permission.QA_MANAGE), org_id)
    return QaSettingsRead.model_validate(found)


@router.put("/settings/{org_id}", responses=responses(CommitteeNotFound))
async def set_qa_settings(
    org_id: IdPath,
    body: QaSettingsWrite,
    caller: QaManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> QaSettingsRead:
    """Let plain members of a committee's subtree answer its questions, or not (the
    nearest committee up the tree that set a value wins), or null to inherit again."""
    found = await qa_settings.save(
        session,
        caller.scope(Permission.QA_MANAGE),
        org_id,
        body.members_may_answer,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return QaSettingsRead.model_validate(found)
