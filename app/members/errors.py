"""The codes of the member roster."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, NotFound, Unprocessable


class MemberNotFound(NotFound):
    code = "member.not_found"
    message_zh = "党员不存在"
    message_en = "Member not found"


class OrgRequired(Unprocessable):
    code = "member.org_required"
    message_zh = "须填写组织关系所在支部或工作单位"
    message_en = "Give the relation branch or the workplace"


class RelationNotBranch(Unprocessable):
    code = "member.relation_not_branch"
    message_zh = "组织关系须在党支部"
    message_en = "The membership relation must be held by a branch"


class WorkplaceNotSocialOrg(Unprocessable):
    code = "member.workplace_not_social_org"
    message_zh = "工作单位须为社会组织"
    message_en = "The workplace must be a social organization"


class BirthDateInFuture(Unprocessable):
    code = "member.birth_date_future"
    message_zh = "出生日期不能晚于今天"
    message_en = "Birth date is in the future"


class JoinedInFuture(Unprocessable):
    code = "member.joined_on_future"
    message_zh = "入党日期不能晚于今天"
    message_en = "Join date is in the future"


class JoinedBeforeBirth(Unprocessable):
    code = "member.joined_before_birth"
    message_zh = "入党日期早于出生日期"
    message_en = "Joined before birth"


class BirthDateMismatch(Unprocessable):
    """The birth date differs from the one the ID number carries."""

    code = "member.birth_date_mismatch"
    message_zh = "出生日期与身份证号码不一致"
    message_en = "Birth date does not match the ID number"


class IdNumberTaken(Conflict):
    code = "member.id_number_taken"
    message_zh = "该身份证号码已登记"
    message_en = "ID number already registered"


class SelfRemoval(Forbidden):
    """Recording one's own departure or erasure: it would end the caller's own roles."""

    code = "member.self_removal"
    message_zh = "不能将本人移出组织，请由上级组织办理"
    message_en = "You cannot remove yourself; ask the organization above"


class AlreadyDeparted(Conflict):
    code = "member.already_departed"
    message_zh = "该党员已登记离开"
    message_en = "The member has already left"


class LeftOnInFuture(Unprocessable):
    code = "member.left_on_future"
    message_zh = "离开日期不能晚于今天"
    message_en = "The leaving date is in the future"


class HoldsRoles(Conflict):
    """The member holds roles the caller may not end (details.role_ids): those are the
    organization above's to take back first."""

    code = "member.holds_roles"
    message_zh = "该党员担任的职务须先由上级组织免去"
    message_en = "The member holds roles the organization above must end first"


class NotDeparted(Conflict):
    code = "member.not_departed"
    message_zh = "须先登记离开，再注销个人信息"
    message_en = "Record the departure before erasing personal data"


class AlreadyErased(Conflict):
    code = "member.already_erased"
    message_zh = "该党员的个人信息已注销"
    message_en = "The member's personal data is already erased"
