"""The codes the head-count routes may answer beyond the organizations' own
``org.not_found`` and the oversight ``as_of`` one."""

from __future__ import annotations

from app.errors import Unprocessable


class InvalidQuarterRange(Unprocessable):
    """``from`` after ``to``, or more quarters than one statement per quarter should run."""

    code = "oversight.invalid_quarter_range"
    message_zh = "统计区间无效：开始季度须不晚于结束季度，且不超过 40 个季度"
    message_en = "The first quarter must not be after the last, and at most 40 quarters"


class QuarterInFuture(Unprocessable):
    code = "oversight.quarter_in_future"
    message_zh = "统计季度不能晚于本季度"
    message_en = "The quarters counted cannot be after the current one"


class InvalidDayRange(Unprocessable):
    code = "oversight.invalid_day_range"
    message_zh = "日期区间无效：开始日期须不晚于结束日期"
    message_en = "The first day must not be after the last"
