"""The kinds of event that earn points, their Chinese names, and the default rules that hold
where no committee has set its own (学习强国's shape: points per act, capped per day)."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import PointKind

STUDY_UNIT_SECONDS = 300  # "each started 5 minutes of study"

KIND_LABELS: dict[PointKind, str] = {
    PointKind.ACTIVITY_ATTENDED: "参加组织生活",
    PointKind.STUDY_TIME: "学习时长",
    PointKind.MATERIAL_COMPLETED: "学完学习资料",
    PointKind.NEWS_READ: "有效阅读新闻",
    PointKind.ANSWER_ACCEPTED: "回答被采纳",
}


@dataclass(frozen=True)
class Rule:
    kind: PointKind
    points: int  # per event, or per started unit of study time
    unit_seconds: int | None  # study time only
    daily_cap: int | None  # None: no cap
    org_id: int | None = None  # the committee that set it; None: the default


DEFAULT_RULES: dict[PointKind, Rule] = {
    PointKind.ACTIVITY_ATTENDED: Rule(PointKind.ACTIVITY_ATTENDED, 2, None, 6),
    PointKind.STUDY_TIME: Rule(PointKind.STUDY_TIME, 1, STUDY_UNIT_SECONDS, 6),
    PointKind.MATERIAL_COMPLETED: Rule(PointKind.MATERIAL_COMPLETED, 2, None, 6),
    PointKind.NEWS_READ: Rule(PointKind.NEWS_READ, 1, None, 6),
    PointKind.ANSWER_ACCEPTED: Rule(PointKind.ANSWER_ACCEPTED, 3, None, 9),
}
