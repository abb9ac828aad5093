"""How far the audience of a study task got, counted in SQL from study_progress (one
SELECT, the audience a subquery), and the reminders to those who have not finished."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.config import Settings
from app.kit.sheet import local
from app.models import (
    Member,
    NotificationKind,
    Organization,
    OrgClosure,
    StudyProgress,
    StudyTask,
)
from app.notify import outbox
from app.orgs import service as orgs_service
from app.orgs.audience import audience_members
from app.study.errors import (
    RemindedRecently,
    TaskCancelled,
    TaskOverdue,
)
from app.study.tasks import (
    REMIND_EVERY,
    TASK_PAGE,
    TaskView,
    get_in_scope,
    notice_data,
    view,
)
from app.study.tasks_schemas import StudyState

# --- completion ---------------------------------------------------------------------------


def member_states(task: TaskView) -> Select[Any]:
    """One row per audience member: their organization (relation, else workplace), the
    materials of the task they completed, their credited seconds on them, when they
    completed the last one, and their state. One SELECT; the audience is a subquery."""
    material_ids = [m.id for m in task.materials]
    total = len(material_ids)
    people = audience_members(task.audience_org_ids, task.audience_statuses, as_of=None)
    progress = (
        select(
            StudyProgress.member_id.label("member_id"),
            func.count(StudyProgress.completed_at).label("done"),
            func.sum(StudyProgress.credited_seconds).label("seconds"),
            func.max(StudyProgress.completed_at).label("last_completed_at"),
        )
        .where(StudyProgress.material_id.in_(material_ids), StudyProgress.member_id.in_(people))
        .group_by(StudyProgress.member_id)
        .subquery()
    )
    done = func.coalesce(progress.c.done, 0)
    state = case(
        (done >= total, StudyState.COMPLETED.value),
        (progress.c.member_id.is_not(None), StudyState.IN_PROGRESS.value),
        else_=StudyState.NOT_STARTED.value,
    )
    org_id = func.coalesce(Member.relation_org_id, Member.workplace_org_id)
    return (
        select(
            Member.id.label("member_id"),
            Member.name.label("name"),
            Member.party_status.label("party_status"),
            org_id.label("org_id"),
            done.label("materials_done"),
            func.coalesce(progress.c.seconds, 0).label("credited_seconds"),
            case((done >= total, progress.c.last_completed_at)).label("completed_at"),
            state.label("state"),
        )
        .select_from(Member)
        .outerjoin(progress, progress.c.member_id == Member.id)
        .where(Member.id.in_(people))
    )


@dataclass(frozen=True)
class Counts:
    audience: int = 0
    completed: int = 0
    in_progress: int = 0
    not_started: int = 0

    @property
    def completion_rate(self) -> float:
        return round(self.completed / self.audience, 4) if self.audience else 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.audience + other.audience,
            self.completed + other.completed,
            self.in_progress + other.in_progress,
            self.not_started + other.not_started,
        )


@dataclass(frozen=True)
class OrgCounts(Counts):
    org_id: int = 0
    name: str = ""


@dataclass(frozen=True)
class Completion:
    task_id: int
    totals: Counts
    by_org: list[OrgCounts] = field(default_factory=list)


def _counted(state: ColumnElement[str], value: StudyState) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((state == value.value, 1), else_=0)), 0).cast(Integer)


async def completion(session: AsyncSession, task: TaskView) -> Completion:
    rows = member_states(task).subquery()
    grouped = await session.execute(
        select(
            rows.c.org_id,
            Organization.name,
            func.count(),
            _counted(rows.c.state, StudyState.COMPLETED),
            _counted(rows.c.state, StudyState.IN_PROGRESS),
            _counted(rows.c.state, StudyState.NOT_STARTED),
        )
        .join(Organization, Organization.id == rows.c.org_id)
        .group_by(rows.c.org_id, Organization.name)
        .order_by(rows.c.org_id)
    )
    by_org = [
        OrgCounts(int(n), int(c), int(p), int(s), org_id=org_id, name=name)
        for org_id, name, n, c, p, s in grouped.all()
    ]
    totals = sum(
        (Counts(o.audience, o.completed, o.in_progress, o.not_started) for o in by_org), Counts()
    )
    return Completion(task.task.id, totals, by_org)


async def pending(
    session: AsyncSession,
    scope: Scope,
    task: TaskView,
    *,
    org_id: int | None,
    after_id: int | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Audience members who have not completed the task, in member id order; with
    ``org_id``, those whose organization lies in its subtree (it must lie in scope)."""
    rows = member_states(task).subquery()
    query = (
        select(rows, Organization.name.label("org_name"), _total(task).label("materials_total"))
        .join(Organization, Organization.id == rows.c.org_id)
        .where(rows.c.state != StudyState.COMPLETED.value)
    )
    if org_id is not None:
        await orgs_service.get_in_scope(session, scope, org_id)
        query = query.where(
            rows.c.org_id.in_(
                select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id == org_id)
            )
        )
    if after_id is not None:
        query = query.where(rows.c.member_id > after_id)
    return (await session.execute(query.order_by(rows.c.member_id).limit(limit))).all()


def _total(task: TaskView) -> ColumnElement[int]:
    return literal(len(task.materials), type_=Integer)


async def everyone(session: AsyncSession, task: TaskView) -> Sequence[Row[Any]]:
    """Every audience member with their state, by organization then id: the sheet's rows."""
    rows = member_states(task).subquery()
    return (
        await session.execute(
            select(rows, Organization.name.label("org_name"))
            .join(Organization, Organization.id == rows.c.org_id)
            .order_by(rows.c.org_id, rows.c.member_id)
        )
    ).all()


async def org_names(session: AsyncSession, org_ids: Sequence[int]) -> list[str]:
    names = dict(
        (
            await session.execute(
                select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
            )
        ).all()
    )
    return [names[i] for i in org_ids if i in names]


# --- reminders ----------------------------------------------------------------------------


async def remind(
    session: AsyncSession, settings: Settings, scope: Scope, task_id: int, *, now: datetime
) -> int:
    """Notifies every audience member who has not completed; answers how many. Once an
    hour per task: the conditional UPDATE of ``last_reminded_at`` is the guard, so two
    managers pressing at once send one reminder."""
    task = await get_in_scope(session, scope, task_id)
    if task.cancelled_at is not None:
        raise TaskCancelled()
    if task.due_at <= now:
        raise TaskOverdue()
    taken = await session.execute(
        update(StudyTask)
        .where(
            StudyTask.id == task.id,
            or_(
                StudyTask.last_reminded_at.is_(None),
                StudyTask.last_reminded_at <= now - REMIND_EVERY,
            ),
        )
        .values(last_reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:  # type: ignore[attr-defined]
        await session.refresh(task, attribute_names=["last_reminded_at"])
        last = task.last_reminded_at or now
        wait = max(1, math.ceil((last + REMIND_EVERY - now).total_seconds()))
        raise RemindedRecently(
            details={"retry_after_seconds": wait}, headers={"Retry-After": str(wait)}
        )
    await session.refresh(task)
    shown_task = await view(session, task)
    rows = member_states(shown_task).subquery()
    not_done = select(rows.c.member_id).where(rows.c.state != StudyState.COMPLETED.value)
    count = await session.scalar(select(func.count()).select_from(not_done.subquery())) or 0
    if count:
        await outbox.notify(
            session,
            settings,
            kind=NotificationKind.STUDY_TASK_REMINDER,
            source=f"study_task:{task.id}:reminder:{now.isoformat()}",
            subject=f"study_task:{task.id}",
            title=f"学习提醒：{task.title}",
            body=f"学习任务尚未完成，请于{local(task.due_at)}前完成",
            recipients=not_done,
            now=now,
            org_id=task.org_id,
            page=TASK_PAGE.format(id=task.id),
            data=notice_data(task, "未完成"),
        )
    return int(count)
