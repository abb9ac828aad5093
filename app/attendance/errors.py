"""The codes of the attendance figures."""

from __future__ import annotations

from app.errors import Unprocessable


class InvalidPeriod(Unprocessable):
    """``from`` after ``to``, or a span of more than ten years."""

    code = "attendance.invalid_period"
    message_zh = "统计区间无效：开始日期须不晚于结束日期，且区间不超过十年"
    message_en = "The period must start on or before its end and span at most ten years"
