"""Times as users see them. Stored and computed in UTC; every time an answer carries is
written in Beijing time (``+08:00``), the one zone the mini-program's users live in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer, WithJsonSchema

DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")


def shown(moment: datetime) -> str:
    """``2026-12-02T12:30:00+08:00``: for an answer, an error's details or a message."""
    return moment.astimezone(DISPLAY_ZONE).isoformat()


# Every time in a response schema: the same instant, written with Beijing's offset.
ShownTime = Annotated[
    datetime,
    PlainSerializer(shown, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
