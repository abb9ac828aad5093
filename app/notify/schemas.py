from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from app.models import Channel, DeliveryStatus, NotificationKind


class InboxItem(BaseModel):
    id: int
    notification_id: int
    kind: NotificationKind
    title: str
    body: str
    page: str | None = Field(description="The mini-program page to open")
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int


# "HH:MM", local to the display time zone: a wall-clock time, so no offset.
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class QuietHoursBody(BaseModel):
    starts: ClockTime = Field(description="Local time (display time zone), e.g. 22:00")
    ends: ClockTime = Field(
        description="Local time; earlier than starts spans midnight, e.g. 07:00"
    )

    def as_times(self) -> tuple[time, time]:
        return time.fromisoformat(self.starts), time.fromisoformat(self.ends)

    @classmethod
    def of(cls, quiet: tuple[time, time]) -> QuietHoursBody:
        return cls(starts=quiet[0].strftime("%H:%M"), ends=quiet[1].strftime("%H:%M"))


class PreferenceChange(BaseModel):
    kind: NotificationKind
    channel: Channel
    enabled: bool


class PreferencesWrite(BaseModel):
    changes: list[PreferenceChange] = Field(default_factory=list, max_length=64)
    quiet_hours: QuietHoursBody | None = Field(
        default=None, description="Replaces the quiet hours; null removes them"
    )


class KindPreferences(BaseModel):
    kind: NotificationKind
    critical: bool = Field(description="Cannot be turned off")
    channels: dict[str, bool]


class PreferencesRead(BaseModel):
    kinds: list[KindPreferences]
    quiet_hours: QuietHoursBody | None


class DeadLetter(BaseModel):
    id: int
    notification_id: int
    kind: NotificationKind
    title: str
    org_id: int | None
    member_id: int | None
    member_name: str | None
    channel: Channel
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    created_at: datetime
