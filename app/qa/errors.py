"""The codes questions, answers, follow-ups, reviews, categories and Q&A settings may answer.

Who sees a question and who may act on it (app/qa/access.py) decides between 404 and 403:
someone who cannot see a question is told it does not exist; someone who sees it but may not
do what they asked is told why (``qa.not_routed_to_you``, ``qa.not_the_asker``)."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, NotFound, Unprocessable


class QuestionNotFound(NotFound):
    """No such question, or one the caller may not see: another member's, one outside the
    caller's Q&A scope, or one held for review or rejected (only its asker sees those)."""

    code = "qa.question_not_found"
    message_zh = "问题不存在"
    message_en = "Question not found"


class MessageNotFound(NotFound):
    """No such answer on this question that the caller sees (accepting a follow-up, an
    answer held for review or rejected, or one of another question)."""

    code = "qa.message_not_found"
    message_zh = "回答不存在"
    message_en = "Answer not found"


class CategoryNotFound(NotFound):
    """Not one of everyone's categories nor of a committee above the asker's organization."""

    code = "qa.category_not_found"
    message_zh = "问题分类不存在"
    message_en = "Category not found"


class CommitteeNotFound(NotFound):
    """No such committee in the caller's Q&A management scope (a branch has no Q&A
    settings or categories of its own: its committee's apply)."""

    code = "qa.committee_not_found"
    message_zh = "党委不存在"
    message_en = "Committee not found"


class ReviewNotFound(NotFound):
    """No such held text whose question is routed into the caller's review scope."""

    code = "qa.review_not_found"
    message_zh = "审核记录不存在"
    message_en = "Review not found"


class AssigneeNotFound(NotFound):
    """No current member holding the instructor role on an organization above the
    question's or in the caller's scope."""

    code = "qa.assignee_not_found"
    message_zh = "指导员不存在"
    message_en = "Instructor not found"


class NoOrganization(Forbidden):
    """The caller's member record has neither a relation nor a workplace organization (or
    they have left): a question would have nowhere to go."""

    code = "qa.no_organization"
    message_zh = "您尚未登记组织关系或工作单位，暂不能提问"
    message_en = "Only a current member with a relation or workplace organization can ask"


class NotRoutedToYou(Forbidden):
    """The caller sees the question but may not answer, reassign or close it: its asker
    (who follows up instead); staff whose Q&A scope holds the asker's organization but not
    the one it is routed to (after it was passed on elsewhere); a member the committee lets
    answer (who may not close or reassign)."""

    code = "qa.not_routed_to_you"
    message_zh = "该问题未分配给您，不能进行此操作"
    message_en = "The question is not routed to you"


class NotTheAsker(Forbidden):
    """Only the asker follows up on a question and accepts an answer."""

    code = "qa.not_the_asker"
    message_zh = "只有提问人可以进行此操作"
    message_en = "Only the asker can do this"


class QuestionNotOpen(Conflict):
    """The question is closed (details.status), or is not public: held for review or
    rejected. Nothing can be added to it."""

    code = "qa.question_not_open"
    message_zh = "问题已关闭或尚未公开，不能继续操作"
    message_en = "The question is closed or not public"


class AlreadyAccepted(Conflict):
    """The question has an accepted answer (details.accepted_message_id when known): one
    per question, however the accepts race."""

    code = "qa.already_accepted"
    message_zh = "该问题已采纳回答"
    message_en = "An answer is already accepted"


class ReviewDecided(Conflict):
    """Someone decided the held text already (details.decision)."""

    code = "qa.review_decided"
    message_zh = "该内容已审核"
    message_en = "The review is decided already"


class CategoryExists(Conflict):
    code = "qa.category_exists"
    message_zh = "该分类已存在"
    message_en = "The category exists already"


class ReassignTarget(Unprocessable):
    code = "qa.reassign_target"
    message_zh = "请指定转交的指导员或组织（二选一）"
    message_en = "Name either an instructor (member_id) or an organization (org_id)"


class ContentRisky(Unprocessable):
    """The content check refused the text (details.label, details.label_name): nothing
    was written."""

    code = "content.risky"
    message_zh = "内容未通过安全检测（{label_name}），请修改后再提交"
    message_en = "The text was refused by the content check ({label_name})"
