"""An audience: organization subtrees × party statuses, stored by its owner as one row per
(organization, status). News articles and study tasks aim at people this way; the members it
names are always computed, never copied, so a member who moves in is in it from then on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field
from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.kit.types import DbId
from app.kit.validation import Lax
from app.models import Member, Organization, OrgClosure, PartyStatus
from app.orgs.errors import OrgNotFound

MAX_AUDIENCE_ORGS = 50
DEFAULT_STATUSES = [PartyStatus.FULL_MEMBER, PartyStatus.PROBATIONARY]


def _unique(values: list[int]) -> list[int]:
    return list(dict.fromkeys(values))


AudienceOrgs = Annotated[
    list[DbId],
    Field(
        min_length=1,
        max_length=MAX_AUDIENCE_ORGS,
        description="Organizations whose whole subtrees are the audience",
    ),
    AfterValidator(_unique),
]
AudienceStatuses = Annotated[
    list[Annotated[PartyStatus, Lax]],
    Field(min_length=1, max_length=4),
    AfterValidator(lambda v: list(dict.fromkeys(v))),
]


def audience_members(
    org_ids: Sequence[int], statuses: Sequence[PartyStatus], *, as_of: datetime | None
) -> Select[int]:
    """Member ids of the audience, as one set-based SELECT: their relation or their
    workplace lies in a targeted subtree, their party status is targeted, and they had not
    left by ``as_of`` (e.g. a publication: a later departure leaves its figures as they
    were; None: they are current)."""
    subtree = select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id.in_(org_ids))
    return select(Member.id).where(
        Member.party_status.in_(statuses),
        Member.current() if as_of is None else Member.current_at(as_of),
        or_(Member.relation_org_id.in_(subtree), Member.workplace_org_id.in_(subtree)),
    )


async def check_orgs(session: AsyncSession, scope: Scope, org_ids: Sequence[int]) -> None:
    """Every organization exists and lies in the caller's scope; 404 naming the others."""
    found = set(
        await session.scalars(
            select(Organization.id).where(
                Organization.id.in_(org_ids), scope.covers(Organization.id)
            )
        )
    )
    missing = [i for i in org_ids if i not in found]
    if missing:
        raise OrgNotFound(details={"org_ids": missing})
