"""Study tasks (学习任务): materials assigned to an audience (news's model: organization
subtrees × party statuses) with a due time; what each member of it has done, counted in SQL
from study_progress; the reminders to those who have not done it; a member's own tasks.

A member completed a task when every material of it has ``study_progress.completed_at``.
Progress belongs to the member and the material, not to the task: a material studied before
the task was assigned counts for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    delete,
    exists,
    func,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.config import Settings
from app.kit.sheet import local
from app.kit.time import shown
from app.models import (
    MaterialStatus,
    NotificationKind,
    OrgClosure,
    PartyStatus,
    StudyMaterial,
    StudyProgress,
    StudyTask,
    StudyTaskAudience,
    StudyTaskMaterial,
)
from app.notify import outbox
from app.orgs import service as orgs_service
from app.orgs.audience import audience_members, check_orgs
from app.study.errors import (
    DueInPast,
    MaterialNotFound,
    MaterialOutOfReach,
    TaskCancelled,
    TaskMaterialNotPublished,
    TaskNotFound,
    TaskStarted,
)
from app.study.tasks_schemas import TaskCreate, TaskUpdate

REMIND_EVERY = timedelta(hours=1)
TASK_PAGE = "pages/study/task?id={id}"


# --- the task and what it is made of ------------------------------------------------------


@dataclass
class TaskView:
    """A task as the routes show it: its row, its materials in order, its audience."""

    task: StudyTask
    materials: list[StudyMaterial]
    audience_org_ids: list[int]
    audience_statuses: list[PartyStatus]

    def __getattr__(self, name: str) -> object:  # the task's own columns
        return getattr(self.task, name)


async def get_in_scope(session: AsyncSession, scope: Scope, task_id: int) -> StudyTask:
    """A task of an organization the caller assigns study for; 404 otherwise."""
    task = await session.scalar(
        select(StudyTask).where(StudyTask.id == task_id, scope.covers(StudyTask.org_id))
    )
    if task is None:
        raise TaskNotFound()
    return task


async def views(session: AsyncSession, tasks: Sequence[StudyTask]) -> list[TaskView]:
    """The tasks with their materials and audience: two queries however many tasks."""
    ids = [t.id for t in tasks]
    materials: dict[int, list[StudyMaterial]] = {i: [] for i in ids}
    for task_id, material in await session.execute(
        select(StudyTaskMaterial.task_id, StudyMaterial)
        .join(StudyMaterial, StudyMaterial.id == StudyTaskMaterial.material_id)
        .where(StudyTaskMaterial.task_id.in_(ids))
        .order_by(StudyTaskMaterial.task_id, StudyTaskMaterial.position)
    ):
        materials[task_id].append(material)
    orgs: dict[int, list[int]] = {i: [] for i in ids}
    statuses: dict[int, list[PartyStatus]] = {i: [] for i in ids}
    for task_id, org_id, status in await session.execute(
        select(StudyTaskAudience.task_id, StudyTaskAudience.org_id, StudyTaskAudience.party_status)
        .where(StudyTaskAudience.task_id.in_(ids))
        .order_by(StudyTaskAudience.task_id, StudyTaskAudience.org_id)
    ):
        if org_id not in orgs[task_id]:
            orgs[task_id].append(org_id)
        if status not in statuses[task_id]:
            statuses[task_id].append(status)
    return [TaskView(t, materials[t.id], orgs[t.id], statuses[t.id]) for t in tasks]


async def view(session: AsyncSession, task: StudyTask) -> TaskView:
    return (await views(session, [task]))[0]


def _check_due(due_at: datetime, now: datetime) -> None:
    if due_at <= now:
        raise DueInPast(details={"due_at": shown(due_at)})


async def _check_materials(
    session: AsyncSession, material_ids: Sequence[int], audience_org_ids: Sequence[int]
) -> None:
    """Every material exists, is published, and every member of the audience may open it:
    its organization is at or above every audience organization."""
    # How many audience organizations lie in the material's subtree (each is its own ancestor).
    reached = (
        select(func.count())
        .where(
            OrgClosure.ancestor_id == StudyMaterial.org_id,
            OrgClosure.descendant_id.in_(audience_org_ids),
        )
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(StudyMaterial.id, StudyMaterial.status, reached).where(
                StudyMaterial.id.in_(material_ids)
            )
        )
    ).all()
    found = {row[0]: row for row in rows}
    missing = [i for i in material_ids if i not in found]
    if missing:
        raise MaterialNotFound(details={"material_ids": missing})
    unpublished = [i for i in material_ids if found[i][1] is not MaterialStatus.PUBLISHED]
    if unpublished:
        raise TaskMaterialNotPublished(details={"material_ids": unpublished})
    unreachable = [i for i in material_ids if found[i][2] < len(set(audience_org_ids))]
    if unreachable:
        raise MaterialOutOfReach(details={"material_ids": unreachable})


async def _set_materials(session: AsyncSession, task_id: int, material_ids: Sequence[int]) -> None:
    await session.execute(delete(StudyTaskMaterial).where(StudyTaskMaterial.task_id == task_id))
    await session.execute(
        insert(StudyTaskMaterial),
        [{"task_id": task_id, "material_id": m, "position": n} for n, m in enumerate(material_ids)],
    )


async def _set_audience(
    session: AsyncSession, task_id: int, org_ids: Sequence[int], statuses: Sequence[PartyStatus]
) -> None:
    await session.execute(delete(StudyTaskAudience).where(StudyTaskAudience.task_id == task_id))
    await session.execute(
        insert(StudyTaskAudience),
        [{"task_id": task_id, "org_id": o, "party_status": s} for o in org_ids for s in statuses],
    )


def notice_data(task: StudyTask, status: str) -> dict[str, object]:
    return {
        "task_id": task.id,
        "task_title": task.title,
        "due_at": shown(task.due_at),
        "status": status,
    }


def assigned_source(task_id: int) -> str:
    return f"study_task:{task_id}:assigned"


async def create(
    session: AsyncSession,
    settings: Settings,
    scope: Scope,
    body: TaskCreate,
    *,
    account_id: int | None,
    now: datetime,
    announce: bool = True,
) -> TaskView:
    """The task; with ``announce``, its audience is notified in the same transaction."""
    await check_orgs(session, scope, body.audience_org_ids)
    if body.org_id is not None:
        await orgs_service.get_in_scope(session, scope, body.org_id)
    _check_due(body.due_at, now)
    await _check_materials(session, body.material_ids, body.audience_org_ids)
    task = StudyTask(
        org_id=body.org_id or body.audience_org_ids[0],
        title=body.title,
        description=body.description,
        due_at=body.due_at,
        created_by_account_id=account_id,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    await session.flush()
    await _set_materials(session, task.id, body.material_ids)
    await _set_audience(session, task.id, body.audience_org_ids, body.audience_statuses)
    if not announce:
        return await view(session, task)
    await outbox.notify(
        session,
        settings,
        kind=NotificationKind.STUDY_TASK_ASSIGNED,
        source=assigned_source(task.id),
        subject=f"study_task:{task.id}",
        title=f"学习任务：{task.title}",
        body=f"请于{local(task.due_at)}前完成学习",
        recipients=audience_members(body.audience_org_ids, body.audience_statuses, as_of=None),
        now=now,
        org_id=task.org_id,
        page=TASK_PAGE.format(id=task.id),
        data=notice_data(task, "待学习"),
    )
    return await view(session, task)


async def update_task(
    session: AsyncSession, scope: Scope, task_id: int, body: TaskUpdate, *, now: datetime
) -> TaskView:
    task = await get_in_scope(session, scope, task_id)
    if task.cancelled_at is not None:
        raise TaskCancelled()
    current = await view(session, task)
    changes = body.model_dump(exclude_unset=True)
    if body.title is not None:
        task.title = body.title
    if "description" in changes:  # an explicit null takes the description away
        task.description = body.description
    if body.due_at is not None:
        _check_due(body.due_at, now)
        task.due_at = body.due_at
    materials, orgs, statuses = body.material_ids, body.audience_org_ids, body.audience_statuses
    if materials is not None or orgs is not None or statuses is not None:
        if await _anyone_started(session, current):
            raise TaskStarted()
        if orgs is not None:
            await check_orgs(session, scope, orgs)
        orgs = orgs or current.audience_org_ids
        statuses = statuses or current.audience_statuses
        materials = materials or [m.id for m in current.materials]
        await _check_materials(session, materials, orgs)
        await _set_materials(session, task.id, materials)
        await _set_audience(session, task.id, orgs, statuses)
    if changes:
        task.updated_at = now
    await session.flush()
    return await view(session, task)


async def _anyone_started(session: AsyncSession, current: TaskView) -> bool:
    people = audience_members(current.audience_org_ids, current.audience_statuses, as_of=None)
    started = await session.scalar(
        select(
            exists().where(
                StudyProgress.material_id.in_([m.id for m in current.materials]),
                StudyProgress.member_id.in_(people),
            )
        )
    )
    return bool(started)


async def cancel(session: AsyncSession, scope: Scope, task_id: int, *, now: datetime) -> TaskView:
    task = await get_in_scope(session, scope, task_id)
    if task.cancelled_at is not None:
        raise TaskCancelled()
    task.cancelled_at = now
    task.updated_at = now
    await session.flush()
    # An assignment not yet delivered is not delivered now; what has arrived stays.
    await outbox.withdraw(session, assigned_source(task.id))
    return await view(session, task)


async def list_in_scope(
    session: AsyncSession, scope: Scope, *, after_id: int | None, limit: int
) -> list[TaskView]:
    """Newest first; ``after_id`` is the last task of the page before."""
    query = select(StudyTask).where(scope.covers(StudyTask.org_id))
    if after_id is not None:
        query = query.where(StudyTask.id < after_id)
    found = (await session.scalars(query.order_by(StudyTask.id.desc()).limit(limit))).all()
    return await views(session, found)
