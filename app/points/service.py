"""Rules a committee sets for its subtree, and a member's own points (totals, ledger).

A committee's rule for a kind holds for its subtree until a committee below sets its own;
with none up the tree, the default of app/points/rules.py holds (the nearest-committee
pattern of app/notify/committee_settings.py; ``ledger.rule_for`` resolves it per member)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.kit.sql import insert_on_conflict
from app.models import (
    Activity,
    Attendance,
    NewsArticle,
    Organization,
    OrgClosure,
    OrgKind,
    PointEntry,
    PointKind,
    PointRule,
    StudyMaterial,
)
from app.points import periods
from app.points.errors import CommitteeNotFound, UnitNotApplicable
from app.points.rules import DEFAULT_RULES, KIND_LABELS, STUDY_UNIT_SECONDS


@dataclass(frozen=True)
class Effective:
    kind: PointKind
    label: str
    points: int
    unit_seconds: int | None
    daily_cap: int | None
    decided_by_org_id: int | None  # None: the default
    own: bool  # this committee set it


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


async def rules(session: AsyncSession, scope: Scope, org_id: int) -> list[Effective]:
    """Every kind's rule that holds in the committee's subtree, in the kinds' order."""
    committee = await _committee_in_scope(session, scope, org_id)
    rows = (
        await session.execute(
            select(PointRule)
            .join(OrgClosure, OrgClosure.ancestor_id == PointRule.org_id)
            .where(OrgClosure.descendant_id == committee)
            .order_by(OrgClosure.depth)
        )
    ).scalars()
    nearest: dict[PointKind, PointRule] = {}
    for row in rows:
        nearest.setdefault(row.kind, row)
    found: list[Effective] = []
    for kind in PointKind:
        label = KIND_LABELS[kind]
        if (rule := nearest.get(kind)) is not None:
            found.append(
                Effective(
                    kind,
                    label,
                    rule.points,
                    rule.unit_seconds,
                    rule.daily_cap,
                    rule.org_id,
                    own=rule.org_id == committee,
                )
            )
        else:
            default = DEFAULT_RULES[kind]
            found.append(
                Effective(
                    kind,
                    label,
                    default.points,
                    default.unit_seconds,
                    default.daily_cap,
                    None,
                    False,
                )
            )
    return found


def _one(found: list[Effective], kind: PointKind) -> Effective:
    return next(rule for rule in found if rule.kind is kind)


async def save(
    session: AsyncSession,
    scope: Scope,
    org_id: int,
    kind: PointKind,
    *,
    points: int,
    unit_seconds: int | None,
    daily_cap: int | None,
    account_id: int,
    now: datetime,
) -> Effective:
    """The committee's own rule for ``kind``; study time keeps its unit (5 minutes unless
    given), every other kind counts per event and takes none."""
    committee = await _committee_in_scope(session, scope, org_id)
    if kind is PointKind.STUDY_TIME:
        unit_seconds = unit_seconds or STUDY_UNIT_SECONDS
    elif unit_seconds is not None:
        raise UnitNotApplicable(details={"kind": kind.value})
    values = {
        "points": points,
        "unit_seconds": unit_seconds,
        "daily_cap": daily_cap,
        "updated_by_account_id": account_id,
        "updated_at": now,
    }
    await session.execute(
        insert_on_conflict(session, PointRule)
        .values(org_id=committee, kind=kind, **values)
        .on_conflict_do_update(index_elements=["org_id", "kind"], set_=values)
    )
    return _one(await rules(session, scope, committee), kind)


async def inherit(session: AsyncSession, scope: Scope, org_id: int, kind: PointKind) -> Effective:
    """Remove the committee's own rule: the one above (or the default) holds again."""
    committee = await _committee_in_scope(session, scope, org_id)
    await session.execute(
        delete(PointRule).where(PointRule.org_id == committee, PointRule.kind == kind)
    )
    return _one(await rules(session, scope, committee), kind)


class TotalsPeriod:
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    ALL = "all"


@dataclass(frozen=True)
class Totals:
    week: int
    month: int
    year: int
    all_time: int
    by_kind: dict[PointKind, int]  # of the chosen period


async def totals(session: AsyncSession, member_id: int, *, now: datetime, period: str) -> Totals:
    """One grouped read of the member's ledger (its (member_id, day) index): per kind, the
    sums since the start of this week, month and year in Beijing, and of all time."""
    today = periods.today(now)
    starts = {
        TotalsPeriod.WEEK: today - timedelta(days=today.weekday()),
        TotalsPeriod.MONTH: today.replace(day=1),
        TotalsPeriod.YEAR: today.replace(month=1, day=1),
    }

    def since(first: date) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((PointEntry.day >= first, PointEntry.points))), 0)

    rows = (
        await session.execute(
            select(
                PointEntry.kind,
                since(starts[TotalsPeriod.WEEK]).label(TotalsPeriod.WEEK),
                since(starts[TotalsPeriod.MONTH]).label(TotalsPeriod.MONTH),
                since(starts[TotalsPeriod.YEAR]).label(TotalsPeriod.YEAR),
                func.coalesce(func.sum(PointEntry.points), 0).label(TotalsPeriod.ALL),
            )
            .where(PointEntry.member_id == member_id)
            .group_by(PointEntry.kind)
        )
    ).all()
    sums = {row.kind: row for row in rows}

    def total(column: str) -> int:
        return sum(int(getattr(row, column)) for row in rows)

    return Totals(
        week=total(TotalsPeriod.WEEK),
        month=total(TotalsPeriod.MONTH),
        year=total(TotalsPeriod.YEAR),
        all_time=total(TotalsPeriod.ALL),
        by_kind={
            kind: int(getattr(sums[kind], period)) if kind in sums else 0 for kind in PointKind
        },
    )


@dataclass(frozen=True)
class Entry:
    id: int
    kind: PointKind
    label: str
    description: str
    points: int
    requested: int
    reversal: bool
    day: date
    created_at: datetime


def _described(kind: PointKind, source: str, titles: dict[str, str], unit: int) -> str:
    parts = source.split(":")
    title = titles.get(":".join(parts[:2]), "")
    if kind is PointKind.ACTIVITY_ATTENDED:
        return f"活动签到：{title}" if title else "活动签到"
    if kind is PointKind.STUDY_TIME and len(parts) == 4 and parts[2] == "unit":
        material = f"学习资料：{title}" if title else "学习资料"
        return f"{material} 第 {parts[3]} 个 {unit // 60} 分钟"
    if kind is PointKind.MATERIAL_COMPLETED:
        return f"学完学习资料：{title}" if title else "学完学习资料"
    if kind is PointKind.NEWS_READ:
        return f"新闻：{title}" if title else "新闻"
    if kind is PointKind.ANSWER_ACCEPTED:
        return "回答被采纳"
    return KIND_LABELS[kind]


async def _titles(session: AsyncSession, sources: Sequence[str]) -> dict[str, str]:
    """The title of every event object named in ``sources`` ("attendance:12" → the
    activity's title): one query per kind of object on the page, never per row."""
    ids: dict[str, set[int]] = {"attendance": set(), "material": set(), "article": set()}
    for source in sources:
        parts = source.split(":")
        if len(parts) >= 2 and parts[0] in ids and parts[1].isdigit():
            ids[parts[0]].add(int(parts[1]))
    titles: dict[str, str] = {}
    if ids["attendance"]:
        rows = await session.execute(
            select(Attendance.id, Activity.title)
            .join(Activity, Activity.id == Attendance.activity_id)
            .where(Attendance.id.in_(ids["attendance"]))
        )
        titles.update({f"attendance:{i}": t for i, t in rows.all()})
    if ids["material"]:
        rows = await session.execute(
            select(StudyMaterial.id, StudyMaterial.title).where(
                StudyMaterial.id.in_(ids["material"])
            )
        )
        titles.update({f"material:{i}": t for i, t in rows.all()})
    if ids["article"]:
        rows = await session.execute(
            select(NewsArticle.id, NewsArticle.title).where(NewsArticle.id.in_(ids["article"]))
        )
        titles.update({f"article:{i}": t for i, t in rows.all()})
    return titles


async def entries(
    session: AsyncSession, member_id: int, *, after: int | None, limit: int
) -> list[Entry]:
    """The member's ledger, newest first, each row described in Chinese by its event."""
    unit = func.coalesce(PointRule.unit_seconds, STUDY_UNIT_SECONDS)
    query = (
        select(PointEntry, unit.label("unit"))
        .outerjoin(
            PointRule,
            and_(PointRule.org_id == PointEntry.rule_org_id, PointRule.kind == PointEntry.kind),
        )
        .where(PointEntry.member_id == member_id)
        .order_by(PointEntry.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(PointEntry.id < after)
    rows = (await session.execute(query)).all()
    titles = await _titles(session, [row.PointEntry.source for row in rows])
    return [
        Entry(
            id=entry.id,
            kind=entry.kind,
            label=KIND_LABELS[entry.kind],
            description=_described(entry.kind, entry.source, titles, int(unit_seconds)),
            points=entry.points,
            requested=entry.requested,
            reversal=entry.reversal,
            day=entry.day,
            created_at=entry.created_at,
        )
        for entry, unit_seconds in rows
    ]
