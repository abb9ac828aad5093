"""The definitions of issue 13, each written once as SQL: a social organization's coverage,
the formal members working there, and the rating cap; the party members working there, the
relation here and the transfer-in rate of the head counts (app/oversight/headcount.py). The
figures (app/oversight/coverage.py, rating_cap.py, headcount.py) and the refusal of a rating
above the cap (app/orgs/service.py) read them from here, so the figure and the rule cannot
disagree.

Everything is set-based: an expression over the organization row it is used with, never a
query per organization."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import AliasedClass

from app.kit.time import DISPLAY_ZONE
from app.models import Member, Organization, OrgKind, PartyStatus, Rating, Role, RoleAssignment


class Coverage(enum.StrEnum):
    OWN_BRANCH = "own_branch"  # its parent is a branch: a party organization of its own
    JOINT = "joint"  # its parent is a joint branch
    INSTRUCTOR_ONLY = "instructor_only"  # neither, but an instructor holds a role on it
    UNCOVERED = "uncovered"


COVERAGE_LABELS: dict[Coverage, str] = {
    Coverage.OWN_BRANCH: "单独建立党支部",
    Coverage.JOINT: "联合党支部覆盖",
    Coverage.INSTRUCTOR_ONLY: "仅选派党建工作指导员",
    Coverage.UNCOVERED: "未覆盖",
}

# The rating cap: with at least this many formal members working there and no party
# organization of its own or joint, an organization may not be rated above 3A.
CAP_FORMAL_MEMBERS = 3
CAP = Rating.A3
ABOVE_CAP = frozenset({Rating.A4, Rating.A5})
# The audit trail's action of a rating above the cap given with a reason (app/orgs/service.py
# writes it, the rating-cap figure reads it back).
RATING_EXCEPTION_ACTION = "org.rating_above_cap"
# Coverages that are a party organization: the others are capped.
PARTY_ORGANIZATION_COVERAGES = frozenset({Coverage.OWN_BRANCH, Coverage.JOINT})

OrgEntity = type[Organization] | AliasedClass[Organization]


def instructor_on(org: OrgEntity, *, held_before: datetime | None = None) -> ColumnElement[bool]:
    """SQL: an instructor holds a role on ``org`` itself (one on an organization above it
    does not count). ``held_before``: only roles granted before that instant."""
    role = aliased(RoleAssignment)
    condition = and_(role.org_id == org.id, role.role == Role.INSTRUCTOR)
    if held_before is not None:
        condition = and_(condition, role.created_at < held_before)
    return exists().where(condition)


def coverage(
    org: OrgEntity, parent: OrgEntity, *, held_before: datetime | None = None
) -> ColumnElement[str]:
    """SQL: the coverage of the social organization ``org`` whose parent row is ``parent``:
    own_branch when its parent is a branch; joint when its parent is a joint branch;
    instructor_only when neither, but an instructor holds a role on that organization
    itself; uncovered otherwise."""
    return case(
        (parent.kind == OrgKind.BRANCH, Coverage.OWN_BRANCH.value),
        (parent.kind == OrgKind.JOINT_BRANCH, Coverage.JOINT.value),
        (instructor_on(org, held_before=held_before), Coverage.INSTRUCTOR_ONLY.value),
        else_=Coverage.UNCOVERED.value,
    )


def formal_member(as_of: date | None = None) -> ColumnElement[bool]:
    """SQL: a formal member (正式党员, probationary ones are not) who has not left; with
    ``as_of``, one on the roster at the end of that day (``on_roster``)."""
    return and_(Member.party_status == PartyStatus.FULL_MEMBER, on_roster(as_of))


def formal_members_working(org: OrgEntity) -> ColumnElement[int]:
    """SQL: how many formal members work at ``org`` (``workplace_org_id``), wherever their
    relation is."""
    return (
        select(func.count())
        .where(Member.workplace_org_id == org.id, formal_member())
        .correlate(org)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class CapState:
    formal_members_working: int
    coverage: Coverage

    @property
    def capped(self) -> bool:
        return (
            self.formal_members_working >= CAP_FORMAL_MEMBERS
            and self.coverage not in PARTY_ORGANIZATION_COVERAGES
        )


async def cap_state(session: AsyncSession, org_id: int) -> CapState:
    """Where one social organization stands against the rating cap, as it is stored now."""
    parent = aliased(Organization)
    row = (
        await session.execute(
            select(formal_members_working(Organization), coverage(Organization, parent))
            .select_from(Organization)
            .join(parent, parent.id == Organization.parent_id)
            .where(Organization.id == org_id)
        )
    ).one()
    return CapState(int(row[0]), Coverage(row[1]))


# --- head counts (issue 13 item 3): party members working there, relation here -------------

PARTY_STATUSES = (PartyStatus.FULL_MEMBER, PartyStatus.PROBATIONARY)
# The parents whose members' relation counts as "relation here".
RELATION_PARENT_KINDS = (OrgKind.BRANCH, OrgKind.JOINT_BRANCH)


def on_roster(as_of: date | None = None) -> ColumnElement[bool]:
    """SQL: the member is on the roster: has not left (``Member.current``); with ``as_of`` (a
    Beijing day), was entered in the system by the end of that day and had neither left by
    then (``left_on``) nor had a departure recorded by then (``departed_at``). Today's
    ``as_of`` is ``Member.current`` among those entered."""
    if as_of is None:
        return Member.current()
    until = datetime.combine(as_of + timedelta(days=1), time.min, DISPLAY_ZONE).astimezone(UTC)
    return and_(
        Member.created_at < until,
        or_(
            Member.departed_at.is_(None),
            and_(
                Member.departed_at >= until,
                or_(Member.left_on.is_(None), Member.left_on > as_of),
            ),
        ),
    )


def party_member(as_of: date | None = None) -> ColumnElement[bool]:
    """SQL: a party member (正式 or 预备党员) on the roster (``on_roster``)."""
    return and_(Member.party_status.in_(PARTY_STATUSES), on_roster(as_of))


def relation_here(parent: OrgEntity) -> ColumnElement[bool]:
    """SQL: the member's relation is ``parent``, the parent row of the organization they
    work at, and that parent is a branch or a joint branch (组织关系在此). With the member's
    workplace joined to its ``parent``; combined with ``party_member``."""
    return and_(Member.relation_org_id == parent.id, parent.kind.in_(RELATION_PARENT_KINDS))


def transfer_in_rate(relation: int, party_members: int) -> float | None:
    """Transfer-in rate (组织关系转入率) = relation here ÷ party members working there, to
    four places; None when nobody is working there."""
    return round(relation / party_members, 4) if party_members else None
