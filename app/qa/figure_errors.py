"""The codes the Q&A figures may answer beyond the period errors they share with attendance."""

from __future__ import annotations

from app.errors import Unprocessable


class PeriodTooLong(Unprocessable):
    """A period of more than a year: the figures read every question of it at once."""

    code = "qa.period_too_long"
    message_zh = "统计区间不能超过一年（366 天）"
    message_en = "The period may span at most a year (366 days)"
