"""Attendance figures: who came to an activity, a member's record, an organization's rates
over a period, and the sign-in sheet."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.activities.errors import ActivityNotFound
from app.attendance import service, sheet
from app.attendance.errors import InvalidPeriod
from app.attendance.schemas import ActivityAttendance, MemberAttendance, OrgAttendance
from app.auth.dependencies import AttendanceReader, CurrentMember
from app.auth.permissions import Permission
from app.db import ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit import sheet as kit_sheet
from app.kit.types import IdPath
from app.kit.validation import IsoDate
from app.members import service as members_service
from app.members.errors import MemberNotFound
from app.orgs import service as orgs_service
from app.orgs.errors import OrgNotFound
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1", tags=["attendance"])

# Dates are days in Beijing time (app/kit/time.py), both ends included.
PeriodStart = Annotated[
    IsoDate | None, Query(alias="from", description="First day; a year before `to` by default")
]
PeriodEnd = Annotated[IsoDate | None, Query(description="Last day, included; today by default")]


@router.get("/activities/{activity_id}/attendance", responses=responses(ActivityNotFound))
async def activity_attendance(
    activity_id: IdPath, caller: AttendanceReader, session: ReadSession, runtime: RuntimeDep
) -> ActivityAttendance:
    """Who was expected and who came: present (in check-in order), late, excused, and absent
    once check-in has closed (pending until then), with walk-ins and flagged check-ins."""
    roster = await service.activity_roster(
        session,
        caller.scope(Permission.ATTENDANCE_READ),
        activity_id,
        settings=runtime.settings,
        now=runtime.clock.now(),
    )
    return ActivityAttendance.model_validate(roster)


@router.get(
    "/activities/{activity_id}/sign-in-sheet.xlsx",
    response_class=Response,
    responses={
        200: kit_sheet.answer("签到表 (.xlsx)"),
        **responses(ActivityNotFound),
    },
)
async def sign_in_sheet(
    activity_id: IdPath, caller: AttendanceReader, session: ReadSession, runtime: RuntimeDep
) -> Response:
    """The sign-in sheet (签到表) of an activity as an Excel workbook with Chinese headings."""
    roster = await service.activity_roster(
        session,
        caller.scope(Permission.ATTENDANCE_READ),
        activity_id,
        settings=runtime.settings,
        now=runtime.clock.now(),
    )
    activity = roster.activity
    workbook = sheet.build(
        activity,
        await service.org_name(session, activity.org_id),
        roster.people,
        roster.summary,
    )
    return kit_sheet.download(
        workbook,
        ascii_name=f"sign-in-sheet-{activity.id}.xlsx",
        name=f"{activity.title}-签到表.xlsx",
    )


@router.get("/members/{member_id}/attendance", responses=responses(MemberNotFound, InvalidPeriod))
async def member_attendance(
    member_id: IdPath,
    caller: AttendanceReader,
    session: ReadSession,
    runtime: RuntimeDep,
    start: PeriodStart = None,
    to: PeriodEnd = None,
) -> MemberAttendance:
    """A member's attendance over a period, newest first, limited to activities of the
    organizations the caller may read attendance of."""
    scope = caller.scope(Permission.ATTENDANCE_READ)
    member = await members_service.get_in_scope(session, scope, member_id)
    history = await service.member_history(
        session,
        member,
        service.period(start, to, today=runtime.today()),
        activity_scope=scope,
        settings=runtime.settings,
        now=runtime.clock.now(),
    )
    return MemberAttendance.model_validate(history)


@router.get("/me/attendance", responses=responses(MemberNotFound, InvalidPeriod))
async def my_attendance(
    caller: CurrentMember,
    session: ReadSession,
    runtime: RuntimeDep,
    start: PeriodStart = None,
    to: PeriodEnd = None,
) -> MemberAttendance:
    """The signed-in member's own attendance over a period, newest first."""
    history = await service.member_history(
        session,
        await service.own_member(session, caller.member_id),
        service.period(start, to, today=runtime.today()),
        activity_scope=None,
        settings=runtime.settings,
        now=runtime.clock.now(),
    )
    return MemberAttendance.model_validate(history)


@router.get("/orgs/{org_id}/attendance", responses=responses(OrgNotFound, InvalidPeriod))
async def org_attendance(
    org_id: IdPath,
    caller: AttendanceReader,
    session: ReadSession,
    runtime: RuntimeDep,
    start: PeriodStart = None,
    to: PeriodEnd = None,
) -> OrgAttendance:
    """Attendance rates of an organization's subtree over a period: in total, its own
    activities, per activity type and per direct child (children that held nothing show
    zeros). Counts activities starting in the period whose check-in has closed."""
    org = await orgs_service.get_in_scope(session, caller.scope(Permission.ATTENDANCE_READ), org_id)
    figures = await service.org_figures(
        session,
        org,
        service.period(start, to, today=runtime.today()),
        settings=runtime.settings,
        now=runtime.clock.now(),
    )
    return OrgAttendance.model_validate(figures)
