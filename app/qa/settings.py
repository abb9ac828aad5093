"""A committee's Q&A settings for its subtree: for now whether plain members may answer its
questions. Stored as the notification settings are (app/notify/committee_settings.py): a row
per committee that set a value, the nearest committee above an organization that has one
winning, no row anywhere meaning no (instructors and admins answer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.kit.sql import insert_on_conflict
from app.models import Organization, OrgClosure, OrgKind, QaSettings
from app.qa.errors import CommitteeNotFound

MEMBERS_MAY_ANSWER_DEFAULT = False


@dataclass(frozen=True)
class Effective:
    org_id: int
    members_may_answer: bool
    own: bool | None  # what this committee set; None: it inherits
    decided_by_org_id: int | None  # the committee whose value holds; None: the default


async def committee_in_scope(session: AsyncSession, scope: Scope, org_id: int) -> int:
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


async def members_may_answer(session: AsyncSession, org_id: int) -> tuple[bool, int | None]:
    """What holds for questions asked from ``org_id``, and the committee that decided it
    (whose subtree's members may then answer); None: nobody did, and the default holds."""
    row = (
        await session.execute(
            select(QaSettings.members_may_answer, QaSettings.org_id)
            .join(OrgClosure, OrgClosure.ancestor_id == QaSettings.org_id)
            .where(OrgClosure.descendant_id == org_id)
            .order_by(OrgClosure.depth)
            .limit(1)
        )
    ).first()
    if row is None:
        return MEMBERS_MAY_ANSWER_DEFAULT, None
    return bool(row.members_may_answer), int(row.org_id)


async def effective(session: AsyncSession, scope: Scope, org_id: int) -> Effective:
    committee = await committee_in_scope(session, scope, org_id)
    value, decided_by = await members_may_answer(session, committee)
    return Effective(committee, value, value if decided_by == committee else None, decided_by)


async def save(
    session: AsyncSession,
    scope: Scope,
    org_id: int,
    members_may_answer: bool | None,
    *,
    account_id: int,
    now: datetime,
) -> Effective:
    """Set the committee's own value, or with None remove it so the one above holds."""
    committee = await committee_in_scope(session, scope, org_id)
    if members_may_answer is None:
        await session.execute(delete(QaSettings).where(QaSettings.org_id == committee))
    else:
        values = {
            "members_may_answer": members_may_answer,
            "updated_by_account_id": account_id,
            "updated_at": now,
        }
        await session.execute(
            insert_on_conflict(session, QaSettings)
            .values(org_id=committee, **values)
            .on_conflict_do_update(index_elements=["org_id"], set_=values)
        )
    return await effective(session, scope, committee)
