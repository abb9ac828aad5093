"""The committees designated as 社会组织综合党委: the body a 托底 social organization is
meant to lie under. Designated explicitly by a committee admin, not guessed from a name: a
street's 工委 may take organizations on too, and a name says nothing the data can check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.kit.sql import insert_on_conflict
from app.models import ComprehensiveCommittee, Organization
from app.oversight.norms import committee_in_scope


async def designate(
    session: AsyncSession, scope: Scope, org_id: int, *, account_id: int, now: datetime
) -> tuple[Organization, datetime]:
    """The committee designated (again: it keeps its first designation's time)."""
    committee = await committee_in_scope(session, scope, org_id)
    await session.execute(
        insert_on_conflict(session, ComprehensiveCommittee)
        .values(org_id=committee.id, designated_by_account_id=account_id, designated_at=now)
        .on_conflict_do_nothing(index_elements=["org_id"])
    )
    designated_at = await session.scalar(
        select(ComprehensiveCommittee.designated_at).where(
            ComprehensiveCommittee.org_id == committee.id
        )
    )
    assert designated_at is not None  # inserted, or there already
    return committee, designated_at


async def withdraw(session: AsyncSession, scope: Scope, org_id: int) -> None:
    committee = await committee_in_scope(session, scope, org_id)
    await session.execute(
        delete(ComprehensiveCommittee).where(ComprehensiveCommittee.org_id == committee.id)
    )
