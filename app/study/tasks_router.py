"""Study tasks: assigning them, their completion and its sheet, reminders; a member's own."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from app.attendance.sheet import STATUS_NAMES
from app.auth.dependencies import CurrentPrincipal, StudyManager
from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit import sheet
from app.kit.pagination import Page, PageParams, decode_key, paginate
from app.kit.types import IdPath, IdQuery
from app.news.feed import reach_of
from app.orgs.errors import OrgNotFound
from app.runtime import RuntimeDep
from app.study import completion as completion_service
from app.study import my_tasks as member_tasks
from app.study import tasks as service
from app.study.errors import (
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
from app.study.tasks_schemas import (
    CompletionCounts,
    MyTask,
    OrgCompletion,
    PendingMember,
    Reminded,
    StudyState,
    TaskCompletion,
    TaskCreate,
    TaskRead,
    TaskUpdate,
)

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1", tags=["study tasks"])

MATERIAL_ERRORS = (MaterialNotFound, TaskMaterialNotPublished, MaterialOutOfReach)
STATE_NAMES = {
    StudyState.COMPLETED: "已完成",
    StudyState.IN_PROGRESS: "学习中",
    StudyState.NOT_STARTED: "未开始",
}
SHEET_HEADINGS = (
    "序号",
    "姓名",
    "组织",
    "政治面貌",
    "已完成资料",
    "学习时长（分钟）",
    "状态",
    "完成时间",
)


@router.post(
    "/study/tasks",
    status_code=status.HTTP_201_CREATED,
    responses=responses(OrgNotFound, DueInPast, *MATERIAL_ERRORS),
)
async def create_task(
    body: TaskCreate, caller: StudyManager, session: DbSession, runtime: RuntimeDep
) -> TaskRead:
    """Assign published materials to an audience with a due time; the audience is notified."""
    task = await service.create(
        session,
        runtime.settings,
        caller.scope(Permission.STUDY_MANAGE),
        body,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return TaskRead.model_validate(task)


@router.get("/study/tasks")
async def list_tasks(
    caller: StudyManager, session: ReadSession, page: PageParams
) -> Page[TaskRead]:
    """Tasks of the organizations the caller assigns study for, newest first."""
    found = await service.list_in_scope(
        session, caller.scope(Permission.STUDY_MANAGE), after_id=page.after, limit=page.size + 1
    )
    return paginate(TaskRead, found, page)


@router.get("/study/tasks/{task_id}", responses=responses(TaskNotFound))
async def get_task(task_id: IdPath, caller: StudyManager, session: ReadSession) -> TaskRead:
    task = await service.get_in_scope(session, caller.scope(Permission.STUDY_MANAGE), task_id)
    return TaskRead.model_validate(await service.view(session, task))


@router.patch(
    "/study/tasks/{task_id}",
    responses=responses(
        TaskNotFound, TaskCancelled, TaskStarted, DueInPast, OrgNotFound, *MATERIAL_ERRORS
    ),
)
async def update_task(
    task_id: IdPath, body: TaskUpdate, caller: StudyManager, session: DbSession, runtime: RuntimeDep
) -> TaskRead:
    """Change the title, description or due time; the materials and the audience only
    while nobody in the audience has studied the task's materials (409 after)."""
    task = await service.update_task(
        session, caller.scope(Permission.STUDY_MANAGE), task_id, body, now=runtime.clock.now()
    )
    return TaskRead.model_validate(task)


@router.post("/study/tasks/{task_id}/cancel", responses=responses(TaskNotFound, TaskCancelled))
async def cancel_task(
    task_id: IdPath, caller: StudyManager, session: DbSession, runtime: RuntimeDep
) -> TaskRead:
    """Call the task off: members no longer see it in their list; its undelivered
    assignment notices are withdrawn."""
    task = await service.cancel(
        session, caller.scope(Permission.STUDY_MANAGE), task_id, now=runtime.clock.now()
    )
    return TaskRead.model_validate(task)


@router.get("/study/tasks/{task_id}/completion", responses=responses(TaskNotFound))
async def task_completion(
    task_id: IdPath, caller: StudyManager, session: ReadSession
) -> TaskCompletion:
    """How many of the audience completed, are studying, have not started: in all and per
    organization (the member's relation organization, else their workplace)."""
    task = await service.get_in_scope(session, caller.scope(Permission.STUDY_MANAGE), task_id)
    found = await completion_service.completion(session, await service.view(session, task))
    return TaskCompletion(
        task_id=found.task_id,
        totals=CompletionCounts.model_validate(found.totals, from_attributes=True),
        by_org=[OrgCompletion.model_validate(o, from_attributes=True) for o in found.by_org],
    )


@router.get(
    "/study/tasks/{task_id}/completion/pending", responses=responses(TaskNotFound, OrgNotFound)
)
async def task_pending(
    task_id: IdPath,
    caller: StudyManager,
    session: ReadSession,
    page: PageParams,
    org_id: IdQuery = None,
) -> Page[PendingMember]:
    """Who of the audience has not completed, in member order; with ``org_id``, those of
    that organization's subtree."""
    scope = caller.scope(Permission.STUDY_MANAGE)
    task = await service.get_in_scope(session, scope, task_id)
    rows = await completion_service.pending(
        session,
        scope,
        await service.view(session, task),
        org_id=org_id,
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(PendingMember, rows, page, key=_member_key)


def _member_key(row: Any) -> int:
    return int(row.member_id)


@router.get(
    "/study/tasks/{task_id}/completion.xlsx",
    response_class=Response,
    responses={
        200: sheet.answer("完成情况 (.xlsx)"),
        **responses(TaskNotFound),
    },
)
async def completion_sheet(
    task_id: IdPath, caller: StudyManager, session: ReadSession, runtime: RuntimeDep
) -> Response:
    """The completion sheet: one row per audience member, with Chinese headings, the
    task's audience, due time and materials, and the generation time on top."""
    task = await service.get_in_scope(session, caller.scope(Permission.STUDY_MANAGE), task_id)
    shown = await service.view(session, task)
    total = len(shown.materials)
    rows = [
        [
            n,
            row.name,
            row.org_name,
            STATUS_NAMES[row.party_status],
            f"{row.materials_done}/{total}",
            round(int(row.credited_seconds) / 60, 1),
            STATE_NAMES[StudyState(row.state)],
            sheet.local(row.completed_at),
        ]
        for n, row in enumerate(await completion_service.everyone(session, shown), start=1)
    ]
    orgs = "、".join(await completion_service.org_names(session, shown.audience_org_ids))
    workbook = sheet.build(
        title=f"{task.title} 完成情况",
        sheet_name="完成情况",
        filters=[
            f"组织：{orgs}",
            f"截止时间：{sheet.local(task.due_at)}",
            f"资料：{'、'.join(m.title for m in shown.materials)}",
        ],
        generated_at=runtime.clock.now(),
        headings=SHEET_HEADINGS,
        widths=(6, 12, 30, 12, 12, 16, 10, 18),
        rows=rows,
    )
    return sheet.download(
        workbook, ascii_name=f"study-task-{task.id}.xlsx", name=f"{task.title}-完成情况.xlsx"
    )


@router.post(
    "/study/tasks/{task_id}/reminders",
    responses=responses(TaskNotFound, TaskCancelled, TaskOverdue, RemindedRecently),
)
async def remind(
    task_id: IdPath, caller: StudyManager, session: DbSession, runtime: RuntimeDep
) -> Reminded:
    """Remind every audience member who has not completed; once an hour per task, and only
    before the due time."""
    count = await completion_service.remind(
        session,
        runtime.settings,
        caller.scope(Permission.STUDY_MANAGE),
        task_id,
        now=runtime.clock.now(),
    )
    return Reminded(reminded=count)


@router.get("/me/study-tasks")
async def my_tasks(
    caller: CurrentPrincipal, session: ReadSession, page: PageParams, runtime: RuntimeDep
) -> Page[MyTask]:
    """The caller's tasks with their progress: open ones first (soonest due first), then
    those done or overdue (latest due first)."""
    after = None if page.cursor is None else decode_key(page.cursor, member_tasks.MyTaskKey)
    reach = await reach_of(session, caller.member_id)
    if reach is None:
        return Page[MyTask](items=[])
    found = await member_tasks.my_tasks(
        session, reach, now=runtime.clock.now(), after=after, limit=page.size + 1
    )
    return paginate(MyTask, found, page, key=member_tasks.my_task_key)


@router.get("/me/study-tasks/{task_id}", responses=responses(TaskNotFound))
async def my_task(
    task_id: IdPath, caller: CurrentPrincipal, session: ReadSession, runtime: RuntimeDep
) -> MyTask:
    """One of the caller's tasks; 404 for a task whose audience does not hold them."""
    reach = await reach_of(session, caller.member_id)
    found = await member_tasks.my_task(session, reach, task_id, now=runtime.clock.now())
    return MyTask.model_validate(found, from_attributes=True)
