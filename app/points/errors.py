"""The codes the points routes may answer."""

from __future__ import annotations

from app.errors import NotFound, Unprocessable


class CommitteeNotFound(NotFound):
    """No such committee, or one outside the caller's scope."""

    code = "points.committee_not_found"
    message_zh = "党委不存在"
    message_en = "Committee not found"


class OrgNotFound(NotFound):
    """No such party organization, or one outside the caller's scope."""

    code = "points.org_not_found"
    message_zh = "组织不存在"
    message_en = "Organization not found"


class UnitNotApplicable(Unprocessable):
    code = "points.unit_not_applicable"
    message_zh = "只有学习时长按时长单位计分"
    message_en = "Only study time is counted per unit of time"


class InvalidPeriod(Unprocessable):
    code = "points.invalid_period"
    message_zh = "统计周期无效，应为 2026、2026-12 或 2026-W49"
    message_en = "Invalid period: a year (2026), a month (2026-12) or an ISO week (2026-W49)"
