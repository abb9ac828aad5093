"""The organization tree. The closure table answers every subtree question with an index;
moving a node rewrites only the pairs that cross the moved subtree's border."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.scope import Scope
from app.errors import Conflict, NotFound, Unprocessable
from app.models import Member, Organization, OrgClosure, OrgKind, RoleAssignment
from app.models.orgs import ALLOWED_PARENTS

SOCIAL_ORG_FIELDS = (
    "social_org_type",
    "credit_code",
    "registration_authority",
    "affiliation_mode",
    "rating",
    "staff_count",
)


def org_not_found() -> NotFound:
    return NotFound("org.not_found", "组织不存在", "Organization not found")


async def get_in_scope(session: AsyncSession, scope: Scope, org_id: int) -> Organization:
    org = await session.scalar(
        select(Organization).where(Organization.id == org_id, scope.covers(Organization.id))
    )
    if org is None:
        raise org_not_found()
    return org


def _check_parent_kind(kind: OrgKind, parent: Organization | None) -> None:
    parent_kind = parent.kind if parent else None
    if parent_kind not in ALLOWED_PARENTS[kind]:
        raise Unprocessable(
            "org.invalid_parent",
            "上级组织类型不允许",
            "This kind of organization cannot sit under that parent",
            details={"kind": kind.value, "parent_kind": parent_kind and parent_kind.value},
        )


def _check_social_fields(kind: OrgKind, values: dict[str, Any]) -> None:
    present = [name for name in SOCIAL_ORG_FIELDS if values.get(name) is not None]
    if kind is OrgKind.SOCIAL_ORG:
        missing = [name for name in ("social_org_type", "credit_code") if values.get(name) is None]
        if missing:
            raise Unprocessable(
                "org.social_fields_required",
                "社会组织须填写类型和统一社会信用代码",
                "A social organization needs its type and credit code",
                details={"fields": missing},
            )
    elif present:
        raise Unprocessable(
            "org.social_fields_not_applicable",
            "党组织不填写社会组织信息",
            "Social-organization fields apply to social organizations only",
            details={"fields": present},
        )


async def _check_credit_code_free(
    session: AsyncSession, code: str | None, own_id: int | None
) -> None:
    if code is None:
        return
    holder = await session.scalar(select(Organization.id).where(Organization.credit_code == code))
    if holder is not None and holder != own_id:
        raise Conflict(
            "org.credit_code_taken", "统一社会信用代码已被登记", "Credit code already registered"
        )


async def create(session: AsyncSession, scope: Scope, values: dict[str, Any]) -> Organization:
    parent_id = values.pop("parent_id", None)
    kind = OrgKind(values["kind"])
    if parent_id is None:
        if not scope.everywhere:
            raise org_not_found()  # only system admins plant new roots
        parent = None
    else:
        parent = await get_in_scope(session, scope, parent_id)
    _check_parent_kind(kind, parent)
    _check_social_fields(kind, values)
    await _check_credit_code_free(session, values.get("credit_code"), None)
    org = Organization(parent_id=parent_id, depth=(parent.depth + 1) if parent else 0, **values)
    session.add(org)
    await session.flush()
    await session.execute(
        insert(OrgClosure).from_select(
            ["ancestor_id", "descendant_id", "depth"],
            select(OrgClosure.ancestor_id, literal(org.id), OrgClosure.depth + 1)
            .where(OrgClosure.descendant_id == parent_id)
            .union_all(select(literal(org.id), literal(org.id), literal(0))),
        )
    )
    return org


async def update_org(
    session: AsyncSession, scope: Scope, org_id: int, changes: dict[str, Any]
) -> Organization:
    org = await get_in_scope(session, scope, org_id)
    merged = {name: getattr(org, name) for name in SOCIAL_ORG_FIELDS} | {
        k: v for k, v in changes.items() if k in SOCIAL_ORG_FIELDS
    }
    _check_social_fields(org.kind, merged)
    if "credit_code" in changes:
        await _check_credit_code_free(session, changes["credit_code"], org.id)
    new_parent_id = changes.pop("parent_id", None)
    if new_parent_id is not None and new_parent_id != org.parent_id:
        await _move(session, scope, org, new_parent_id)
    for name, value in changes.items():
        if value is None and name == "name":
            continue  # a required column: null means "leave as is", as for members
        setattr(org, name, value)
    await session.flush()
    return org


async def _move(session: AsyncSession, scope: Scope, org: Organization, new_parent_id: int) -> None:
    parent = await get_in_scope(session, scope, new_parent_id)
    _check_parent_kind(org.kind, parent)
    inside = await session.scalar(
        select(OrgClosure.depth).where(
            OrgClosure.ancestor_id == org.id, OrgClosure.descendant_id == parent.id
        )
    )
    if inside is not None:
        raise Unprocessable(
            "org.cycle", "不能移动到自己的下级组织之下", "Cannot move under its own subtree"
        )
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
        .values(depth=Organization.depth + shift)
        .execution_options(synchronize_session=False)
    )
    org.parent_id = parent.id
    org.depth = parent.depth + 1


async def delete_org(session: AsyncSession, scope: Scope, org_id: int) -> None:
    org = await get_in_scope(session, scope, org_id)
    if await session.scalar(select(func.count()).where(Organization.parent_id == org.id)):
        raise Conflict(
            "org.has_children", "该组织下仍有下级组织", "The organization still has children"
        )
    people = await session.scalar(
        select(func.count()).where(
            (Member.relation_org_id == org.id) | (Member.workplace_org_id == org.id)
        )
    )
    if people:
        raise Conflict("org.has_members", "该组织仍有党员", "The organization still has members")
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
