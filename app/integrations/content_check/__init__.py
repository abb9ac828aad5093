"""The content check every text a user writes passes before anyone else sees it (issue 12):
one interface, :class:`ContentCheck`, and two adapters chosen by ``content_check_backend``."""

from __future__ import annotations

import logging

from app.config import Environment, Settings
from app.integrations.content_check.verdict import (
    LABEL_NAMES,
    ContentCheck,
    Outcome,
    Scene,
    Verdict,
)
from app.integrations.content_check.wechat import WeChatContentCheck
from app.integrations.content_check.wordlist import WordListContentCheck
from app.integrations.wechat import WeChatClient

logger = logging.getLogger("app.content_check")

__all__ = [
    "LABEL_NAMES",
    "ContentCheck",
    "Outcome",
    "Scene",
    "Verdict",
    "WeChatContentCheck",
    "WordListContentCheck",
    "build_content_check",
]


def build_content_check(settings: Settings, wechat: WeChatClient) -> ContentCheck:
    if settings.content_check_backend == "wechat":
        return WeChatContentCheck(wechat)
    if settings.env is Environment.PRODUCTION:
        # Allowed (a deployment without an AppID yet, an intranet one), but worth a look.
        logger.warning("production checks content with the local word list, not WeChat")
    return WordListContentCheck(
        risky_words=settings.content_check_risky_words,
        review_words=settings.content_check_review_words,
    )
