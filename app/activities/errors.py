"""The codes of activities: posting, publishing, cancelling, the expected list."""

from __future__ import annotations

from app.errors import Conflict, NotFound, Unprocessable


class ActivityNotFound(NotFound):
    """No such activity, or none the caller may see: both answer the same."""

    code = "activity.not_found"
    message_zh = "活动不存在"
    message_en = "Activity not found"


class GeofenceNeedsVenue(Unprocessable):
    code = "activity.geofence_needs_venue"
    message_zh = "设置签到范围须提供场地坐标"
    message_en = "A geofence needs the venue coordinates"


class EndsBeforeStart(Unprocessable):
    """A change would leave the activity ending before it starts."""

    code = "activity.ends_before_start"
    message_zh = "结束时间须晚于开始时间"
    message_en = "ends_at must be after starts_at"


class ActivityAlreadyCancelled(Conflict):
    code = "activity.cancelled"
    message_zh = "活动已取消"
    message_en = "The activity is cancelled"


class ActivityEnded(Conflict):
    code = "activity.ended"
    message_zh = "活动已结束"
    message_en = "The activity has ended"


class NotDraft(Conflict):
    code = "activity.not_draft"
    message_zh = "只有草稿可以发布"
    message_en = "Only a draft can be published"


class NotOnExpectedList(NotFound):
    """The member to take off the expected list is not on it."""

    code = "activity.not_expected"
    message_zh = "该党员不在应到名单中"
    message_en = "Member not on the expected list"
