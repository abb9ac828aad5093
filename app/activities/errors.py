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


class NoBranchCommittee(Unprocessable):
    code = "activity.no_branch_committee"
    message_zh = "该支部尚未登记支委，请先设置支部委员会，或指定应到人员"
    message_en = "The branch has no committee recorded: set it, or name who is expected"


class PartyGroupRequired(Unprocessable):
    code = "activity.party_group_required"
    message_zh = "党小组会须选择党小组"
    message_en = "A party group meeting needs its party_group_id"


class PartyGroupNotApplicable(Unprocessable):
    code = "activity.party_group_not_applicable"
    message_zh = "只有党小组会可以指定党小组"
    message_en = "Only a party group meeting names a party group"


class PartyGroupInvalid(Unprocessable):
    """The party group is not one of the activity's organization."""

    code = "activity.party_group_invalid"
    message_zh = "所选党小组不属于本组织"
    message_en = "The party group does not belong to the activity's organization"


class RsvpNotExpected(Conflict):
    code = "rsvp.not_expected"
    message_zh = "您不在本次活动的应到名单中"
    message_en = "You are not on the expected list"


class RsvpTooLate(Conflict):
    """The activity has started: answers are closed."""

    code = "rsvp.too_late"
    message_zh = "活动已开始，不能再回复"
    message_en = "The activity has started"


class RsvpNotOpen(Conflict):
    """A draft or a cancelled activity takes no answers."""

    code = "rsvp.not_open"
    message_zh = "活动未发布或已取消，无需回复"
    message_en = "The activity is not open for answers"


class RsvpOnLeave(Conflict):
    """The member has asked leave (pending or approved): withdraw it first."""

    code = "rsvp.on_leave"
    message_zh = "您已请假，如要参加请先撤回请假"
    message_en = "Withdraw your leave request first"


class RsvpNotFound(NotFound):
    code = "rsvp.not_found"
    message_zh = "您尚未回复参加"
    message_en = "No answer to withdraw"
