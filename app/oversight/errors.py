"""The codes of the oversight routes (an organization outside the caller's scope answers
the organizations' own ``org.not_found``)."""

from __future__ import annotations

from app.errors import NotFound, Unprocessable


class CommitteeNotFound(NotFound):
    """No such committee, or one outside the caller's scope."""

    code = "oversight.committee_not_found"
    message_zh = "党委不存在"
    message_en = "Committee not found"


class BranchNotFound(NotFound):
    """No such branch or joint branch, or one outside the caller's scope."""

    code = "oversight.branch_not_found"
    message_zh = "党支部不存在"
    message_en = "Branch not found"


class AsOfInFuture(Unprocessable):
    code = "oversight.as_of_in_future"
    message_zh = "统计日不能晚于今天"
    message_en = "The day counted cannot be after today"
