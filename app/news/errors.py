"""The codes writing and reading news may answer."""

from __future__ import annotations

from app.errors import Conflict, NotFound


class ArticleNotFound(NotFound):
    """No such article, or one the caller neither writes for nor is in the audience of."""

    code = "news.article_not_found"
    message_zh = "文章不存在"
    message_en = "Article not found"


class ArticleRetracted(Conflict):
    code = "news.retracted"
    message_zh = "文章已撤回"
    message_en = "The article has been retracted"


class AudienceLocked(Conflict):
    code = "news.audience_locked"
    message_zh = "文章已发布，不能再更改受众"
    message_en = "The audience of a published article cannot change"


class NotDeletable(Conflict):
    code = "news.not_deletable"
    message_zh = "已发布或撤回的文章不能删除"
    message_en = "Only drafts and scheduled articles can be deleted"


class AlreadyPublished(Conflict):
    code = "news.already_published"
    message_zh = "文章已发布"
    message_en = "The article is already published"


class NotPublished(Conflict):
    code = "news.not_published"
    message_zh = "只有已发布或定时发布的文章可以撤回"
    message_en = "Only published or scheduled articles can be retracted"
