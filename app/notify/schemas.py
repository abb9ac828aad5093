from __future__ import annotations

from datetime import time
from typing import Annotated, Any

from pydantic import AliasPath, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.kit.time import ShownTime
from app.kit.validation import Lax, NoControlChars, RequestModel
from app.models import Channel, DeliveryStatus, NotificationKind
from app.notify.subscriptions import SubscribeResult


class NewerMessage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    notification_id: int
    kind: NotificationKind
    title: str
    body: str
    created_at: ShownTime


class InboxItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    notification_id: int
    kind: NotificationKind
    title: str
    body: str
    page: str | None = Field(description="The mini-program page to open")
    data: dict[str, Any]
    created_at: ShownTime
    read_at: ShownTime | None
    subject: str | None = Field(
        description='What it is about, e.g. "activity:12"; messages of one subject go together'
    )
    superseded: bool = Field(
        description="A newer message about the same subject exists: this one is out of date"
    )
    superseded_by: NewerMessage | None = Field(
        description="That newer message (the activity's current state: moved, cancelled…)"
    )


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int


# "HH:MM", local to the display time zone: a wall-clock time, so no offset.
ClockTime = Annotated[
    str, StringConstraints(max_length=5, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
]


class QuietHoursBody(RequestModel):
    model_config = ConfigDict(from_attributes=True)

    starts: ClockTime = Field(description="Local time (display time zone), e.g. 22:00")
    ends: ClockTime = Field(
        description="Local time; earlier than starts spans midnight, e.g. 07:00"
    )

    @field_validator("starts", "ends", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        # Read from the stored QuietHours row: a time, shown as HH:MM.
        return value.strftime("%H:%M") if isinstance(value, time) else value

    def as_times(self) -> tuple[time, time]:
        return time.fromisoformat(self.starts), time.fromisoformat(self.ends)


class PreferenceChange(RequestModel):
    kind: Annotated[NotificationKind, Lax]
    channel: Annotated[Channel, Lax]
    enabled: bool


class PreferencesWrite(RequestModel):
    changes: list[PreferenceChange] = Field(default_factory=list, max_length=64)
    quiet_hours: QuietHoursBody | None = Field(
        default=None, description="Replaces the quiet hours; null removes them"
    )


class KindPreferences(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: NotificationKind
    critical: bool = Field(description="Cannot be turned off")
    channels: dict[str, bool]


class PreferencesRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kinds: list[KindPreferences]
    quiet_hours: QuietHoursBody | None


class DeadLetter(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    notification_id: int
    kind: NotificationKind = Field(validation_alias=AliasPath("notification", "kind"))
    title: str = Field(validation_alias=AliasPath("notification", "title"))
    org_id: int | None = Field(validation_alias=AliasPath("notification", "org_id"))
    member_id: int | None
    member_name: str | None
    channel: Channel
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    created_at: ShownTime


# wx.requestSubscribeMessage asks for at most 3 templates at once; leave room, stay bounded.
_MAX_RESULTS = 10
TemplateId = Annotated[  # as the column
    str, StringConstraints(min_length=1, max_length=64), NoControlChars
]


class SubscribeResults(RequestModel):
    """What wx.requestSubscribeMessage answered, template id by template id."""

    results: dict[TemplateId, SubscribeResult] = Field(min_length=1, max_length=_MAX_RESULTS)


class TemplateCreditsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    template_id: str
    kinds: list[NotificationKind]
    credits: int


class CommitteeSettingsWrite(RequestModel):
    absence_reminders: bool | None = Field(
        description="Remind members who missed a meeting without approved leave, in this "
        "committee's subtree; null: no value of its own (the committee above decides)"
    )


class CommitteeSettingsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    org_id: int
    absence_reminders: bool = Field(description="What holds for the subtree")
    own: bool | None = Field(description="This committee's own value; null: it inherits")
    decided_by_org_id: int | None = Field(
        description="The committee whose value holds (the nearest above that set one); "
        "null: nobody set one, reminders are on"
    )
