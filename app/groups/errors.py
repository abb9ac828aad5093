"""The codes of party groups (党小组) and branch committees (支部委员会)."""

from __future__ import annotations

from app.errors import Conflict, NotFound, Unprocessable


class NotABranch(Unprocessable):
    """Party groups and a branch committee belong to a 党支部 or 联合党支部."""

    code = "groups.not_a_branch"
    message_zh = "只有党支部可以设立党小组和支部委员会"
    message_en = "Only a branch has party groups and a branch committee"


class MemberNotInBranch(Unprocessable):
    """details.member_ids: those who are not current members of the branch (relation held
    there, not departed)."""

    code = "groups.member_not_in_branch"
    message_zh = "所选人员不是本支部的在册党员"
    message_en = "Not a current member of this branch"


class PartyGroupNotFound(NotFound):
    code = "party_group.not_found"
    message_zh = "党小组不存在"
    message_en = "Party group not found"


class GroupNameTaken(Conflict):
    code = "party_group.name_taken"
    message_zh = "本支部已有同名党小组"
    message_en = "The branch already has a party group of that name"


class MemberInOtherGroup(Conflict):
    """A member belongs to at most one party group of their branch; details.member_ids."""

    code = "party_group.member_in_other_group"
    message_zh = "该党员已在本支部的其他党小组中"
    message_en = "Already a member of another party group of this branch"


class LeaderNotInGroup(Unprocessable):
    code = "party_group.leader_not_member"
    message_zh = "党小组组长须是本小组成员"
    message_en = "The leader must be a member of the group"


class LeaderRemoval(Conflict):
    code = "party_group.leader_removal"
    message_zh = "不能移出党小组组长，请先更换组长"
    message_en = "Change the leader before removing them from the group"


class GroupMemberNotFound(NotFound):
    """The member to take out of the group is not in it."""

    code = "party_group.member_not_found"
    message_zh = "该党员不在本党小组中"
    message_en = "Member not in the party group"


class GroupHasActivities(Conflict):
    """Its 党小组会 records name it: deleting it would orphan them."""

    code = "party_group.has_activities"
    message_zh = "该党小组已有活动记录，不能删除"
    message_en = "The party group has activities"


class PostTaken(Unprocessable):
    """书记, 组织委员, 宣传委员 and 纪检委员 have one holder each; details.post."""

    code = "committee.post_taken"
    message_zh = "书记、组织委员、宣传委员、纪检委员各限一人"
    message_en = "That post has one holder only"
