"""The codes of 请假: asking, withdrawing and deciding."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class LeaveNotFound(NotFound):
    code = "leave.not_found"
    message_zh = "请假申请不存在"
    message_en = "Leave request not found"


class TooLate(Conflict):
    """The activity has started: leave can no longer be asked for or withdrawn."""

    code = "leave.too_late"
    message_zh = "活动已开始，不能再请假或撤回"
    message_en = "The activity has started"


class ActivityNotOpen(Conflict):
    """A draft or a cancelled activity: nobody needs leave."""

    code = "leave.activity_not_open"
    message_zh = "活动未发布或已取消，无需请假"
    message_en = "The activity is not open for leave requests"


class NotExpectedToAttend(Conflict):
    code = "leave.not_expected"
    message_zh = "您不在本次活动的应到名单中，无需请假"
    message_en = "You are not on the expected list"


class AlreadyRequested(Conflict):
    """A pending or approved request exists: details.leave_request has its id and status
    (absent when a concurrent request of the same member won the race)."""

    code = "leave.already_requested"
    message_zh = "您已提交过请假申请"
    message_en = "Leave already requested"


class NotPending(Conflict):
    """Decided or withdrawn already; details.status is its status."""

    code = "leave.not_pending"
    message_zh = "该请假申请已处理或已撤回"
    message_en = "Only a pending request can be decided"
