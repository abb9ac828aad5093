"""A word list as a content check, for development and offline use: no WeChat, no network.
Matching ignores case, full and half width (NFKC) and spaces, so "加 ＶＸ" is "加vx"."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from app.integrations.content_check.verdict import (
    ABUSE_LABEL,
    AD_LABEL,
    LABEL_NAMES,
    OTHER_NAME,
    POLITICAL_LABEL,
    Outcome,
    Scene,
    Verdict,
    label_name,
)

# A few words nobody means kindly, to see a refusal locally; the settings add the rest.
BUILTIN_RISKY: dict[str, int] = {
    "傻逼": ABUSE_LABEL,
    "操你妈": ABUSE_LABEL,
    "去死吧": ABUSE_LABEL,
    "加微信": AD_LABEL,
    "加vx": AD_LABEL,
    "代开发票": AD_LABEL,
    "刷单返利": AD_LABEL,
}
# Political trigger words, to see the review queue locally: held, never refused.
BUILTIN_REVIEW: dict[str, int] = {
    "台独": POLITICAL_LABEL,
    "游行示威": POLITICAL_LABEL,
}


def normalize(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


class WordListContentCheck:
    def __init__(
        self, *, risky_words: Iterable[str] = (), review_words: Iterable[str] = ()
    ) -> None:
        # (normalized word, word as written, label); words from settings have no label.
        self._risky = _compile(BUILTIN_RISKY, risky_words)
        self._review = _compile(BUILTIN_REVIEW, review_words)

    async def check(
        self,
        text: str,
        *,
        openid: str | None,  # noqa: ARG002 - a word list judges the words, not the author
        scene: Scene,  # noqa: ARG002
        title: str | None = None,
    ) -> Verdict:
        seen = normalize(f"{title or ''}\n{text}")
        for outcome, words in ((Outcome.RISKY, self._risky), (Outcome.REVIEW, self._review)):
            for key, word, label in words:
                if key in seen:
                    name = LABEL_NAMES[label] if label is not None else OTHER_NAME
                    return Verdict(outcome, label, name, f"matched {word!r}", "wordlist")
        return Verdict(Outcome.PASS, None, label_name(Outcome.PASS, None), "no_match", "wordlist")


def _compile(builtin: dict[str, int], extra: Iterable[str]) -> list[tuple[str, str, int | None]]:
    words: list[tuple[str, str, int | None]] = [
        (normalize(word), word, label) for word, label in builtin.items()
    ]
    words += [(normalize(word), word, None) for word in extra if normalize(word)]
    return words
