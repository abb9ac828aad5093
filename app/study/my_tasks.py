"""A member's own study tasks: those whose audience holds them, with their progress on each
material; open ones first by due time, then the done or overdue ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.pagination import CursorKey
from app.kit.types import DbId
from app.kit.validation import Moment
from app.models import (
    StudyMaterial,
    StudyProgress,
    StudyTask,
    StudyTaskAudience,
    StudyTaskMaterial,
)
from app.news.feed import Reach
from app.study.errors import (
    TaskNotFound,
)

# --- a member's own tasks -----------------------------------------------------------------


class MyTaskKey(CursorKey):
    """Where a page of a member's tasks ends: (group, due, id); group 0 is the open tasks
    (by due time, soonest first), group 1 the done or overdue ones (latest due first)."""

    group: int
    due: Moment
    id: DbId


@dataclass
class MaterialLine:
    material_id: int
    title: str
    credited_seconds: int
    required_seconds: int
    completed: bool


@dataclass
class MyTaskView:
    task: StudyTask
    group: int
    overdue: bool
    completed: bool
    completed_at: datetime | None
    materials: list[MaterialLine]

    def __getattr__(self, name: str) -> object:
        return getattr(self.task, name)


def my_task_key(item: MyTaskView) -> MyTaskKey:
    return MyTaskKey(group=item.group, due=item.task.due_at, id=item.task.id)


def _aimed_at(reach: Reach) -> ColumnElement[bool]:
    return exists().where(
        StudyTaskAudience.task_id == StudyTask.id,
        StudyTaskAudience.party_status == reach.status,
        StudyTaskAudience.org_id.in_(reach.org_ids),
    )


def _done_count(member_id: int) -> ColumnElement[int]:
    return (
        select(func.count())
        .select_from(StudyTaskMaterial)
        .join(
            StudyProgress,
            and_(
                StudyProgress.material_id == StudyTaskMaterial.material_id,
                StudyProgress.member_id == member_id,
                StudyProgress.completed_at.is_not(None),
            ),
        )
        .where(StudyTaskMaterial.task_id == StudyTask.id)
        .scalar_subquery()
    )


def _material_count() -> ColumnElement[int]:
    return select(func.count()).where(StudyTaskMaterial.task_id == StudyTask.id).scalar_subquery()


async def my_tasks(
    session: AsyncSession,
    reach: Reach,
    *,
    now: datetime,
    after: MyTaskKey | None,
    limit: int,
    task_id: int | None = None,
) -> list[MyTaskView]:
    """The tasks whose audience holds the member (not cancelled ones in the list; one by id
    even when cancelled), open ones first."""
    if not reach.org_ids:
        return []
    is_open = and_(_done_count(reach.member_id) < _material_count(), StudyTask.due_at > now)
    ranked = (
        select(StudyTask.id.label("id"), case((is_open, 0), else_=1).label("grp"), StudyTask.due_at)
        .where(_aimed_at(reach))
        .subquery()
    )
    query = select(ranked.c.id, ranked.c.grp)
    if task_id is not None:
        query = query.where(ranked.c.id == task_id)
    else:
        query = query.join(StudyTask, StudyTask.id == ranked.c.id).where(
            StudyTask.cancelled_at.is_(None)
        )
    if after is not None:
        if after.group == 0:
            query = query.where(
                or_(
                    ranked.c.grp == 1,
                    and_(
                        ranked.c.grp == 0,
                        or_(
                            ranked.c.due_at > after.due,
                            and_(ranked.c.due_at == after.due, ranked.c.id > after.id),
                        ),
                    ),
                )
            )
        else:
            query = query.where(
                ranked.c.grp == 1,
                or_(
                    ranked.c.due_at < after.due,
                    and_(ranked.c.due_at == after.due, ranked.c.id < after.id),
                ),
            )
    opened = ranked.c.grp == 0
    query = query.order_by(
        ranked.c.grp,
        case((opened, ranked.c.due_at)),
        case((opened, ranked.c.id)),
        case((~opened, ranked.c.due_at)).desc(),
        case((~opened, ranked.c.id)).desc(),
    ).limit(limit)
    found = (await session.execute(query)).all()
    if not found:
        return []
    groups = {task_id: int(group) for task_id, group in found}
    tasks = {
        t.id: t
        for t in await session.scalars(select(StudyTask).where(StudyTask.id.in_(list(groups))))
    }
    lines: dict[int, list[tuple[MaterialLine, datetime | None]]] = {i: [] for i in groups}
    for row in await session.execute(
        select(
            StudyTaskMaterial.task_id,
            StudyMaterial.id,
            StudyMaterial.title,
            StudyMaterial.required_seconds,
            func.coalesce(StudyProgress.credited_seconds, 0),
            StudyProgress.completed_at,
        )
        .join(StudyMaterial, StudyMaterial.id == StudyTaskMaterial.material_id)
        .outerjoin(
            StudyProgress,
            and_(
                StudyProgress.material_id == StudyMaterial.id,
                StudyProgress.member_id == reach.member_id,
            ),
        )
        .where(StudyTaskMaterial.task_id.in_(list(groups)))
        .order_by(StudyTaskMaterial.task_id, StudyTaskMaterial.position)
    ):
        owner, material_id, title, required, credited, completed_at = row
        line = MaterialLine(material_id, title, int(credited), required, completed_at is not None)
        lines[owner].append((line, completed_at))
    views_: list[MyTaskView] = []
    for task_id_, group in groups.items():
        task = tasks[task_id_]
        own = lines[task_id_]
        completed = all(line.completed for line, _ in own)
        times = [at for _, at in own if at is not None]
        views_.append(
            MyTaskView(
                task=task,
                group=group,
                overdue=not completed and task.due_at <= now,
                completed=completed,
                completed_at=max(times) if completed and times else None,
                materials=[line for line, _ in own],
            )
        )
    return views_


async def my_task(
    session: AsyncSession, reach: Reach | None, task_id: int, *, now: datetime
) -> MyTaskView:
    found = (
        []
        if reach is None
        else await my_tasks(session, reach, now=now, after=None, limit=1, task_id=task_id)
    )
    if not found:
        raise TaskNotFound()
    return found[0]
