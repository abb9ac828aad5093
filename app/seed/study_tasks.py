"""A demo study task: the demo branch's members have something to study. It assigns the
published materials open to the branch (its own and those of every organization above it),
which the materials demo seeds; without any, it adds nothing. Not announced: the demo's
notifications are the ones made through the API."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.config import Settings
from app.models import MaterialStatus, Organization, OrgClosure, StudyMaterial, StudyTask
from app.study import tasks
from app.study.tasks_schemas import MAX_TASK_MATERIALS, TaskCreate

TITLE = "学习党章和党的二十届三中全会精神"
DESCRIPTION = "请在截止时间前学完全部资料，学习时长由系统自动记录。"
DUE_IN = timedelta(days=14)


async def seed_demo_tasks(
    session: AsyncSession, settings: Settings, branch: Organization, *, now: datetime
) -> StudyTask | None:
    """One task over the published materials open to ``branch``, aimed at its full and
    probationary members, due in two weeks; None when there are no such materials or the
    task exists already."""
    if await session.scalar(
        select(StudyTask.id).where(StudyTask.org_id == branch.id, StudyTask.title == TITLE)
    ):
        return None
    above = select(OrgClosure.ancestor_id).where(OrgClosure.descendant_id == branch.id)
    material_ids = list(
        await session.scalars(
            select(StudyMaterial.id)
            .where(
                StudyMaterial.status == MaterialStatus.PUBLISHED,
                StudyMaterial.org_id.in_(above),
            )
            .order_by(StudyMaterial.id)
            .limit(MAX_TASK_MATERIALS)
        )
    )
    if not material_ids:
        return None
    body = TaskCreate(
        org_id=branch.id,
        title=TITLE,
        description=DESCRIPTION,
        due_at=now + DUE_IN,
        material_ids=material_ids,
        audience_org_ids=[branch.id],
    )
    created = await tasks.create(
        session,
        settings,
        Scope(everywhere=True),
        body,
        account_id=None,
        now=now,
        announce=False,
    )
    return created.task
