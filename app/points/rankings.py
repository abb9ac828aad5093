"""Rankings for a period: set-based, one statement each. The period's sums per member come
from the ledger's (day, member_id, points) index, limited to the members ranked; RANK()
over those sums gives tied members one rank. Current members only (Member.current());
members without points in the period are ranked too, after everyone with points, all
sharing the last rank: a secretary sees who has not taken part yet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Row, Select, Subquery, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.kit.pagination import CursorKey
from app.kit.types import DbId
from app.models import Member, Organization, OrgClosure, OrgKind, PointEntry
from app.points.errors import OrgNotFound
from app.points.periods import Period

BRANCH_KINDS = frozenset({OrgKind.BRANCH, OrgKind.JOINT_BRANCH})
RANKED_KINDS = frozenset({*BRANCH_KINDS, OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH})
TOP = 10


class RankKey(CursorKey):
    """Where a ranking page ends: (points, member id), the ranking's order."""

    points: int
    id: DbId


@dataclass(frozen=True)
class Ranked:
    org_id: int
    kind: OrgKind


def members_of(org: Ranked) -> ColumnElement[bool]:
    """A branch ranks the members whose relation is in it; a committee or general branch
    its whole subtree."""
    if org.kind in BRANCH_KINDS:
        return Member.relation_org_id == org.org_id
    subtree = select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id == org.org_id)
    return Member.relation_org_id.in_(subtree)


def ranking(org: Ranked, period: Period) -> Subquery:
    """member_id, name, org_name, points, rank, members (how many are ranked)."""
    ranked_members = select(Member.id).where(members_of(org), Member.current())
    sums = (
        select(PointEntry.member_id, func.sum(PointEntry.points).label("points"))
        .where(
            PointEntry.day >= period.first,
            PointEntry.day < period.end,
            PointEntry.member_id.in_(ranked_members),
        )
        .group_by(PointEntry.member_id)
        .subquery("sums")
    )
    points = func.coalesce(sums.c.points, 0)
    return (
        select(
            Member.id.label("member_id"),
            Member.name,
            Organization.name.label("org_name"),
            points.label("points"),
            func.rank().over(order_by=points.desc()).label("rank"),
            func.count().over().label("members"),
        )
        .join(Organization, Organization.id == Member.relation_org_id)
        .outerjoin(sums, sums.c.member_id == Member.id)
        .where(members_of(org), Member.current())
        .subquery("ranking")
    )


async def org_in_scope(session: AsyncSession, scope: Scope, org_id: int) -> Ranked:
    found = (
        await session.execute(
            select(Organization.id, Organization.kind).where(
                Organization.id == org_id,
                Organization.kind.in_(RANKED_KINDS),
                scope.covers(Organization.id),
            )
        )
    ).first()
    if found is None:
        raise OrgNotFound()
    return Ranked(found.id, found.kind)


def page_statement(
    org: Ranked, period: Period, *, after: RankKey | None, limit: int
) -> Select[tuple[int, str, str, int, int, int]]:
    """The statement of a ranking page (bench/study/ranking.py runs it bare too)."""
    ranked = ranking(org, period)
    query = select(ranked).order_by(ranked.c.points.desc(), ranked.c.member_id).limit(limit)
    if after is not None:
        query = query.where(
            or_(
                ranked.c.points < after.points,
                and_(ranked.c.points == after.points, ranked.c.member_id > after.id),
            )
        )
    return query


async def page(
    session: AsyncSession, org: Ranked, period: Period, *, after: RankKey | None, limit: int
) -> Sequence[Row[tuple[int, str, str, int, int, int]]]:
    statement = page_statement(org, period, after=after, limit=limit)
    return (await session.execute(statement)).all()


def key_of(row: Row[tuple[int, str, str, int, int, int]]) -> RankKey:
    return RankKey(points=int(row.points), id=row.member_id)


@dataclass(frozen=True)
class Standing:
    org_id: int
    org_name: str
    rank: int
    points: int
    members: int


async def _standing(
    session: AsyncSession, org: Ranked, period: Period, member_id: int
) -> Standing | None:
    ranked = ranking(org, period)
    row = (
        await session.execute(
            select(ranked.c.rank, ranked.c.points, ranked.c.members, Organization.name)
            .join(Organization, Organization.id == org.org_id)
            .where(ranked.c.member_id == member_id)
        )
    ).first()
    if row is None:
        return None
    return Standing(org.org_id, row.name, int(row.rank), int(row.points), int(row.members))


@dataclass(frozen=True)
class Mine:
    points: int
    branch: Standing | None
    committee: Standing | None
    top: Sequence[Row[tuple[int, str, str, int, int, int]]]


async def mine(session: AsyncSession, member_id: int, period: Period) -> Mine:
    """The member's rank in their branch (their relation organization) and in the subtree of
    the nearest committee above it, and the top of their branch."""
    relation = (
        await session.execute(
            select(Organization.id, Organization.kind)
            .join(Member, Member.relation_org_id == Organization.id)
            .where(Member.id == member_id, Member.current())
        )
    ).first()
    own = await session.scalar(
        select(func.coalesce(func.sum(PointEntry.points), 0)).where(
            PointEntry.member_id == member_id,
            PointEntry.day >= period.first,
            PointEntry.day < period.end,
        )
    )
    if relation is None:
        return Mine(int(own or 0), None, None, [])
    branch = Ranked(relation.id, relation.kind)
    committee_id = await session.scalar(
        select(OrgClosure.ancestor_id)
        .join(Organization, Organization.id == OrgClosure.ancestor_id)
        .where(OrgClosure.descendant_id == relation.id, Organization.kind == OrgKind.COMMITTEE)
        .order_by(OrgClosure.depth)
        .limit(1)
    )
    in_committee = None
    if committee_id is not None:
        committee = Ranked(committee_id, OrgKind.COMMITTEE)
        in_committee = await _standing(session, committee, period, member_id)
    return Mine(
        int(own or 0),
        await _standing(session, branch, period, member_id),
        in_committee,
        await page(session, branch, period, after=None, limit=TOP),
    )
