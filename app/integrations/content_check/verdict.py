"""What a content check answers, whichever adapter gives it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal, Protocol

from app.models import CheckOutcome

# The outcome a content review records (app/models/qa.py), named for what it is here.
Outcome = CheckOutcome


# Worst wins when a text is checked in parts.
_SEVERITY = {Outcome.PASS: 0, Outcome.REVIEW: 1, Outcome.RISKY: 2}


class Scene(IntEnum):
    """msg_sec_check's scene. Questions and answers are 论坛; follow-ups are 评论."""

    PROFILE = 1  # 资料
    COMMENT = 2  # 评论
    FORUM = 3  # 论坛
    SOCIAL_LOG = 4  # 社交日志


PASS_LABEL = 100
POLITICAL_LABEL = 20001
ABUSE_LABEL = 20003
AD_LABEL = 10001

# msg_sec_check v2's labels, named as a reviewer reads them.
LABEL_NAMES: dict[int, str] = {
    PASS_LABEL: "正常",
    AD_LABEL: "广告",
    POLITICAL_LABEL: "政治",
    20002: "色情",
    ABUSE_LABEL: "辱骂",
    20006: "违法犯罪",
    20008: "欺诈",
    20012: "低俗",
    20013: "版权",
    21000: "其他",
}
# No label: the text was not (or not fully) checked, so nobody can say what it is.
UNCHECKED_NAME = "未检测"
OTHER_NAME = "其他"


def label_name(outcome: Outcome, label: int | None) -> str:
    if outcome is Outcome.PASS:
        return LABEL_NAMES[PASS_LABEL]
    if label is None:
        return UNCHECKED_NAME
    return LABEL_NAMES.get(label, OTHER_NAME)


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    label: int | None
    label_name: str  # Chinese, for reviewers and the refusal message; 正常 for pass
    reason: str  # why, for logs and the review queue: "wechat_unavailable", "matched '…'"
    source: Literal["wechat", "wordlist"]

    @property
    def severity(self) -> int:
        return _SEVERITY[self.outcome]


def worst(verdicts: list[Verdict]) -> Verdict:
    """The most severe verdict; the first of equals, so the earliest part names it."""
    return max(verdicts, key=lambda verdict: verdict.severity)


class ContentCheck(Protocol):
    """Every adapter answers a verdict and never raises: a failure is a review."""

    async def check(
        self, text: str, *, openid: str | None, scene: Scene, title: str | None = None
    ) -> Verdict: ...
