"""Requests and answers of questions, threads, reviews, categories and Q&A settings."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import Lax, MultiLine, Reason200, RequestModel, Text20, Text100, line
from app.models import (
    MessageKind,
    QuestionStatus,
    ReviewDecision,
    ReviewSubject,
    Role,
    Visibility,
)

# Long texts are checked by WeChat in parts of 2,500 characters (one call each).
QUESTION_MAX = 2000
ANSWER_MAX = 5000
FOLLOW_UP_MAX = 2000

QuestionText = Annotated[str, line(QUESTION_MAX), MultiLine]
AnswerText = Annotated[str, line(ANSWER_MAX), MultiLine]
FollowUpText = Annotated[str, line(FOLLOW_UP_MAX), MultiLine]

STATUS_LABELS = {
    QuestionStatus.PENDING_REVIEW: "审核中",
    QuestionStatus.OPEN: "待回答",
    QuestionStatus.ANSWERED: "已回答",
    QuestionStatus.CLOSED: "已关闭",
    QuestionStatus.REJECTED: "未通过审核",
}
VISIBILITY_LABELS = {
    Visibility.PENDING_REVIEW: "审核中",
    Visibility.VISIBLE: "已公开",
    Visibility.REJECTED: "未通过审核",
}


# --- requests ---------------------------------------------------------------------------


class QuestionCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    category_id: DbId = Field(description="Everyone's, or a committee's above the asker")
    title: Text100
    body: QuestionText
    anonymous: bool = Field(
        default=False,
        description="Hide the asker from other members (never from instructors and admins)",
    )


class AnswerCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    body: AnswerText


class FollowUpCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    body: FollowUpText


class Reassign(RequestModel):
    """Exactly one of ``member_id`` (an instructor) and ``org_id`` (routed as a question
    asked there would be)."""

    model_config = ConfigDict(extra="forbid")

    member_id: DbId | None = None
    org_id: DbId | None = None
    reason: Reason200


class QueueStatus(enum.StrEnum):
    """The states a question is in a queue in (held and rejected ones are in none)."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class Decision(RequestModel):
    model_config = ConfigDict(extra="forbid")

    decision: Annotated[ReviewDecision, Lax]
    reason: Reason200 | None = Field(
        default=None, description="Told to the author (无 when none is given)"
    )


class CategoryCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    org_id: DbId = Field(description="The committee whose subtree's askers see it")
    name: Text20


class QaSettingsWrite(RequestModel):
    model_config = ConfigDict(extra="forbid")

    members_may_answer: bool | None = Field(
        description="Plain members of this committee's subtree may answer its questions; "
        "null: no value of its own (the committee above decides)"
    )


# --- answers ----------------------------------------------------------------------------


class Person(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    member_id: int
    name: str


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int | None = Field(description="null: everyone's; else the committee's")
    name: str
    position: int


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    question_id: int
    kind: MessageKind
    author: Person | None = Field(
        description="null: the asker of an anonymous question, to other members"
    )
    body: str
    visibility: Visibility
    visibility_label: str = Field(description="审核中 to its author while held")
    accepted_at: ShownTime | None
    created_at: ShownTime


class QuestionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int = Field(description="Where it was asked from: the asker's relation, else workplace")
    category_id: int
    category_name: str
    title: str
    body: str
    anonymous: bool
    asker: Person | None = Field(
        description="null for an anonymous question, to every member but its asker"
    )
    status: QuestionStatus
    status_label: str = Field(description="审核中 / 待回答 / 已回答 / 已关闭 / 未通过审核")
    routed_org_id: int
    routed_role: Role
    assignee_member_id: int | None
    accepted_message_id: int | None
    first_answered_at: ShownTime | None
    closed_at: ShownTime | None
    created_at: ShownTime


class QuestionDetail(QuestionRead):
    messages: list[MessageRead] = Field(
        description="The visible answers and follow-ups, oldest first, and the caller's own "
        "held or rejected ones"
    )


class ReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject: ReviewSubject
    subject_id: int
    question_id: int
    kind: str = Field(description="question, answer or follow_up")
    question_title: str
    text: str = Field(description="The held text (a question's title is question_title)")
    author: Person | None
    label: int | None
    label_name: str
    reason: str = Field(description="Why it was held: wechat_review, wechat_unavailable, …")
    source: str
    created_at: ShownTime


class DecisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    decision: ReviewDecision
    decision_reason: str | None
    decided_at: ShownTime


class QaSettingsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    org_id: int
    members_may_answer: bool = Field(description="What holds for the subtree")
    own: bool | None = Field(description="This committee's own value; null: it inherits")
    decided_by_org_id: int | None = Field(
        description="The committee whose value holds (the nearest above that set one); "
        "null: nobody set one, only instructors and admins answer"
    )
