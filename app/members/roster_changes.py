"""The roster ledger (增减台账, issue 13 item 3): every service that puts a member on an
organization's roster or takes them off writes one row here, in its own transaction, so the
ledger never disagrees with the roster. No route writes it.

Where a member counts is their relation, else their workplace (``counted_at``): a move
between those, by an edit or a transfer, is a removal from one and an addition to the
other, both on the same day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Member, RosterChange, RosterChangeKind


def counted_at(member: Member) -> int | None:
    return member.relation_org_id or member.workplace_org_id


def record(
    session: AsyncSession,
    member: Member,
    kind: RosterChangeKind,
    *,
    org_id: int,
    occurred_on: date,
    source: str,
    now: datetime,
    actor_account_id: int | None,
    note: str | None = None,
) -> None:
    session.add(
        RosterChange(
            member_id=member.id,
            org_id=org_id,
            kind=kind,
            party_status=member.party_status,
            occurred_on=occurred_on,
            note=note,
            source=source,
            recorded_by_account_id=actor_account_id,
            recorded_at=now,
        )
    )


def record_move(
    session: AsyncSession,
    member: Member,
    *,
    from_org_id: int | None,
    occurred_on: date,
    source: str,
    now: datetime,
    actor_account_id: int | None,
    note: str | None = None,
) -> None:
    """The member now counts somewhere else than ``from_org_id`` (read after the change)."""
    to_org_id = counted_at(member)
    if to_org_id == from_org_id:
        return
    for kind, org_id in (
        (RosterChangeKind.TRANSFERRED_OUT, from_org_id),
        (RosterChangeKind.TRANSFERRED_IN, to_org_id),
    ):
        if org_id is not None:
            record(
                session,
                member,
                kind,
                org_id=org_id,
                occurred_on=occurred_on,
                source=source,
                now=now,
                actor_account_id=actor_account_id,
                note=note,
            )
