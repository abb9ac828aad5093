"""In-person study sessions (集中学习): the materials a session names, and the credit its
check-out gives them (check-in to check-out, at most the session's length; app/study/
in_person.py). The credit completes and awards as a heartbeat's would; it is progress only:
the figures read in-person time from the attendances, so none goes to ``study_daily``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.activities import service as activities_service
from app.auth.scope import Scope
from app.models import (
    Activity,
    ActivityType,
    Attendance,
    MaterialStatus,
    OrgClosure,
    StudyMaterial,
    StudySessionMaterial,
)
from app.models.activities import ReviewStatus
from app.study import heartbeats
from app.study.errors import MaterialOutOfReach, NotAStudySession
from app.study.in_person import credited_seconds


async def materials_of(session: AsyncSession, activity_id: int) -> Sequence[StudyMaterial]:
    return (
        await session.scalars(
            select(StudyMaterial)
            .join(StudySessionMaterial, StudySessionMaterial.material_id == StudyMaterial.id)
            .where(StudySessionMaterial.activity_id == activity_id)
            .order_by(StudyMaterial.id)
        )
    ).all()


async def get_named(
    session: AsyncSession, scope: Scope, activity_id: int
) -> tuple[Activity, Sequence[StudyMaterial]]:
    activity = await activities_service.get_in_scope(session, scope, activity_id)
    return activity, await materials_of(session, activity.id)


async def name_materials(
    session: AsyncSession, scope: Scope, activity_id: int, material_ids: Sequence[int]
) -> tuple[Activity, Sequence[StudyMaterial]]:
    """Replaces the materials a 集中学习 session names. Each must be published and open to
    every member of the activity's organization: owned by that organization or one above it.
    What is named at a member's check-out is what their time is credited to."""
    activity = await activities_service.get_in_scope(session, scope, activity_id)
    if activity.type is not ActivityType.GROUP_STUDY:
        raise NotAStudySession()
    if material_ids:
        reachable = set(
            await session.scalars(
                select(StudyMaterial.id)
                .join(OrgClosure, OrgClosure.ancestor_id == StudyMaterial.org_id)
                .where(
                    StudyMaterial.id.in_(material_ids),
                    StudyMaterial.status == MaterialStatus.PUBLISHED,
                    OrgClosure.descendant_id == activity.org_id,
                )
            )
        )
        refused = [i for i in material_ids if i not in reachable]
        if refused:
            raise MaterialOutOfReach(details={"material_ids": refused})
    await session.execute(
        delete(StudySessionMaterial).where(StudySessionMaterial.activity_id == activity.id)
    )
    if material_ids:
        await session.execute(
            insert(StudySessionMaterial),
            [{"activity_id": activity.id, "material_id": i} for i in material_ids],
        )
    return activity, await materials_of(session, activity.id)


_NAMED = (
    select(
        StudyMaterial.id,
        StudyMaterial.length_seconds,
        StudyMaterial.required_seconds,
        Activity.type,
        Activity.starts_at,
        Activity.ends_at,
    )
    .join(StudySessionMaterial, StudySessionMaterial.material_id == StudyMaterial.id)
    .join(Activity, Activity.id == StudySessionMaterial.activity_id)
    .where(
        StudySessionMaterial.activity_id == bindparam("b_activity"),
        StudyMaterial.status != MaterialStatus.DRAFT,
    )
    .order_by(StudyMaterial.id)
)


async def credit_check_out(
    connection: AsyncConnection, attendance: Attendance, *, now: datetime
) -> None:
    """At check-out: the session's credited time to each material it names, for the member
    who checked out (nothing for a check-in rejected in review). Called once per attendance:
    a second check-out keeps the first and never reaches here."""
    if attendance.checked_out_at is None or attendance.review_status is ReviewStatus.REJECTED:
        return
    named = (await connection.execute(_NAMED, {"b_activity": attendance.activity_id})).all()
    if not named or named[0].type is not ActivityType.GROUP_STUDY:
        return
    seconds = credited_seconds(
        attendance.checked_in_at, attendance.checked_out_at, named[0].starts_at, named[0].ends_at
    )
    if seconds <= 0:
        return
    for row in named:
        # The member's lock, as a heartbeat takes it: their progress is written by one
        # writer at a time. Their open stretch is left as it was.
        await heartbeats.lock_presence(connection, attendance.member_id, row.id)
        await heartbeats.credit(
            connection,
            member_id=attendance.member_id,
            terms=heartbeats.Terms(row.id, row.length_seconds, row.required_seconds),
            seconds=seconds,
            now=now,
            daily=False,
        )
