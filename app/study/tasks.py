"""Study tasks (学习任务): materials assigned to an audience (news's model: organization
subtrees × party statuses) with a due time; what each member of it has done, counted in SQL
from study_progress; the reminders to those who have not done it; a member's own tasks.

A member completed a task when every material of it has ``study_progress.completed_at``.
Progress belongs to the member and the material, not to the task: a material studied before
the task was assigned counts for it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.config import Settings
from app.kit.pagination import CursorKey
from app.kit.sheet import local
from app.kit.time import shown
from app.kit.types import DbId
from app.kit.validation import Moment
from app.models import (
    MaterialStatus,
    Member,
    NotificationKind,
    Organization,
    OrgClosure,
    PartyStatus,
    StudyMaterial,
    StudyProgress,
    StudyTask,
    StudyTaskAudience,
    StudyTaskMaterial,
)
from app.news.feed import Reach
from app.notify import outbox
from app.orgs import service as orgs_service
from app.orgs.audience import audience_members, check_orgs
from app.study.task_errors import (
    DueInPast,
    MaterialNotFound,
    MaterialOutOfReach,
    RemindedRecently,
    TaskCancelled,
    TaskMaterialNotPublished,
    TaskNotFound,
    TaskOverdue,
    TaskStarted,
)
from app.study.tasks_schemas import StudyState, TaskCreate, TaskUpdate

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


def _notice_data(task: StudyTask, status: str) -> dict[str, object]:
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
        data=_notice_data(task, "待学习"),
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
            data=_notice_data(task, "未完成"),
        )
    return int(count)


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
