"""WeChat's msg_sec_check v2 as a content check. It fails closed: whatever keeps WeChat from
answering pass, review or risky (no openid, a timeout, a 5xx, an errcode in a 200, an
answer without a result, a bug of ours) holds the text for a human, never shows it."""

from __future__ import annotations

import logging

from app.integrations.content_check.verdict import (
    POLITICAL_LABEL,
    Outcome,
    Scene,
    Verdict,
    label_name,
    worst,
)
from app.integrations.wechat import WeChatClient, WeChatError, WeChatUnavailable

logger = logging.getLogger("app.content_check")

# msg_sec_check refuses longer content; a longer text is checked in parts.
MAX_CHARS = 2500


def chunks(text: str, size: int = MAX_CHARS) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


def _verdict(outcome: Outcome, reason: str, label: int | None = None) -> Verdict:
    return Verdict(outcome, label, label_name(outcome, label), reason, "wechat")


def _review(reason: str, label: int | None = None) -> Verdict:
    return _verdict(Outcome.REVIEW, reason, label)


class WeChatContentCheck:
    def __init__(self, wechat: WeChatClient) -> None:
        self._wechat = wechat

    async def check(
        self, text: str, *, openid: str | None, scene: Scene, title: str | None = None
    ) -> Verdict:
        if not text.strip() and not (title or "").strip():
            return _verdict(Outcome.PASS, "empty")
        if not openid:
            # msg_sec_check judges a text by its author: without one it cannot be asked.
            return _review("no_openid")
        verdicts: list[Verdict] = []
        for index, part in enumerate(chunks(text)):
            # The title goes once, with the first part: each part is a request of its own.
            verdict = await self._check_part(
                part, openid=openid, scene=scene, title=title if index == 0 else None
            )
            verdicts.append(verdict)
            if verdict.outcome is Outcome.RISKY:
                break  # nothing later can make it better
        return worst(verdicts)

    async def _check_part(
        self, content: str, *, openid: str, scene: Scene, title: str | None
    ) -> Verdict:
        try:
            result = await self._wechat.msg_sec_check(
                content=content, openid=openid, scene=int(scene), title=title
            )
        except WeChatUnavailable as exc:
            logger.warning("msg_sec_check unavailable, holding for review: %s", exc)
            return _review("wechat_unavailable")
        except WeChatError as exc:
            # 61010 (not opened in 2 h), 87014 (v1's risky), 40001 after the one refresh, …
            logger.warning("msg_sec_check errcode %s, holding for review", exc.errcode)
            return _review(f"wechat_errcode_{exc.errcode}")
        except Exception:
            logger.exception("msg_sec_check failed, holding for review")
            return _review("content_check_failed")
        if result.suggest == Outcome.PASS:
            return _verdict(Outcome.PASS, "wechat_pass", result.label)
        if result.suggest == Outcome.REVIEW:
            return _review("wechat_review", result.label)
        if result.suggest == Outcome.RISKY:
            if result.label == POLITICAL_LABEL:
                # A member's political question goes to a person, never to a machine's refusal.
                logger.info("msg_sec_check risky on a political label, held for review")
                return _review("wechat_risky_political", result.label)
            return _verdict(Outcome.RISKY, "wechat_risky", result.label)
        logger.warning("msg_sec_check suggested %r (trace %s)", result.suggest, result.trace_id)
        return _review("wechat_unknown_suggest", result.label)
