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


# --- 补录 (app/activities/backfill.py) ---------------------------------------------------


class BackfillNotPast(Unprocessable):
    """The activity has not ended, or its check-in window is still open: until it closes,
    members check in themselves (or the secretary 补签s). details.recordable_from says when."""

    code = "activity.backfill_not_past"
    message_zh = "只能补录已结束且签到已截止的活动；尚未结束的活动请发布后签到"
    message_en = "Only an activity that has ended and whose check-in has closed can be backfilled"


class BackfillTooOld(Unprocessable):
    """details.earliest is the earliest start a 补录 may have (one year back)."""

    code = "activity.backfill_too_old"
    message_zh = "只能补录一年以内举行的活动"
    message_en = "Only an activity held within the past year can be backfilled"


class BackfillDuplicateMember(Unprocessable):
    """details.member_ids: the members named more than once."""

    code = "activity.backfill_duplicate_member"
    message_zh = "补录名单中同一人出现多次"
    message_en = "A member appears more than once in the attendance"


class BackfillNotExpected(Unprocessable):
    """details.member_ids: members who are not on the activity's expected list (for a
    branch, its members; for a 支委会 its committee, for a 党小组会 the group)."""

    code = "activity.backfill_not_expected"
    message_zh = "补录名单中有不属于本组织应到人员的党员"
    message_en = "Some members are not expected at this organization's activity"


class BackfillNothingHeld(Unprocessable):
    """Nobody present or late and no minutes: that would not count as held."""

    code = "activity.backfill_nothing_held"
    message_zh = "补录须至少有一人出席，或填写会议记录"
    message_en = "A backfill needs someone present or minutes"
