"""Committee settings: what a committee decides for its subtree (for now whether members
who missed a meeting are reminded). The nearest committee above an organization that set a
value wins; where none did, the default holds. Read by the features' jobs in SQL
(app/activities/notifications.py); written here by a committee admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.kit.sql import insert_on_conflict
from app.models import CommitteeSettings, Organization, OrgClosure, OrgKind
from app.notify.errors import CommitteeNotFound

ABSENCE_REMINDERS_DEFAULT = True


@dataclass(frozen=True)
class Effective:
    org_id: int
    absence_reminders: bool
    own: bool | None  # what this committee set; None: it inherits
    decided_by_org_id: int | None  # the committee whose value holds; None: the default


async def _committee_in_scope(session: AsyncSession, scope: Scope, org_id: int) -> int:
    found = await session.scalar(
        select(Organization.id).where(
            Organization.id == org_id,
            Organization.kind == OrgKind.COMMITTEE,
            scope.covers(Organization.id),
        )
    )
    if found is None:
        raise CommitteeNotFound()
    return found


async def effective(session: AsyncSession, scope: Scope, org_id: int) -> Effective:
    committee = await _committee_in_scope(session, scope, org_id)
    rows = (
        await session.execute(
            select(CommitteeSettings.org_id, CommitteeSettings.absence_reminders)
            .join(OrgClosure, OrgClosure.ancestor_id == CommitteeSettings.org_id)
            .where(OrgClosure.descendant_id == committee)
            .order_by(OrgClosure.depth)
        )
    ).all()
    own = next((value for setter, value in rows if setter == committee), None)
    if not rows:
        return Effective(committee, ABSENCE_REMINDERS_DEFAULT, None, None)
    setter, value = rows[0]
    return Effective(committee, value, own, setter)


async def save(
    session: AsyncSession,
    scope: Scope,
    org_id: int,
    absence_reminders: bool | None,
    *,
    account_id: int,
    now: datetime,
) -> Effective:
    """Set the committee's own value, or with None remove it so the one above holds."""
    committee = await _committee_in_scope(session, scope, org_id)
    if absence_reminders is None:
        await session.execute(
            delete(CommitteeSettings).where(CommitteeSettings.org_id == committee)
        )
    else:
        values = {
            "absence_reminders": absence_reminders,
            "updated_by_account_id": account_id,
            "updated_at": now,
        }
        await session.execute(
            insert_on_conflict(session, CommitteeSettings)
            .values(org_id=committee, **values)
            .on_conflict_do_update(index_elements=["org_id"], set_=values)
        )
    return await effective(session, scope, committee)
