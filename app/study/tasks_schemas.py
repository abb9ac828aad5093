from __future__ import annotations

import enum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import Moment, Reason500, RequestModel, Text100
from app.models import PartyStatus
from app.orgs.audience import DEFAULT_STATUSES, AudienceOrgs, AudienceStatuses

MAX_TASK_MATERIALS = 20

TaskMaterials = Annotated[
    list[DbId],
    Field(min_length=1, max_length=MAX_TASK_MATERIALS, description="Published materials, in order"),
    AfterValidator(lambda v: list(dict.fromkeys(v))),
]


class TaskCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    org_id: DbId | None = Field(
        default=None, description="Assigning organization; default: the first audience org"
    )
    title: Text100
    description: Reason500 | None = None
    due_at: Moment = Field(description="In the future")
    material_ids: TaskMaterials
    audience_org_ids: AudienceOrgs
    audience_statuses: AudienceStatuses = Field(
        default_factory=lambda: list(DEFAULT_STATUSES),
        description="Default: full and probationary members",
    )


class TaskUpdate(RequestModel):
    """Title, description and due time change until the task is cancelled; its materials
    and audience only while nobody in the audience has studied its materials."""

    model_config = ConfigDict(extra="forbid")

    title: Text100 | None = None
    description: Reason500 | None = None
    due_at: Moment | None = None
    material_ids: TaskMaterials | None = None
    audience_org_ids: AudienceOrgs | None = None
    audience_statuses: AudienceStatuses | None = None


class TaskMaterialBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    required_seconds: int


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    title: str
    description: str | None
    due_at: ShownTime
    cancelled_at: ShownTime | None
    last_reminded_at: ShownTime | None
    materials: list[TaskMaterialBrief]
    audience_org_ids: list[int]
    audience_statuses: list[PartyStatus]
    created_at: ShownTime
    updated_at: ShownTime


class CompletionCounts(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    audience: int
    completed: int
    in_progress: int = Field(description="Studied some, not every material complete")
    not_started: int
    completion_rate: float = Field(description="completed / audience, 0 when nobody is in it")


class OrgCompletion(CompletionCounts):
    org_id: int
    name: str


class TaskCompletion(BaseModel):
    task_id: int
    totals: CompletionCounts
    by_org: list[OrgCompletion] = Field(
        description="Per organization: the member's relation organization, else their workplace"
    )


class StudyState(enum.StrEnum):
    COMPLETED = "completed"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"


class PendingMember(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    member_id: int
    name: str
    org_id: int
    org_name: str
    party_status: PartyStatus
    materials_done: int
    materials_total: int
    credited_seconds: int
    state: StudyState


class Reminded(BaseModel):
    reminded: int = Field(description="Audience members who had not completed, now reminded")


class MaterialProgress(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    material_id: int
    title: str
    credited_seconds: int
    required_seconds: int
    completed: bool


class MyTask(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    title: str
    description: str | None
    due_at: ShownTime
    cancelled_at: ShownTime | None
    overdue: bool
    completed: bool = Field(description="Every material of the task is complete")
    completed_at: ShownTime | None
    materials: list[MaterialProgress]
