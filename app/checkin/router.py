"""Check-in at the venue: the rotating code and the poster for the secretary, the member's
check-in and check-out, and 补签."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.activities import service as activities_service
from app.activities.errors import ActivityNotFound
from app.auth.dependencies import ActivitiesManager, CurrentMember
from app.auth.permissions import Permission
from app.checkin import codes, review, service
from app.checkin.errors import (
    ActivityCancelled,
    ActivityNotPublished,
    AlreadyCheckedIn,
    AlreadyReviewed,
    AttendanceNotFound,
    CheckOutClosed,
    LocationRequired,
    ManualTooEarly,
    MethodNotAllowed,
    NotCheckedIn,
    NotExpected,
    NotUnderReview,
    OutsideGeofence,
    OutsideWindow,
    PosterNeedsGeofence,
    TokenExpired,
    TokenInvalid,
    TokenRequired,
)
from app.checkin.schemas import (
    AttendanceRead,
    CheckInCode,
    CheckInRequest,
    ManualCheckIn,
    ReviewItem,
    ReviewRequest,
)
from app.db import DbConnection, DbSession, ReadSession
from app.errors import TooManyRequests, responses
from app.idempotency.route import IdempotentRoute
from app.integrations.wechat import WeChatError, WeChatUnavailable
from app.integrations.wechat.errors import WeChatBusy, WeChatFailed, WeChatRateLimited
from app.kit.net import client_ip
from app.kit.pagination import Page, PageParams, paginate
from app.kit.types import IdPath
from app.members import service as members_service
from app.members.errors import MemberNotFound
from app.models import ActivityStatus
from app.models.activities import ReviewStatus
from app.observability import request_id_var
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/activities", tags=["check-in"])


@router.get(
    "/{activity_id}/checkin-code", responses=responses(ActivityNotFound, ActivityNotPublished)
)
async def checkin_code(
    activity_id: IdPath, caller: ActivitiesManager, session: ReadSession, runtime: RuntimeDep
) -> CheckInCode:
    """The current rotating check-in code, to show as a QR code on the secretary's phone."""
    activity = await activities_service.get_in_scope(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    if activity.status is not ActivityStatus.PUBLISHED:
        raise ActivityNotPublished()
    step_seconds = runtime.settings.checkin_step_seconds
    step = codes.current_step(runtime.clock.now(), step_seconds)
    return CheckInCode(
        activity_id=activity.id,
        token=codes.rotating_code(activity.id, activity.checkin_secret, step),
        step=step,
        expires_at=datetime.fromtimestamp((step + 2) * step_seconds, UTC),
        refresh_at=datetime.fromtimestamp((step + 1) * step_seconds, UTC),
    )


@router.get(
    "/{activity_id}/checkin-poster",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "The mini-program code to print"},
        **responses(
            ActivityNotFound, PosterNeedsGeofence, WeChatBusy, WeChatRateLimited, WeChatFailed
        ),
    },
)
async def checkin_poster(
    activity_id: IdPath, caller: ActivitiesManager, session: ReadSession, runtime: RuntimeDep
) -> Response:
    """A printable mini-program code whose scene is the activity's signed poster token; a poster
    check-in always needs the geofence."""
    activity = await activities_service.get_in_scope(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    if activity.venue_latitude is None or activity.geofence_radius_m is None:
        raise PosterNeedsGeofence()
    scene = codes.poster_scene(activity.id, activity.checkin_secret)
    # The read session's snapshot ends before the call: WeChat may take seconds.
    await session.close()
    try:
        image = await runtime.wechat.get_unlimited_qr_code(
            scene=scene,
            page=runtime.settings.wechat_checkin_page,
            env_version=runtime.settings.wechat_env_version,
        )
    except WeChatUnavailable as exc:
        raise WeChatBusy() from exc
    except WeChatError as exc:
        if exc.errcode == 45009:
            raise WeChatRateLimited(headers={"Retry-After": "60"}) from exc
        raise WeChatFailed(details={"errcode": exc.errcode}) from exc
    return Response(image, media_type="image/jpeg")


@router.post(
    "/{activity_id}/check-ins",
    status_code=status.HTTP_201_CREATED,
    description="Check in at the venue. Exactly one attendance per member and activity; "
    "retrying with the same `client_nonce` answers the first answer again.",
    responses=responses(
        ActivityNotFound,
        TokenInvalid,
        TokenExpired,
        TokenRequired,
        MethodNotAllowed,
        LocationRequired,
        OutsideGeofence,
        OutsideWindow,
        NotExpected,
        ActivityCancelled,
        AlreadyCheckedIn,
        TooManyRequests,
    ),
)
async def check_in(
    activity_id: IdPath,
    body: CheckInRequest,
    request: Request,
    caller: CurrentMember,
    connection: DbConnection,
    runtime: RuntimeDep,
) -> AttendanceRead:
    """Check in with the rotating code, the poster or the geofence."""
    settings = runtime.settings
    await runtime.limiter.check(settings.rate_limit_checkin, "checkin", str(caller.member_id))
    await runtime.limiter.check(
        settings.rate_limit_checkin_per_ip,
        "checkin-ip",
        client_ip(request, trust_forwarded_for=settings.trust_forwarded_for),
    )
    attendance, _ = await service.check_in(
        connection,
        settings,
        activity_id=activity_id,
        member_id=caller.member_id,
        request=body,
        now=runtime.clock.now(),
    )
    return AttendanceRead.model_validate(attendance)


@router.post(
    "/{activity_id}/check-out",
    responses=responses(ActivityNotFound, NotCheckedIn, CheckOutClosed),
)
async def check_out(
    activity_id: IdPath, caller: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> AttendanceRead:
    """Check out; the attendance then has a duration. Checking out twice keeps the first time."""
    attendance = await service.check_out(
        session,
        runtime.settings,
        activity_id=activity_id,
        member_id=caller.member_id,
        now=runtime.clock.now(),
    )
    return AttendanceRead.model_validate(attendance)


@router.post(
    "/{activity_id}/check-ins/manual",
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        ActivityNotFound,
        MemberNotFound,
        ActivityCancelled,
        ActivityNotPublished,
        ManualTooEarly,
        AlreadyCheckedIn,
    ),
)
async def manual_check_in(
    activity_id: IdPath,
    body: ManualCheckIn,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> AttendanceRead:
    """补签: the secretary records a member's attendance, or a guest's without an account
    (入党积极分子, 群众), with a reason; audited."""
    activity = await activities_service.get_in_scope(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    if body.member_id is not None:
        await members_service.get_in_scope(
            session, caller.scope(Permission.MEMBERS_READ), body.member_id
        )
    attendance = await service.manual_check_in(
        session,
        activity,
        member_id=body.member_id,
        guest=body.guest,
        reason=body.reason,
        account_id=caller.account_id,
        request_id=request_id_var.get(),
        now=runtime.clock.now(),
    )
    return AttendanceRead.model_validate(attendance)


@router.get("/{activity_id}/attendances/flagged", responses=responses(ActivityNotFound))
async def flagged_attendances(
    activity_id: IdPath,
    caller: ActivitiesManager,
    session: ReadSession,
    page: PageParams,
    review_status: Annotated[
        ReviewStatus | None, Query(description="Only these; all flagged by default")
    ] = None,
) -> Page[ReviewItem]:
    """The review queue: check-ins flagged as outside the fence, of poor accuracy or walk-ins,
    in check-in order."""
    activity = await activities_service.get_in_scope(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    rows = await review.flagged(session, activity, page, status=review_status)
    return paginate(ReviewItem, rows, page)


@router.post(
    "/{activity_id}/attendances/{attendance_id}/review",
    responses=responses(ActivityNotFound, AttendanceNotFound, NotUnderReview, AlreadyReviewed),
)
async def review_attendance(
    activity_id: IdPath,
    attendance_id: IdPath,
    body: ReviewRequest,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> AttendanceRead:
    """Confirm or reject a flagged check-in, or undo a 补签 (reject), with a reason; a rejected
    attendance counts as absent and its member is told. Audited."""
    activity = await activities_service.get_in_scope(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    attendance = await review.decide(
        session,
        runtime.settings,
        activity,
        attendance_id,
        body.decision,
        reason=body.reason,
        account_id=caller.account_id,
        request_id=request_id_var.get(),
        now=runtime.clock.now(),
    )
    return AttendanceRead.model_validate(attendance)
