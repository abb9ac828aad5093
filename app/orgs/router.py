from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import CurrentPrincipal, OrgsReader, OrgsWriter
from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import Forbidden, responses
from app.idempotency.route import IdempotentRoute
from app.kit.pagination import Page, PageParams, paginate
from app.kit.types import IdPath, IdQuery
from app.kit.validation import SearchText
from app.models.orgs import OrgKind
from app.observability import request_id_var
from app.orgs import service
from app.orgs.errors import (
    CreditCodeTaken,
    InvalidParent,
    OrgCycle,
    OrgHasChildren,
    OrgHasMembers,
    OrgNotFound,
    RatingOverCap,
    SocialFieldsNotApplicable,
    SocialFieldsRequired,
)
from app.orgs.schemas import OrgCreate, OrgRead, OrgTree, OrgTreeNode, OrgUpdate
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/orgs", tags=["orgs"])

_SOCIAL_FIELD_ERRORS = (SocialFieldsRequired, SocialFieldsNotApplicable, CreditCodeTaken)


@router.get("")
async def list_orgs(
    caller: OrgsReader,
    session: ReadSession,
    page: PageParams,
    parent_id: IdQuery = None,
    kind: OrgKind | None = None,
    q: Annotated[SearchText | None, Query(description="Name contains")] = None,
) -> Page[OrgRead]:
    """Organizations in the caller's subtrees, filtered by parent, kind or name."""
    orgs = await service.list_in_scope(
        session,
        caller.scope(Permission.ORGS_READ),
        parent_id=parent_id,
        kind=kind,
        name_contains=q,
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(OrgRead, orgs, page)


@router.get("/tree", responses=responses(OrgNotFound))
async def org_tree(
    caller: OrgsReader,
    session: ReadSession,
    root_id: IdQuery = None,
) -> OrgTree:
    """The caller's subtrees (or one node's subtree) as nested nodes."""
    nodes = await service.subtree_nodes(session, caller.scope(Permission.ORGS_READ), root_id)
    by_id = {org.id: OrgTreeNode.model_validate(org) for org in nodes}
    roots: list[OrgTreeNode] = []
    for node in by_id.values():
        parent = by_id.get(node.parent_id) if node.parent_id is not None else None
        if parent is not None and node.id != root_id:
            parent.children.append(node)
        else:
            roots.append(node)
    return OrgTree(roots=roots)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=responses(OrgNotFound, InvalidParent, *_SOCIAL_FIELD_ERRORS),
)
async def create_org(
    body: OrgCreate, caller: OrgsWriter, session: DbSession, runtime: RuntimeDep
) -> OrgRead:
    """Add a committee, branch or social organization under a parent in the caller's scope."""
    org = await service.create(
        session, caller.scope(Permission.ORGS_WRITE), body, now=runtime.clock.now()
    )
    return OrgRead.model_validate(org)


@router.get("/{org_id}", responses=responses(OrgNotFound, Forbidden))
async def get_org(org_id: IdPath, caller: CurrentPrincipal, session: ReadSession) -> OrgRead:
    """One organization in the caller's scope, or the caller's own branch or workplace."""
    return OrgRead.model_validate(await service.get_readable(session, caller, org_id))


@router.patch(
    "/{org_id}",
    responses=responses(OrgNotFound, InvalidParent, OrgCycle, RatingOverCap, *_SOCIAL_FIELD_ERRORS),
)
async def update_org(
    org_id: IdPath, body: OrgUpdate, caller: OrgsWriter, session: DbSession, runtime: RuntimeDep
) -> OrgRead:
    """Change an organization's details, or move it (with its subtree) under another parent.

    Rating cap: a social organization with at least 3 formal members working there whose
    parent is neither a branch nor a joint branch may not be raised to 4A or 5A unless
    `rating_reason` is given (`org.rating_over_cap` otherwise); the reason is recorded."""
    org = await service.update_org(
        session,
        caller.scope(Permission.ORGS_WRITE),
        org_id,
        body,
        now=runtime.clock.now(),
        actor_account_id=caller.account_id,
        request_id=request_id_var.get(),
    )
    return OrgRead.model_validate(org)


@router.delete(
    "/{org_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(OrgNotFound, OrgHasChildren, OrgHasMembers),
)
async def delete_org(org_id: IdPath, caller: OrgsWriter, session: DbSession) -> Response:
    """Remove an organization that has no children and no members."""
    await service.delete_org(session, caller.scope(Permission.ORGS_WRITE), org_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
