"""Attendance figures: who came to an activity, a member's record, an organization's rates
over a period, and the sign-in sheet."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response

from app.activities import service as activities_service
from app.attendance import service, sheet
from app.attendance.schemas import (
    ActivityAttendance,
    ChildTally,
    Figures,
    HistoryEntry,
    MemberAttendance,
    OrgAttendance,
    RosterEntry,
    Tally,
    TypeTally,
)
from app.auth.dependencies import AttendanceReader, CurrentPrincipal
from app.auth.permissions import Permission
from app.auth.scope import Principal, Scope
from app.checkin.schemas import AttendanceRead
from app.db import DbSession
from app.errors import Forbidden, Unprocessable
from app.kit.types import IdPath
from app.members import service as members_service
from app.models import Activity, Member, Organization
from app.orgs import service as orgs_service
from app.runtime import Runtime, RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["attendance"])

# Dates are days in the display time zone (Asia/Shanghai by default), both ends included.
PeriodStart = Annotated[
    date | None, Query(alias="from", description="First day; a year before `to` by default")
]
PeriodEnd = Annotated[date | None, Query(description="Last day, included; today by default")]
LONGEST_PERIOD = timedelta(days=3660)


def _period(runtime: Runtime, start: date | None, end: date | None) -> tuple[date, date]:
    end = end or runtime.today()
    start = start or end - timedelta(days=365)
    if start > end or end - start > LONGEST_PERIOD:
        raise Unprocessable(
            "attendance.invalid_period",
            "统计区间无效：开始日期须不晚于结束日期，且区间不超过十年",
            "The period must start on or before its end and span at most ten years",
        )
    return start, end


def _bounds(runtime: Runtime, start: date, end: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(runtime.settings.display_timezone)
    since = datetime.combine(start, time.min, zone).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC)
    return since, until


def _attendance(line: service.RosterLine | service.HistoryLine) -> AttendanceRead | None:
    return AttendanceRead.model_validate(line.attendance) if line.attendance else None


def _figures(summary: service.RosterSummary) -> Figures:
    return Figures(**vars(summary))


async def _roster(
    session: DbSession, runtime: Runtime, caller: Principal, activity_id: int
) -> tuple[Activity, bool, list[service.RosterLine]]:
    activity = await activities_service.get_in_scope(
        session, caller.scope(Permission.ATTENDANCE_READ), activity_id
    )
    closed = service.checkin_closed(activity, runtime.settings, runtime.clock.now())
    return activity, closed, await service.activity_roster(session, activity, closed=closed)


@router.get("/activities/{activity_id}/attendance")
async def activity_attendance(
    activity_id: IdPath, caller: AttendanceReader, session: DbSession, runtime: RuntimeDep
) -> ActivityAttendance:
    """Who was expected and who came: present (in check-in order), late, excused, and absent
    once check-in has closed (pending until then), with walk-ins and flagged check-ins."""
    activity, closed, lines = await _roster(session, runtime, caller, activity_id)
    return ActivityAttendance(
        activity_id=activity.id,
        title=activity.title,
        type=activity.type,
        status=activities_service.effective_status(activity, runtime.clock.now()),
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        closed=closed,
        summary=_figures(service.summarize(lines)),
        people=[
            RosterEntry(
                member_id=line.member_id,
                name=line.name,
                party_status=line.party_status,
                expected=line.expected,
                state=line.state,
                leave_status=line.leave_status,
                attendance=_attendance(line),
            )
            for line in lines
        ],
    )


@router.get(
    "/activities/{activity_id}/sign-in-sheet.xlsx",
    response_class=Response,
    responses={200: {"content": {sheet.MEDIA_TYPE: {}}, "description": "签到表 (.xlsx)"}},
)
async def sign_in_sheet(
    activity_id: IdPath, caller: AttendanceReader, session: DbSession, runtime: RuntimeDep
) -> Response:
    """The sign-in sheet (签到表) of an activity as an Excel workbook with Chinese headings."""
    activity, _, lines = await _roster(session, runtime, caller, activity_id)
    org = await session.get(Organization, activity.org_id)
    workbook = sheet.build(
        activity,
        org.name if org else "",
        lines,
        service.summarize(lines),
        runtime.settings.display_timezone,
    )
    filename = f"{activity.title}-签到表.xlsx"
    return Response(
        content=workbook,
        media_type=sheet.MEDIA_TYPE,
        headers={
            "Content-Disposition": (
                f'attachment; filename="sign-in-sheet-{activity.id}.xlsx"; '
                f"filename*=UTF-8''{quote(filename)}"
            )
        },
    )


async def _member_attendance(
    session: DbSession,
    runtime: Runtime,
    member_id: int,
    name: str,
    start: date | None,
    end: date | None,
    caller_scope: Scope | None,
) -> MemberAttendance:
    first, last = _period(runtime, start, end)
    since, until = _bounds(runtime, first, last)
    lines = await service.member_history(
        session,
        member_id,
        since=since,
        until=until,
        activity_scope=caller_scope,
        settings=runtime.settings,
        now=runtime.clock.now(),
    )
    return MemberAttendance(
        member_id=member_id,
        name=name,
        from_=first,
        to=last,
        summary=_figures(service.summarize_history(lines)),
        activities=[
            HistoryEntry(
                activity_id=line.activity.id,
                title=line.activity.title,
                type=line.activity.type,
                org_id=line.activity.org_id,
                org_name=line.org_name,
                starts_at=line.activity.starts_at,
                ends_at=line.activity.ends_at,
                expected=line.expected,
                state=line.state,
                leave_status=line.leave_status,
                attendance=_attendance(line),
            )
            for line in lines
        ],
    )


@router.get("/members/{member_id}/attendance")
async def member_attendance(
    member_id: IdPath,
    caller: AttendanceReader,
    session: DbSession,
    runtime: RuntimeDep,
    start: PeriodStart = None,
    to: PeriodEnd = None,
) -> MemberAttendance:
    """A member's attendance over a period, newest first, limited to activities of the
    organizations the caller may read attendance of."""
    scope = caller.scope(Permission.ATTENDANCE_READ)
    member = await members_service.get_in_scope(session, scope, member_id)
    return await _member_attendance(session, runtime, member.id, member.name, start, to, scope)


@router.get("/me/attendance")
async def my_attendance(
    caller: CurrentPrincipal,
    session: DbSession,
    runtime: RuntimeDep,
    start: PeriodStart = None,
    to: PeriodEnd = None,
) -> MemberAttendance:
    """The signed-in member's own attendance over a period, newest first."""
    if caller.member_id is None:
        raise Forbidden(
            "auth.not_a_member",
            "账号尚未关联党员信息，请先绑定手机号",
            "Bind your phone to your member record first",
        )
    member = await session.get(Member, caller.member_id)
    if member is None:
        raise members_service.member_not_found()
    return await _member_attendance(session, runtime, member.id, member.name, start, to, None)


def _tally(tally: service.Tally) -> Tally:
    return Tally(**vars(tally))


@router.get("/orgs/{org_id}/attendance")
async def org_attendance(
    org_id: IdPath,
    caller: AttendanceReader,
    session: DbSession,
    runtime: RuntimeDep,
    start: PeriodStart = None,
    to: PeriodEnd = None,
) -> OrgAttendance:
    """Attendance rates of an organization's subtree over a period: in total, its own
    activities, per activity type and per direct child (children that held nothing show
    zeros). Counts activities starting in the period whose check-in has closed."""
    org = await orgs_service.get_in_scope(session, caller.scope(Permission.ATTENDANCE_READ), org_id)
    first, last = _period(runtime, start, to)
    since, until = _bounds(runtime, first, last)
    figures = await service.org_figures(
        session, org, since=since, until=until, settings=runtime.settings, now=runtime.clock.now()
    )
    return OrgAttendance(
        org_id=org.id,
        name=org.name,
        from_=first,
        to=last,
        total=_tally(figures.total),
        own=_tally(figures.own),
        by_type=[
            TypeTally(type=kind, **vars(tally)) for kind, tally in sorted(figures.by_type.items())
        ],
        by_child=[
            ChildTally(org_id=child.id, name=child.name, kind=child.kind, **vars(tally))
            for child, tally in figures.by_child
        ],
    )
