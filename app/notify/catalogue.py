"""What each kind of notification carries in its ``data``: the values templates of other
channels (WeChat subscribe messages, SMS) may name. Features fill these keys when they call
``notify``; settings are checked against this at start, so a template naming a value its
kind never carries, or a time field fed by text, stops the start instead of being refused
by WeChat (47003) message after message. Times travel as ISO 8601 strings with an offset."""

from __future__ import annotations

import enum
from types import MappingProxyType

from app.models import NotificationKind


class Value(enum.StrEnum):
    TEXT = "text"
    MOMENT = "moment"  # an aware time


# Every message has these, whatever its kind.
MESSAGE_VALUES = MappingProxyType(
    {"title": Value.TEXT, "body": Value.TEXT, "created_at": Value.MOMENT}
)

_ACTIVITY = {
    "activity_title": Value.TEXT,
    "starts_at": Value.MOMENT,
    "ends_at": Value.MOMENT,
    "venue": Value.TEXT,  # 待定 when none is set
    "status": Value.TEXT,  # a phrase: 已发布, 已变更, 已取消, 即将开始
}

# A question as its messages name it; the asker is never among them (anonymous questions).
_QUESTION = {
    "question_title": Value.TEXT,
    "category_name": Value.TEXT,  # 党费
    "asked_at": Value.MOMENT,
}

# A relation transfer as its messages name it.
_TRANSFER = {
    "member_name": Value.TEXT,
    "from_name": Value.TEXT,  # the out-branch, or the organization outside the system
    "to_name": Value.TEXT,
}

KIND_VALUES: MappingProxyType[NotificationKind, MappingProxyType[str, Value]] = MappingProxyType(
    {
        NotificationKind.ACTIVITY_PUBLISHED: MappingProxyType(_ACTIVITY),
        NotificationKind.ACTIVITY_CHANGED: MappingProxyType(_ACTIVITY),
        NotificationKind.ACTIVITY_CANCELLED: MappingProxyType({**_ACTIVITY, "reason": Value.TEXT}),
        NotificationKind.ACTIVITY_REMINDER: MappingProxyType(_ACTIVITY),
        NotificationKind.NEWS_PUBLISHED: MappingProxyType(
            {
                "article_title": Value.TEXT,
                "published_at": Value.MOMENT,
                "category_name": Value.TEXT,  # 政策解读
            }
        ),
        NotificationKind.ATTENDANCE_REJECTED: MappingProxyType(
            {
                "activity_title": Value.TEXT,
                "starts_at": Value.MOMENT,
                "status": Value.TEXT,  # a phrase: 签到未认可, 补签已撤销
                "reason": Value.TEXT,
            }
        ),
        NotificationKind.LEAVE_DECIDED: MappingProxyType(
            {
                "activity_title": Value.TEXT,
                "starts_at": Value.MOMENT,
                "decision": Value.TEXT,  # a phrase: 已批准, 未批准
                "note": Value.TEXT,  # 无 when the manager wrote none
                "decided_at": Value.MOMENT,
            }
        ),
        NotificationKind.ABSENCE_REMINDER: MappingProxyType(
            {
                "activity_title": Value.TEXT,
                "starts_at": Value.MOMENT,
                "venue": Value.TEXT,
                "status": Value.TEXT,  # 缺席
            }
        ),
        NotificationKind.STUDY_TASK_ASSIGNED: MappingProxyType(
            {"task_title": Value.TEXT, "due_at": Value.MOMENT, "status": Value.TEXT}  # 待学习
        ),
        NotificationKind.STUDY_TASK_REMINDER: MappingProxyType(
            {"task_title": Value.TEXT, "due_at": Value.MOMENT, "status": Value.TEXT}  # 未完成
        ),
        NotificationKind.QA_QUESTION_ROUTED: MappingProxyType(
            {**_QUESTION, "status": Value.TEXT}  # a phrase: 新提问, 转交给您, 有追问
        ),
        NotificationKind.QA_ANSWER_POSTED: MappingProxyType(
            {**_QUESTION, "answered_at": Value.MOMENT, "status": Value.TEXT}  # 有新回答
        ),
        NotificationKind.QA_QUESTION_REMINDER: MappingProxyType(
            {**_QUESTION, "status": Value.TEXT}  # 待回答
        ),
        NotificationKind.QA_REVIEW_DECIDED: MappingProxyType(
            {
                "question_title": Value.TEXT,
                "decision": Value.TEXT,  # a phrase: 审核通过, 审核未通过
                "reason": Value.TEXT,  # 无 when the reviewer wrote none
                "decided_at": Value.MOMENT,
            }
        ),
        NotificationKind.TRANSFER_DECIDED: MappingProxyType(
            {
                **_TRANSFER,
                "decision": Value.TEXT,  # a phrase: 已同意, 已退回, 未通过, 已完成
                "reason": Value.TEXT,  # 无 when none was given
                "decided_at": Value.MOMENT,
            }
        ),
        NotificationKind.TRANSFER_REMINDER: MappingProxyType(
            {
                **_TRANSFER,
                "step": Value.TEXT,  # a phrase: 转出审批, 党委审批, 转入接收, 待修改
                "waiting_since": Value.MOMENT,
            }
        ),
    }
)


def values_of(kind: NotificationKind) -> dict[str, Value]:
    """Every value a message of ``kind`` can fill a template field with."""
    return {**MESSAGE_VALUES, **KIND_VALUES[kind]}
