"""The meeting norms a committee sets for the branches of its subtree: how many of each type
of meeting a branch should hold per quarter. The nearest committee above a branch that set
a value for a type wins (as app/notify/committee_settings.py resolves its setting); where
none did, the default of docs/mission.md holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.scope import Scope
from app.models import MeetingNorm, NormType, Organization, OrgClosure, OrgKind
from app.oversight.errors import CommitteeNotFound

# Per quarter, from the branch work regulations (docs/mission.md): the general meeting and
# the party lecture at least once a quarter, the branch committee, the party group and the
# themed party day monthly. The party group's only for a branch that has party groups.
DEFAULT_PER_QUARTER: dict[NormType, int] = {
    NormType.BRANCH_GENERAL_MEETING: 1,
    NormType.BRANCH_COMMITTEE: 3,
    NormType.PARTY_GROUP: 3,
    NormType.PARTY_LECTURE: 1,
    NormType.THEMED_PARTY_DAY: 3,
}
NORM_LABELS: dict[NormType, str] = {
    NormType.BRANCH_GENERAL_MEETING: "支部党员大会",
    NormType.BRANCH_COMMITTEE: "支部委员会",
    NormType.PARTY_GROUP: "党小组会",
    NormType.PARTY_LECTURE: "党课",
    NormType.THEMED_PARTY_DAY: "主题党日",
}


@dataclass(frozen=True)
class Norm:
    activity_type: NormType
    label: str
    per_quarter: int
    own: int | None  # what this committee set; None: it inherits
    decided_by_org_id: int | None  # the committee whose value holds; None: the default


async def committee_in_scope(session: AsyncSession, scope: Scope, org_id: int) -> Organization:
    found = await session.scalar(
        select(Organization).where(
            Organization.id == org_id,
            Organization.kind == OrgKind.COMMITTEE,
            scope.covers(Organization.id),
        )
    )
    if found is None:
        raise CommitteeNotFound()
    return found


async def effective(session: AsyncSession, scope: Scope, org_id: int) -> list[Norm]:
    """Every type's norm in the committee's subtree, in the types' order."""
    committee = await committee_in_scope(session, scope, org_id)
    rows = (
        await session.execute(
            select(MeetingNorm.committee_id, MeetingNorm.activity_type, MeetingNorm.per_quarter)
            .join(OrgClosure, OrgClosure.ancestor_id == MeetingNorm.committee_id)
            .where(OrgClosure.descendant_id == committee.id)
            .order_by(OrgClosure.depth)
        )
    ).all()
    nearest: dict[NormType, tuple[int, int]] = {}
    own: dict[NormType, int] = {}
    for setter, kind, value in rows:
        nearest.setdefault(NormType(kind), (setter, value))
        if setter == committee.id:
            own[NormType(kind)] = value
    found: list[Norm] = []
    for kind in NormType:
        if kind in nearest:
            setter, value = nearest[kind]
            found.append(Norm(kind, NORM_LABELS[kind], value, own.get(kind), setter))
        else:
            found.append(Norm(kind, NORM_LABELS[kind], DEFAULT_PER_QUARTER[kind], None, None))
    return found


async def replace(
    session: AsyncSession,
    scope: Scope,
    org_id: int,
    values: Mapping[NormType, int | None],
    *,
    account_id: int,
    now: datetime,
) -> list[Norm]:
    """The committee's own norms become ``values``: a type with a number is set, a type
    absent or null inherits from the committee above (or the default)."""
    committee = await committee_in_scope(session, scope, org_id)
    await session.execute(delete(MeetingNorm).where(MeetingNorm.committee_id == committee.id))
    rows = [
        {
            "committee_id": committee.id,
            "activity_type": kind,
            "per_quarter": value,
            "updated_by_account_id": account_id,
            "updated_at": now,
        }
        for kind, value in values.items()
        if value is not None
    ]
    if rows:
        await session.execute(insert(MeetingNorm), rows)
    return await effective(session, scope, committee.id)


def per_quarter_sql(branch_id: ColumnElement[int], kind: NormType) -> ColumnElement[int]:
    """SQL: the norm for ``kind`` per quarter that holds for the branch in ``branch_id``:
    the value of the nearest committee above it that set one, else the default."""
    closure = aliased(OrgClosure)
    nearest = (
        select(MeetingNorm.per_quarter)
        .join(closure, closure.ancestor_id == MeetingNorm.committee_id)
        .where(closure.descendant_id == branch_id, MeetingNorm.activity_type == kind)
        .order_by(closure.depth)
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(nearest, DEFAULT_PER_QUARTER[kind])
