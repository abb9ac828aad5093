from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response, status

from app.activities import service as activities_service
from app.auth.dependencies import (
    ActivitiesManager,
    CurrentClaims,
    CurrentPrincipal,
    account_disabled,
)
from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.checkin import codes, service
from app.checkin.schemas import (
    REFUSAL_CODES,
    AttendanceRead,
    CheckInCode,
    CheckInRequest,
    ManualCheckIn,
)
from app.db import DbSession, DbStatements
from app.errors import (
    ERROR_RESPONSES,
    Conflict,
    Forbidden,
    ServiceUnavailable,
    TooManyRequests,
    UpstreamError,
)
from app.integrations.wechat import WeChatError, WeChatUnavailable
from app.kit.net import client_ip
from app.kit.types import IdPath
from app.members import service as members_service
from app.models import ActivityStatus
from app.observability import request_id_var
from app.runtime import Runtime, RuntimeDep

router = APIRouter(prefix="/api/v1/activities", tags=["check-in"], responses=ERROR_RESPONSES)

_REFUSALS = "\n".join(f"- `{code}` ({meaning})" for code, meaning in REFUSAL_CODES.items())


def _not_a_member() -> Forbidden:
    return Forbidden(
        "auth.not_a_member",
        "账号尚未关联党员信息，请先绑定手机号",
        "Bind your phone to your member record first",
    )


def _member_id(caller: Principal) -> int:
    if caller.member_id is None:
        raise _not_a_member()
    return caller.member_id


@router.get("/{activity_id}/checkin-code")
async def checkin_code(
    activity_id: IdPath, caller: ActivitiesManager, session: DbSession, runtime: RuntimeDep
) -> CheckInCode:
    """The current rotating check-in code, to show as a QR code on the secretary's phone."""
    activity = await activities_service.get_managed(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    if activity.status is not ActivityStatus.PUBLISHED:
        raise Conflict(
            "checkin.activity_not_published",
            "活动尚未发布或已取消",
            "The activity is not open for check-in",
        )
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
        200: {"content": {"image/jpeg": {}}, "description": "The mini-program code to print"}
    },
)
async def checkin_poster(
    activity_id: IdPath, caller: ActivitiesManager, session: DbSession, runtime: RuntimeDep
) -> Response:
    """A printable mini-program code whose scene is the activity's signed poster token; a poster
    check-in always needs the geofence."""
    activity = await activities_service.get_managed(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    if activity.venue_latitude is None or activity.geofence_radius_m is None:
        raise Conflict(
            "checkin.poster_needs_geofence",
            "海报签到须先设置场地坐标和签到范围",
            "Set the venue and radius first",
        )
    scene = codes.poster_scene(activity.id, activity.checkin_secret)
    try:
        image = await runtime.wechat.get_unlimited_qr_code(
            scene=scene,
            page=runtime.settings.wechat_checkin_page,
            env_version=runtime.settings.wechat_env_version,
        )
    except WeChatUnavailable as exc:
        raise ServiceUnavailable(
            "wechat.unavailable", "微信服务繁忙，请稍后再试", "WeChat is busy"
        ) from exc
    except WeChatError as exc:
        if exc.errcode == 45009:
            raise TooManyRequests("wechat.rate_limited", headers={"Retry-After": "60"}) from exc
        raise UpstreamError("wechat.error", details={"errcode": exc.errcode}) from exc
    return Response(image, media_type="image/jpeg")


@router.post(
    "/{activity_id}/check-ins",
    status_code=status.HTTP_201_CREATED,
    description="Check in at the venue. Exactly one attendance per member and activity; "
    "retrying with the same `client_nonce` answers the first answer again. Refusals:\n" + _REFUSALS,
)
async def check_in(
    activity_id: IdPath,
    body: CheckInRequest,
    request: Request,
    caller: CurrentClaims,
    connection: DbStatements,
) -> AttendanceRead:
    """Check in with the rotating code, the poster or the geofence."""
    # Not RuntimeDep: one dependency fewer to solve on the hot path.
    runtime: Runtime = request.app.state.runtime
    # The caller's account and member come in the same query as the activity: the hot path
    # takes one read and one insert.
    row = await service.load_check_in(
        connection, account_id=caller.account_id, activity_id=activity_id
    )
    if row is None or not row.is_active:
        raise account_disabled()
    member_id: int | None = row.caller_member_id
    if member_id is None:
        raise _not_a_member()
    settings = runtime.settings
    await runtime.limiter.check(settings.rate_limit_checkin, "checkin", str(member_id))
    await runtime.limiter.check(
        settings.rate_limit_checkin_per_ip,
        "checkin-ip",
        client_ip(request, trust_forwarded_for=settings.trust_forwarded_for),
    )
    outcome = await service.check_in(
        connection,
        settings,
        row,
        activity_id=activity_id,
        member_id=member_id,
        token=body.token,
        latitude=body.latitude,
        longitude=body.longitude,
        accuracy=body.accuracy,
        nonce=body.client_nonce,
        now=runtime.clock.now(),
    )
    return AttendanceRead(**outcome.attendance)


@router.post("/{activity_id}/check-out")
async def check_out(
    activity_id: IdPath, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> AttendanceRead:
    """Check out; the attendance then has a duration. Checking out twice keeps the first time."""
    member_id = _member_id(caller)
    view = await service.check_out(
        session,
        runtime.settings,
        activity_id=activity_id,
        member_id=member_id,
        now=runtime.clock.now(),
    )
    return AttendanceRead(**view)


@router.post("/{activity_id}/check-ins/manual", status_code=status.HTTP_201_CREATED)
async def manual_check_in(
    activity_id: IdPath,
    body: ManualCheckIn,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> AttendanceRead:
    """补签: the secretary records a member's attendance, with a reason; audited."""
    activity = await activities_service.get_managed(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    await members_service.get_in_scope(
        session, caller.scope(Permission.MEMBERS_READ), body.member_id
    )
    view = await service.manual_check_in(
        session,
        activity,
        member_id=body.member_id,
        reason=body.reason,
        account_id=caller.account_id,
        request_id=request_id_var.get(),
        now=runtime.clock.now(),
    )
    return AttendanceRead(**view)
