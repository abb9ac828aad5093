"""Requests and answers of relation transfers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import Lax, Reason200, RequestModel, Text50, Text100
from app.models import TransferAction, TransferKind, TransferStatus, TransferStep

KIND_LABELS = {
    TransferKind.INTERNAL: "系统内转接",
    TransferKind.OUTBOUND: "转出系统外",
    TransferKind.INBOUND: "从系统外转入",
}
STATUS_LABELS = {
    TransferStatus.PENDING: "办理中",
    TransferStatus.RETURNED: "退回修改",
    TransferStatus.COMPLETED: "已完成",
    TransferStatus.REJECTED: "未通过",
    TransferStatus.WITHDRAWN: "已撤回",
}
STEP_LABELS = {
    TransferStep.OUT_BRANCH: "转出审批",
    TransferStep.COMMITTEE: "党委审批",
    TransferStep.IN_BRANCH: "转入接收",
}
ACTION_LABELS = {
    TransferAction.CREATED: "发起",
    TransferAction.APPROVED: "同意",
    TransferAction.REJECTED: "不同意",
    TransferAction.RETURNED: "退回修改",
    TransferAction.RESUBMITTED: "重新提交",
    TransferAction.WITHDRAWN: "撤回",
    TransferAction.COMPLETED: "办结",
}


# --- requests ---------------------------------------------------------------------------


class TransferFields(RequestModel):
    model_config = ConfigDict(extra="forbid")

    to_org_id: DbId | None = Field(
        default=None, description="The in-branch, a branch or joint branch of this system"
    )
    to_outside_name: Text100 | None = Field(
        default=None, description="转出系统外: the receiving organization's name"
    )
    from_outside_name: Text100 | None = Field(
        default=None,
        description="从系统外转入 (the member has no relation here): the sending organization",
    )
    letter_number: Text50 | None = Field(
        default=None, description="介绍信编号: required when either side is outside the system"
    )
    reason: Reason200 | None = Field(default=None, description="转接原因")


class TransferCreate(TransferFields):
    member_id: DbId = Field(description="A member of the caller's scope")


class SelfTransferCreate(TransferFields):
    """A member asking for their own transfer."""


class TransferResubmit(TransferFields):
    """What the starter changes before resubmitting; a field left out stays as it was."""


class StepDecision(RequestModel):
    model_config = ConfigDict(extra="forbid")

    step: Annotated[TransferStep, Lax] = Field(
        description="The step decided: the one waiting, or the answer is 409"
    )


class StepRefusal(StepDecision):
    reason: Reason200


class Withdrawal(RequestModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason200 | None = None


# --- answers ----------------------------------------------------------------------------


class TimelineEntry(BaseModel):
    action: TransferAction
    action_label: str
    step: TransferStep | None
    step_label: str | None
    actor_name: str | None
    at: ShownTime
    reason: str | None


class TransferRead(BaseModel):
    id: int
    member_id: int
    member_name: str
    kind: TransferKind
    kind_label: str
    status: TransferStatus
    status_label: str
    step: TransferStep | None = Field(description="The step waiting (only while pending)")
    step_label: str | None
    steps: list[TransferStep] = Field(description="Every step this transfer passes, in order")
    from_org_id: int | None
    from_name: str = Field(description="The out-branch, or the sending organization outside")
    to_org_id: int | None
    to_name: str = Field(description="The in-branch, or the receiving organization outside")
    committee_id: int | None = Field(description="The committee approving a crossing")
    letter_number: str | None
    reason: str | None
    started_by_name: str | None
    created_at: ShownTime
    updated_at: ShownTime
    completed_at: ShownTime | None


class TransferDetail(TransferRead):
    timeline: list[TimelineEntry]
