"""Nominations: made within the nominator's scope with a reason, decided once by the nearest
committee above the subject. The decision is a conditional update from ``pending``: of two
decisions at once, one changes the row and the other finds it decided (409)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.scope import Scope
from app.honours.errors import (
    AlreadyDecided,
    AlreadyNominated,
    NoCommittee,
    NominationNotFound,
    WrongSubject,
)
from app.honours.schemas import DecisionWrite, NominationCreate, NominationRead, PersonRef
from app.kit.time import shown
from app.members import service as members_service
from app.models import (
    HONOUR_KIND_LABELS,
    NOMINATION_STATUS_LABELS,
    HonourKind,
    Member,
    Nomination,
    NominationStatus,
    Organization,
    OrgClosure,
    OrgKind,
    PartyStatus,
)
from app.models.honours import BRANCH_HONOURS
from app.models.orgs import BRANCH_KINDS
from app.orgs import service as orgs_service

PARTY_MEMBERS = frozenset({PartyStatus.FULL_MEMBER, PartyStatus.PROBATIONARY})


async def _committee_above(session: AsyncSession, org_id: int) -> int:
    committee = await session.scalar(
        select(Organization.id)
        .join(OrgClosure, OrgClosure.ancestor_id == Organization.id)
        .where(
            OrgClosure.descendant_id == org_id,
            OrgClosure.depth > 0,
            Organization.kind == OrgKind.COMMITTEE,
        )
        .order_by(OrgClosure.depth)
        .limit(1)
    )
    if committee is None:
        raise NoCommittee()
    return committee


async def nominate(
    session: AsyncSession,
    scope: Scope,
    body: NominationCreate,
    *,
    account_id: int,
    now: datetime,
) -> int:
    """The new nomination's id. The subject must lie in ``scope`` (404 otherwise)."""
    if (body.org_id is None) == (body.member_id is None):
        raise WrongSubject(details={"reason": "one_of_org_or_member"})
    wants_branch = body.kind in BRANCH_HONOURS
    if wants_branch != (body.org_id is not None):
        raise WrongSubject(details={"reason": "branch" if wants_branch else "member"})
    if body.org_id is not None:
        org = await orgs_service.get_in_scope(session, scope, body.org_id)
        if org.kind not in BRANCH_KINDS:
            raise WrongSubject(details={"reason": "branch"})
        org_id = org.id
        duplicate = Nomination.subject_org_id == org.id
    else:
        assert body.member_id is not None
        member = await members_service.get_in_scope(session, scope, body.member_id)
        if member.departed_at is not None or member.party_status not in PARTY_MEMBERS:
            raise WrongSubject(details={"reason": "party_member"})
        home = member.relation_org_id or member.workplace_org_id
        if home is None:
            raise WrongSubject(details={"reason": "party_member"})
        org_id = home
        duplicate = Nomination.subject_member_id == member.id
    earlier = await session.scalar(
        select(Nomination.id).where(
            Nomination.kind == body.kind, Nomination.year == body.year, duplicate
        )
    )
    if earlier is not None:
        raise AlreadyNominated(details={"nomination_id": earlier})
    nomination = Nomination(
        kind=body.kind,
        year=body.year,
        subject_org_id=body.org_id,
        subject_member_id=body.member_id,
        org_id=org_id,
        committee_id=await _committee_above(session, org_id),
        reason=body.reason,
        nominated_by_account_id=account_id,
        nominated_at=now,
        status=NominationStatus.PENDING,
    )
    session.add(nomination)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same subject nominated at once: the unique key decides
        raise AlreadyNominated() from exc
    return nomination.id


async def decide(
    session: AsyncSession,
    scope: Scope,
    nomination_id: int,
    body: DecisionWrite,
    *,
    account_id: int,
    now: datetime,
) -> None:
    """Approve or reject, once: the committee deciding must lie in ``scope`` (404 otherwise)."""
    found = await session.scalar(
        select(Nomination.id).where(
            Nomination.id == nomination_id, scope.covers(Nomination.committee_id)
        )
    )
    if found is None:
        raise NominationNotFound()
    changed = await session.execute(
        update(Nomination)
        .where(Nomination.id == nomination_id, Nomination.status == NominationStatus.PENDING)
        .values(
            status=NominationStatus(body.decision),
            decision_reason=body.reason,
            decided_by_account_id=account_id,
            decided_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]  # an UPDATE's CursorResult
        decided = (
            await session.execute(
                select(Nomination.status, Nomination.decided_at).where(
                    Nomination.id == nomination_id
                )
            )
        ).one()
        raise AlreadyDecided(
            details={
                "status": decided.status.value,
                "decided_at": shown(decided.decided_at) if decided.decided_at else None,
            }
        )


# --- reading ------------------------------------------------------------------------------------

_subject_org = aliased(Organization)
_org = aliased(Organization)
_committee = aliased(Organization)
_nominator = aliased(Member)
_decider = aliased(Member)


def _query() -> Any:
    return (
        select(
            Nomination,
            _subject_org.name.label("subject_org_name"),
            Member.name.label("subject_member_name"),
            _org.name.label("org_name"),
            _committee.name.label("committee_name"),
            _nominator.name.label("nominator_name"),
            _decider.name.label("decider_name"),
        )
        .outerjoin(_subject_org, _subject_org.id == Nomination.subject_org_id)
        .outerjoin(Member, Member.id == Nomination.subject_member_id)
        .join(_org, _org.id == Nomination.org_id)
        .join(_committee, _committee.id == Nomination.committee_id)
        .outerjoin(_nominator, _nominator.account_id == Nomination.nominated_by_account_id)
        .outerjoin(_decider, _decider.account_id == Nomination.decided_by_account_id)
    )


def _person(account_id: int | None, name: str | None) -> PersonRef | None:
    return None if account_id is None else PersonRef(account_id=account_id, name=name)


def to_read(row: Any) -> NominationRead:
    n: Nomination = row.Nomination
    return NominationRead(
        id=n.id,
        kind=n.kind,
        kind_label=HONOUR_KIND_LABELS[n.kind],
        year=n.year,
        subject_org_id=n.subject_org_id,
        subject_member_id=n.subject_member_id,
        subject_name=row.subject_org_name or row.subject_member_name or "",
        org_id=n.org_id,
        org_name=row.org_name,
        committee_id=n.committee_id,
        committee_name=row.committee_name,
        reason=n.reason,
        nominated_by=_person(n.nominated_by_account_id, row.nominator_name),
        nominated_at=n.nominated_at,
        status=n.status,
        status_label=NOMINATION_STATUS_LABELS[n.status],
        decision_reason=n.decision_reason,
        decided_by=_person(n.decided_by_account_id, row.decider_name),
        decided_at=n.decided_at,
    )


async def get_readable(session: AsyncSession, scope: Scope, nomination_id: int) -> Any:
    row = (
        await session.execute(
            _query().where(Nomination.id == nomination_id, scope.covers(Nomination.org_id))
        )
    ).one_or_none()
    if row is None:
        raise NominationNotFound()
    return row


def _listed(
    root_id: int, year: int, status: NominationStatus | None, kind: HonourKind | None
) -> Any:
    query = _query().where(
        Nomination.year == year,
        Nomination.org_id.in_(
            select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id == root_id)
        ),
    )
    if status is not None:
        query = query.where(Nomination.status == status)
    if kind is not None:
        query = query.where(Nomination.kind == kind)
    return query


async def page(
    session: AsyncSession,
    root_id: int,
    year: int,
    status: NominationStatus | None,
    kind: HonourKind | None,
    *,
    after: int | None,
    limit: int,
) -> Sequence[Any]:
    query = _listed(root_id, year, status, kind)
    if after is not None:
        query = query.where(Nomination.id > after)
    return (await session.execute(query.order_by(Nomination.id).limit(limit))).all()


async def every(
    session: AsyncSession,
    root_id: int,
    year: int,
    status: NominationStatus | None,
    kind: HonourKind | None,
) -> Sequence[Any]:
    query = _listed(root_id, year, status, kind)
    return (await session.execute(query.order_by(Nomination.id))).all()


HEADINGS = (
    "编号",
    "荣誉项目",
    "推荐对象",
    "所在组织",
    "决定党委",
    "推荐理由",
    "推荐人",
    "推荐时间",
    "状态",
    "决定理由",
    "决定人",
    "决定时间",
)
WIDTHS = (8, 14, 20, 24, 24, 40, 12, 18, 10, 40, 12, 18)


def sheet_rows(items: Sequence[NominationRead], local: Any) -> list[list[Any]]:
    return [
        [
            item.id,
            item.kind_label,
            item.subject_name,
            item.org_name,
            item.committee_name,
            item.reason,
            (item.nominated_by.name or "") if item.nominated_by else "",
            local(item.nominated_at),
            item.status_label,
            item.decision_reason or "",
            (item.decided_by.name or "") if item.decided_by else "",
            local(item.decided_at),
        ]
        for item in items
    ]
