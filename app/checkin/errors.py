"""The codes a check-in, a check-out or a 补签 may answer."""

from __future__ import annotations

from app.errors import Conflict, NotFound, Unprocessable


class TokenInvalid(Unprocessable):
    """Forged, malformed, from the future or of another activity."""

    code = "checkin.token_invalid"
    message_zh = "签到码无效"
    message_en = "Invalid check-in code"


class TokenExpired(Unprocessable):
    """The code's 30-second step is over; scan the current one."""

    code = "checkin.token_expired"
    message_zh = "签到码已过期，请扫描最新的签到码"
    message_en = "Check-in code expired"


class TokenRequired(Unprocessable):
    """The activity has no geofence, so a code is needed."""

    code = "checkin.token_required"
    message_zh = "请扫描签到码"
    message_en = "Scan the check-in code"


class LocationRequired(Unprocessable):
    """A poster or location check-in needs latitude and longitude (and the activity a fence);
    so does a rotating code where the activity requires the location."""

    code = "checkin.location_required"
    message_zh = "请允许获取位置后签到"
    message_en = "Location is needed"


class LocationNeedsGeofence(Unprocessable):
    """An activity may require the member's location only with a venue and a radius."""

    code = "checkin.location_needs_geofence"
    message_zh = "要求定位签到须先设置场地坐标和签到范围"
    message_en = "Requiring the location needs the venue and a radius"


class MethodNotAllowed(Unprocessable):
    """The activity does not allow this way of checking in (details.method, details.allowed)."""

    code = "checkin.method_not_allowed"
    message_zh = "本次活动不支持该签到方式"
    message_en = "This activity does not allow that way of checking in"


class OutsideGeofence(Unprocessable):
    """The point lies outside the venue's radius (details.distance_m, details.radius_m)."""

    code = "checkin.outside_geofence"
    message_zh = "不在签到范围内"
    message_en = "Outside the check-in area"


class OutsideWindow(Conflict):
    """Check-in is not open now (details.opens_at, details.closes_at)."""

    code = "checkin.outside_window"
    message_zh = "不在签到时间内"
    message_en = "Check-in is not open now"


class NotExpected(Conflict):
    """The member is not on the expected list and the activity refuses walk-ins."""

    code = "checkin.not_expected"
    message_zh = "您不在本次活动的应到名单中"
    message_en = "Not on the expected list"


class ActivityCancelled(Conflict):
    code = "checkin.activity_cancelled"
    message_zh = "活动已取消"
    message_en = "The activity was cancelled"


class ActivityNotPublished(Conflict):
    code = "checkin.activity_not_published"
    message_zh = "活动尚未发布或已取消"
    message_en = "The activity is not open for check-in"


class AlreadyCheckedIn(Conflict):
    """Checked in before with another nonce; details.attendance is that attendance."""

    code = "checkin.already_checked_in"
    message_zh = "已签到"
    message_en = "Already checked in"


class ManualTooEarly(Conflict):
    code = "checkin.manual_too_early"
    message_zh = "活动开始前不能补签"
    message_en = "Too early for a manual check-in"


class PosterNeedsGeofence(Conflict):
    code = "checkin.poster_needs_geofence"
    message_zh = "海报签到须先设置场地坐标和签到范围"
    message_en = "Set the venue and radius first"


class NotCheckedIn(Conflict):
    code = "checkout.not_checked_in"
    message_zh = "尚未签到"
    message_en = "Not checked in"


class CheckOutClosed(Conflict):
    code = "checkout.window_closed"
    message_zh = "签退时间已过"
    message_en = "Check-out has closed"


class AttendanceNotFound(NotFound):
    """No such attendance at this activity."""

    code = "attendance.not_found"
    message_zh = "签到记录不存在"
    message_en = "Attendance not found"


class NotUnderReview(Conflict):
    """Only a flagged check-in is confirmed; a 补签 can only be undone (rejected)."""

    code = "attendance.not_under_review"
    message_zh = "该签到无需审核"
    message_en = "This attendance is not waiting for review"


class AlreadyReviewed(Conflict):
    """Decided before (details.review_status)."""

    code = "attendance.already_reviewed"
    message_zh = "该签到已审核"
    message_en = "This attendance was reviewed already"
