"""The codes the FAQ and search routes may answer.

Out of the caller's reach is not found (404), as everywhere in the house: a question neither
routed nor anchored in the publisher's QA_ANSWER scope, a target organization outside it, a
category of a committee that is not above the target, an entry the caller may not see. What
is refused about an object the caller may act on is a conflict (409): a question without an
accepted answer, or one already in that organization's FAQ.
"""

from __future__ import annotations

from app.errors import Conflict, NotFound


class FaqNotFound(NotFound):
    """No such entry, a withdrawn one, or one the caller may not see (or, to change it, one
    outside their QA_ANSWER scope)."""

    code = "qa.faq_not_found"
    message_zh = "常见问题不存在"
    message_en = "FAQ entry not found"


class QuestionNotFound(NotFound):
    """No such question, or one neither routed to nor asked from the caller's scope."""

    code = "qa.question_not_found"
    message_zh = "问题不存在"
    message_en = "Question not found"


class CategoryNotFound(NotFound):
    """No such category, or a committee's own that the target organization does not lie
    under."""

    code = "qa.category_not_found"
    message_zh = "问题分类不存在"
    message_en = "Category not found"


class NoAcceptedAnswer(Conflict):
    code = "qa.no_accepted_answer"
    message_zh = "该问题还没有被采纳的回答，不能发布到常见问题"
    message_en = "The question has no accepted answer to publish"


class AlreadyInFaq(Conflict):
    """details.faq_id: the entry that already holds the question in that organization."""

    code = "qa.already_in_faq"
    message_zh = "该问题已发布到这个组织的常见问题"
    message_en = "The question is already in this organization's FAQ"
