"""The codes of the member roster."""

from __future__ import annotations

from app.errors import Conflict, NotFound, Unprocessable


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
