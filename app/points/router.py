"""Points: a committee's rules, a member's totals and ledger, rankings."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from app.auth.dependencies import CurrentMember, PointsManager, StudyReader
from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit.pagination import Page, PageParams, decode_key, paginate
from app.kit.types import INT32_MAX, Digits, IdPath
from app.models import PointKind
from app.points import periods, rankings, service
from app.points.errors import CommitteeNotFound, InvalidPeriod, OrgNotFound, UnitNotApplicable
from app.points.rules import KIND_LABELS
from app.points.schemas import (
    EntryRead,
    KindPoints,
    MyRankRead,
    RankItem,
    RuleRead,
    RulesRead,
    RuleWrite,
    StandingRead,
    TotalsRead,
)
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1", tags=["points"])

KindPath = Annotated[PointKind, Path(description="积分项目")]
PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=8,
        description="A month (2026-12), an ISO week (2026-W49) or a year (2026), in Beijing "
        "days; this month by default",
    ),
]


@router.get("/points/committees/{org_id}/rules", responses=responses(CommitteeNotFound))
async def committee_rules(org_id: IdPath, caller: PointsManager, session: ReadSession) -> RulesRead:
    """Every kind's rule in the committee's subtree: its own, a committee's above, or the
    default, and who decided it."""
    found = await service.rules(session, caller.scope(Permission.POINTS_MANAGE), org_id)
    return RulesRead(org_id=org_id, rules=[RuleRead.model_validate(rule) for rule in found])


@router.put(
    "/points/committees/{org_id}/rules/{kind}",
    responses=responses(CommitteeNotFound, UnitNotApplicable),
)
async def set_committee_rule(
    org_id: IdPath,
    kind: KindPath,
    body: RuleWrite,
    caller: PointsManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> RuleRead:
    """The committee's own rule for one kind, for its subtree (a committee below with its
    own rule keeps it). Points already counted keep the rule they were counted by."""
    found = await service.save(
        session,
        caller.scope(Permission.POINTS_MANAGE),
        org_id,
        kind,
        points=body.points,
        unit_seconds=body.unit_seconds,
        daily_cap=body.daily_cap,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return RuleRead.model_validate(found)


@router.delete("/points/committees/{org_id}/rules/{kind}", responses=responses(CommitteeNotFound))
async def inherit_committee_rule(
    org_id: IdPath, kind: KindPath, caller: PointsManager, session: DbSession
) -> RuleRead:
    """Drop the committee's own rule: the one above it, or the default, holds again."""
    found = await service.inherit(session, caller.scope(Permission.POINTS_MANAGE), org_id, kind)
    return RuleRead.model_validate(found)


@router.get("/me/points")
async def my_points(
    caller: CurrentMember,
    session: ReadSession,
    runtime: RuntimeDep,
    period: Annotated[
        Literal["week", "month", "year", "all"],
        Query(description="The period of by_kind"),
    ] = "month",
) -> TotalsRead:
    """The caller's points this week, month and year (Beijing days) and of all time, and per
    kind for ``period``."""
    found = await service.totals(session, caller.member_id, now=runtime.clock.now(), period=period)
    return TotalsRead(
        week=found.week,
        month=found.month,
        year=found.year,
        all_time=found.all_time,
        period=period,
        by_kind=[
            KindPoints(kind=kind, label=KIND_LABELS[kind], points=points)
            for kind, points in found.by_kind.items()
        ],
    )


@router.get("/me/points/entries")
async def my_point_entries(
    caller: CurrentMember, session: ReadSession, page: PageParams
) -> Page[EntryRead]:
    """The caller's ledger, newest first: every row with the event that earned it."""
    rows = await service.entries(session, caller.member_id, after=page.after, limit=page.size + 1)
    return paginate(EntryRead, rows, page)


def _period(text: str | None, runtime: RuntimeDep) -> periods.Period:
    if text is None:
        return periods.this_month(runtime.clock.now())
    return periods.parse(text)


@router.get("/points/rankings", responses=responses(OrgNotFound, InvalidPeriod))
async def ranking(
    org_id: Annotated[
        int,
        Query(ge=1, le=INT32_MAX, description="A branch, general branch or committee"),
        Digits,
    ],
    caller: StudyReader,
    session: ReadSession,
    runtime: RuntimeDep,
    page: PageParams,
    period: PeriodQuery = None,
) -> Page[RankItem]:
    """The members of a branch (relation there) or of a committee's or general branch's
    subtree, by their points in the period; ties share a rank; members without points
    come last, sharing the last rank."""
    chosen = _period(period, runtime)
    org = await rankings.org_in_scope(session, caller.scope(Permission.STUDY_READ), org_id)
    after = None if page.cursor is None else decode_key(page.cursor, rankings.RankKey)
    rows = await rankings.page(session, org, chosen, after=after, limit=page.size + 1)
    return paginate(RankItem, rows, page, key=rankings.key_of)


@router.get("/me/rank", responses=responses(InvalidPeriod))
async def my_rank(
    caller: CurrentMember, session: ReadSession, runtime: RuntimeDep, period: PeriodQuery = None
) -> MyRankRead:
    """The caller's rank in their branch and in their nearest committee's subtree, and the
    top 10 of their branch."""
    chosen = _period(period, runtime)
    found = await rankings.mine(session, caller.member_id, chosen)
    return MyRankRead(
        period=chosen.name,
        points=found.points,
        branch=None if found.branch is None else StandingRead.model_validate(found.branch),
        committee=None if found.committee is None else StandingRead.model_validate(found.committee),
        top=[RankItem.model_validate(row) for row in found.top],
    )
