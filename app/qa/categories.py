"""Question categories: everyone's five (org_id NULL, written by migration 0013) and those a
committee adds for its subtree. The categories open at an organization are everyone's and
those of the committees at or above it, shown from the top of the tree down."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission
from app.auth.scope import Principal, Scope
from app.models import Member, Organization, OrgClosure, QaCategory
from app.orgs.errors import OrgNotFound
from app.qa.errors import CategoryExists
from app.qa.settings import committee_in_scope


def _open_at(org_id: int | ColumnElement[int] | None) -> ColumnElement[bool]:
    """SQL: the category is everyone's, or a committee's at or above ``org_id`` (an id, or a
    column of the enclosing statement)."""
    if org_id is None:
        return QaCategory.org_id.is_(None)
    # Correlated to the enclosing statement's tables when ``org_id`` is one of their columns.
    above = (
        select(OrgClosure.ancestor_id)
        .where(OrgClosure.descendant_id == org_id)
        .correlate_except(OrgClosure)
    )
    return or_(QaCategory.org_id.is_(None), QaCategory.org_id.in_(above))


def name_for_question_at(category_id: int, anchor: ColumnElement[int]) -> ScalarSelect[str]:
    """SQL: the category's name when a question asked from ``anchor`` may take it, else
    NULL (a column of the statement that finds the anchor)."""
    return (
        select(QaCategory.name)
        .where(QaCategory.id == category_id, _open_at(anchor))
        .scalar_subquery()
    )


async def open_at(session: AsyncSession, org_id: int | None) -> Sequence[QaCategory]:
    return (
        await session.scalars(
            select(QaCategory)
            .outerjoin(Organization, Organization.id == QaCategory.org_id)
            .where(_open_at(org_id))
            .order_by(func.coalesce(Organization.depth, -1), QaCategory.position, QaCategory.id)
        )
    ).all()


async def check_reachable(session: AsyncSession, caller: Principal, org_id: int) -> None:
    """An organization whose categories the caller may list: one in their Q&A scope, or
    their relation's or workplace's or one above those."""
    reachable = [
        caller.scope(Permission.QA_ANSWER).covers(Organization.id),
        caller.scope(Permission.QA_MANAGE).covers(Organization.id),
    ]
    if caller.member_id is not None:
        reachable.append(
            exists().where(
                Member.id == caller.member_id,
                Member.current(),
                OrgClosure.ancestor_id == Organization.id,
                OrgClosure.descendant_id.in_([Member.relation_org_id, Member.workplace_org_id]),
            )
        )
    found = await session.scalar(
        select(Organization.id).where(Organization.id == org_id, or_(*reachable))
    )
    if found is None:
        raise OrgNotFound()


async def create(
    session: AsyncSession, scope: Scope, org_id: int, name: str, *, now: datetime
) -> QaCategory:
    """A category of a committee in the caller's scope, after its others. A name already
    open at the committee (everyone's, its own, one above) is refused."""
    committee = await committee_in_scope(session, scope, org_id)
    taken = await session.scalar(
        select(exists().where(QaCategory.name == name, _open_at(committee)))
    )
    if taken:
        raise CategoryExists()
    last = await session.scalar(
        select(func.max(QaCategory.position)).where(QaCategory.org_id == committee)
    )
    category = QaCategory(org_id=committee, name=name, position=(last or 0) + 1, created_at=now)
    session.add(category)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same name added at once: the unique index decides
        raise CategoryExists() from exc
    return category
