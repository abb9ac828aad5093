"""The codes of activities: posting, publishing, cancelling, the expected list."""

from __future__ import annotations

from app.errors import NotFound


class ActivityNotFound(NotFound):
    code = "activity.not_found"
    message_zh = "活动不存在"
    message_en = "Activity not found"
