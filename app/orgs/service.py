"""The organization tree. The closure table answers every subtree question with an index;
moving a node rewrites only the pairs that cross the moved subtree's border."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, exists, func, insert, literal, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.permissions import Permission
from app.auth.scope import Principal, Scope
from app.errors import Forbidden
from app.models import AuditEvent, Member, Organization, OrgClosure, OrgKind, RoleAssignment
from app.models.orgs import ALLOWED_PARENTS, Rating
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
from app.orgs.schemas import OrgCreate, OrgUpdate, SocialOrgFields
from app.oversight import definitions as oversight

SOCIAL_ORG_FIELDS = tuple(SocialOrgFields.model_fields)
_SOCIAL_ORG_REQUIRED = ("social_org_type", "credit_code")


async def get_in_scope(session: AsyncSession, scope: Scope, org_id: int) -> Organization:
    org = await session.scalar(
        select(Organization).where(Organization.id == org_id, scope.covers(Organization.id))
    )
    if org is None:
        raise OrgNotFound()
    return org


async def get_readable(session: AsyncSession, caller: Principal, org_id: int) -> Organization:
    """An organization the caller may read: one in their ``orgs:read`` scope, or their own,
    the branch their membership is registered in or the social organization they work at
    (a current member's), so a plain member sees where they belong. Others answer as before
    this was allowed: 404 to a caller who reads organizations somewhere, 403 to one who
    reads none."""
    scope = caller.scope(Permission.ORGS_READ)
    readable = scope.covers(Organization.id)
    if caller.member_id is not None:
        own = exists().where(
            Member.id == caller.member_id,
            Member.current(),
            or_(
                Member.relation_org_id == Organization.id,
                Member.workplace_org_id == Organization.id,
            ),
        )
        readable = or_(readable, own)
    org = await session.scalar(select(Organization).where(Organization.id == org_id, readable))
    if org is None:
        raise Forbidden() if scope.is_empty else OrgNotFound()
    return org


def _check_parent_kind(kind: OrgKind, parent: Organization | None) -> None:
    parent_kind = parent.kind if parent else None
    if parent_kind not in ALLOWED_PARENTS[kind]:
        raise InvalidParent(
            details={"kind": kind.value, "parent_kind": parent_kind and parent_kind.value}
        )


def _check_social_fields(kind: OrgKind, filled: Iterable[str]) -> None:
    """``filled``: the social-organization fields that will hold a value."""
    given = set(filled)
    if kind is OrgKind.SOCIAL_ORG:
        missing = [name for name in _SOCIAL_ORG_REQUIRED if name not in given]
        if missing:
            raise SocialFieldsRequired(details={"fields": missing})
    elif given:
        present = [name for name in SOCIAL_ORG_FIELDS if name in given]
        raise SocialFieldsNotApplicable(details={"fields": present})


def _filled(source: SocialOrgFields | Organization) -> set[str]:
    return {name for name in SOCIAL_ORG_FIELDS if getattr(source, name) is not None}


async def _check_credit_code_free(
    session: AsyncSession, code: str | None, own_id: int | None
) -> None:
    if code is None:
        return
    holder = await session.scalar(select(Organization.id).where(Organization.credit_code == code))
    if holder is not None and holder != own_id:
        raise CreditCodeTaken()


async def create(
    session: AsyncSession, scope: Scope, body: OrgCreate, *, now: datetime
) -> Organization:
    if body.parent_id is None:
        if not scope.everywhere:
            raise OrgNotFound()  # only system admins plant new roots
        parent = None
    else:
        parent = await get_in_scope(session, scope, body.parent_id)
    _check_parent_kind(body.kind, parent)
    _check_social_fields(body.kind, _filled(body))
    await _check_credit_code_free(session, body.credit_code, None)
    org = Organization(
        parent_id=body.parent_id,
        kind=body.kind,
        name=body.name,
        depth=(parent.depth + 1) if parent else 0,
        **body.model_dump(include=set(SOCIAL_ORG_FIELDS)),
        created_at=now,
        updated_at=now,
    )
    session.add(org)
    await session.flush()
    await session.execute(
        insert(OrgClosure).from_select(
            ["ancestor_id", "descendant_id", "depth"],
            select(OrgClosure.ancestor_id, literal(org.id), OrgClosure.depth + 1)
            .where(OrgClosure.descendant_id == body.parent_id)
            .union_all(select(literal(org.id), literal(org.id), literal(0))),
        )
    )
    return org


async def update_org(
    session: AsyncSession,
    scope: Scope,
    org_id: int,
    body: OrgUpdate,
    *,
    now: datetime,
    actor_account_id: int | None = None,
    request_id: str | None = None,
) -> Organization:
    org = await get_in_scope(session, scope, org_id)
    previous_rating = org.rating
    changes = body.model_dump(exclude_unset=True)
    social = {name: value for name, value in changes.items() if name in SOCIAL_ORG_FIELDS}
    filled = (_filled(org) - social.keys()) | {k for k, v in social.items() if v is not None}
    _check_social_fields(org.kind, filled)
    if "credit_code" in social:
        await _check_credit_code_free(session, body.credit_code, org.id)
    if body.parent_id is not None and body.parent_id != org.parent_id:
        await _move(session, scope, org, body.parent_id, now)
    if body.name is not None:  # a required column: null means "leave as is", as for members
        org.name = body.name
    for name, value in social.items():
        setattr(org, name, value)
    if session.is_modified(org):
        org.updated_at = now
    await session.flush()
    if org.rating in oversight.ABOVE_CAP and org.rating != previous_rating:
        await _check_rating_cap(
            session, org, previous_rating, body, actor_account_id, request_id, now
        )
    return org


async def _check_rating_cap(
    session: AsyncSession,
    org: Organization,
    previous_rating: Rating | None,
    body: OrgUpdate,
    actor_account_id: int | None,
    request_id: str | None,
    now: datetime,
) -> None:
    """A rating raised above 3A of an organization under the rating cap (its stand after
    this request's move, if any) is refused unless a reason is given, which is recorded."""
    state = await oversight.cap_state(session, org.id)
    if not state.capped:
        return
    facts = {
        "formal_members_working": state.formal_members_working,
        "coverage": state.coverage.value,
    }
    if body.rating_reason is None:
        raise RatingOverCap(details={**facts, "cap": oversight.CAP.value})
    session.add(
        AuditEvent(
            actor_account_id=actor_account_id,
            action=oversight.RATING_EXCEPTION_ACTION,
            object_type="organization",
            object_id=org.id,
            org_id=org.id,
            request_id=request_id,
            details={
                "rating": org.rating.value if org.rating else None,
                "previous_rating": previous_rating.value if previous_rating else None,
                "reason": body.rating_reason,
                **facts,
            },
            created_at=now,
        )
    )
    await session.flush()


async def _move(
    session: AsyncSession, scope: Scope, org: Organization, new_parent_id: int, now: datetime
) -> None:
    parent = await get_in_scope(session, scope, new_parent_id)
    _check_parent_kind(org.kind, parent)
    inside = await session.scalar(
        select(OrgClosure.depth).where(
            OrgClosure.ancestor_id == org.id, OrgClosure.descendant_id == parent.id
        )
    )
    if inside is not None:
        raise OrgCycle()
    subtree = select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id == org.id)
    await session.execute(
        delete(OrgClosure)
        .where(OrgClosure.descendant_id.in_(subtree), OrgClosure.ancestor_id.not_in(subtree))
        .execution_options(synchronize_session=False)
    )
    above, below = aliased(OrgClosure), aliased(OrgClosure)
    await session.execute(
        insert(OrgClosure).from_select(
            ["ancestor_id", "descendant_id", "depth"],
            # Every ancestor of the new parent × every node of the moved subtree: a cross
            # join, spelled out so SQLAlchemy does not warn of an accidental one.
            select(above.ancestor_id, below.descendant_id, above.depth + below.depth + 1)
            .select_from(above)
            .join(below, true())
            .where(above.descendant_id == parent.id, below.ancestor_id == org.id),
        )
    )
    shift = parent.depth + 1 - org.depth
    await session.execute(
        update(Organization)
        .where(Organization.id.in_(subtree))
        .values(depth=Organization.depth + shift, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    org.parent_id = parent.id
    org.depth = parent.depth + 1


async def delete_org(session: AsyncSession, scope: Scope, org_id: int) -> None:
    org = await get_in_scope(session, scope, org_id)
    if await session.scalar(select(func.count()).where(Organization.parent_id == org.id)):
        raise OrgHasChildren()
    people = await session.scalar(
        select(func.count()).where(
            (Member.relation_org_id == org.id) | (Member.workplace_org_id == org.id)
        )
    )
    if people:
        raise OrgHasMembers()
    await session.execute(delete(RoleAssignment).where(RoleAssignment.org_id == org.id))
    await session.execute(delete(OrgClosure).where(OrgClosure.descendant_id == org.id))
    await session.delete(org)
    await session.flush()


async def list_in_scope(
    session: AsyncSession,
    scope: Scope,
    *,
    parent_id: int | None,
    kind: OrgKind | None,
    name_contains: str | None,
    after_id: int | None,
    limit: int,
) -> Sequence[Organization]:
    query = select(Organization).where(scope.covers(Organization.id))
    if parent_id is not None:
        query = query.where(Organization.parent_id == parent_id)
    if kind is not None:
        query = query.where(Organization.kind == kind)
    if name_contains:
        query = query.where(Organization.name.contains(name_contains, autoescape=True))
    if after_id is not None:
        query = query.where(Organization.id > after_id)
    return (await session.scalars(query.order_by(Organization.id).limit(limit))).all()


async def subtree_nodes(
    session: AsyncSession, scope: Scope, root_id: int | None
) -> Sequence[Organization]:
    """Every node of the caller's subtrees (or of one node's subtree), parents first."""
    if root_id is not None:
        await get_in_scope(session, scope, root_id)
        query = (
            select(Organization)
            .join(OrgClosure, OrgClosure.descendant_id == Organization.id)
            .where(OrgClosure.ancestor_id == root_id)
        )
    else:
        query = select(Organization).where(scope.covers(Organization.id))
    return (await session.scalars(query.order_by(Organization.depth, Organization.id))).all()
