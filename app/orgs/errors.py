"""The codes of the organization tree."""

from __future__ import annotations

from app.errors import Conflict, NotFound, Unprocessable


class OrgNotFound(NotFound):
    """No such organization, or one outside the caller's subtrees."""

    code = "org.not_found"
    message_zh = "组织不存在"
    message_en = "Organization not found"


class InvalidParent(Unprocessable):
    """details.kind, details.parent_kind (null for a root)."""

    code = "org.invalid_parent"
    message_zh = "上级组织类型不允许"
    message_en = "This kind of organization cannot sit under that parent"


class SocialFieldsRequired(Unprocessable):
    """details.fields: the missing ones."""

    code = "org.social_fields_required"
    message_zh = "社会组织须填写类型和统一社会信用代码"
    message_en = "A social organization needs its type and credit code"


class SocialFieldsNotApplicable(Unprocessable):
    """details.fields: the ones a party organization was given."""

    code = "org.social_fields_not_applicable"
    message_zh = "党组织不填写社会组织信息"
    message_en = "Social-organization fields apply to social organizations only"


class CreditCodeTaken(Conflict):
    code = "org.credit_code_taken"
    message_zh = "统一社会信用代码已被登记"
    message_en = "Credit code already registered"


class OrgCycle(Unprocessable):
    code = "org.cycle"
    message_zh = "不能移动到自己的下级组织之下"
    message_en = "Cannot move under its own subtree"


class OrgHasChildren(Conflict):
    code = "org.has_children"
    message_zh = "该组织下仍有下级组织"
    message_en = "The organization still has children"


class OrgHasMembers(Conflict):
    """Members whose relation or workplace is the organization."""

    code = "org.has_members"
    message_zh = "该组织仍有党员"
    message_en = "The organization still has members"


class RatingOverCap(Unprocessable):
    """An organization with at least 3 formal members working there and no party
    organization of its own or joint, rated 4A or 5A without ``rating_reason``.
    details.formal_members_working, details.coverage, details.cap ("3A")."""

    code = "org.rating_over_cap"
    message_zh = (
        "该社会组织具备建立党组织的条件（在此工作的正式党员不少于3名）但未单独或联合建立党组织，"
        "评估等级不得高于3A；确需评定的，请填写理由"
    )
    message_en = (
        "An organization with the conditions for a party organization but none may not be "
        "rated above 3A; give a reason to record an exception"
    )
