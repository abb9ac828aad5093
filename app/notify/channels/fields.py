"""Values for an upstream's template fields, taken from a message. Template settings name a
source per field: the message's ``title``, ``body`` or ``created_at``, a key of its
``data``, or ``=literal`` text. Providers' templates are approved with fixed variables, so
what fills them is configuration, not code."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.notify.channels.base import Message


def source_value(message: Message, source: str) -> object:
    if source.startswith("="):
        return source[1:]
    if source in ("title", "body", "created_at"):
        return getattr(message, source)
    return message.data.get(source, "")


def as_datetime(value: object) -> datetime | None:
    """A datetime, or an ISO 8601 string of one with an offset (data travels as JSON)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return None


def chinese_datetime(value: datetime, zone: ZoneInfo) -> str:
    """The form WeChat's time and date fields document: 2019年10月1日 15:01."""
    local = value.astimezone(zone)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    if len(text) <= limit:
        return text
    if not ellipsis:
        return text[:limit]
    return text[: limit - len(ellipsis)] + ellipsis


def as_text(value: object, zone: ZoneInfo) -> str:
    moment = as_datetime(value)
    if moment is not None:
        return chinese_datetime(moment, zone)
    return "" if value is None else str(value)
