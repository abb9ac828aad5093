"""WeChat subscribe-message templates from settings, and their fields cut to WeChat's limits.
A value over its type's limit makes WeChat refuse the whole message (47003), so every value
is fitted before sending."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from app.models import NotificationKind
from app.notify.channels.base import Message
from app.notify.channels.fields import as_datetime, as_text, chinese_datetime, shorten, source_value

# Characters per field type (wechat.md and the subscribeMessage.send reference). A `name`
# holds 10 Chinese characters or 20 Latin ones; `time` and `date` are formatted, not cut.
_LIMITS = {
    "thing": 20,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "character_string": 32,
    "phone_number": 17,
    "car_number": 8,
    "phrase": 5,
    "amount": 11,
}
_FORMATTED = {"time", "date", "name"}
FIELD_TYPES = frozenset(_LIMITS) | _FORMATTED
_KEY = re.compile(r"^([a-z_]+?)(\d+)$")


@dataclass(frozen=True)
class WeChatTemplate:
    template_id: str
    fields: dict[str, str]  # WeChat key (thing1) -> message source


def field_type(key: str) -> str:
    match = _KEY.match(key)
    if match is None or match.group(1) not in FIELD_TYPES:
        raise ValueError(f"{key!r} is not a WeChat template field (thing1, time2, phrase3…)")
    return match.group(1)


def parse_templates(raw: dict[str, dict[str, str]]) -> dict[NotificationKind, WeChatTemplate]:
    """Settings' ``wechat_templates``, checked: known kinds, known field types."""
    templates = {}
    for kind_name, spec in raw.items():
        try:
            kind = NotificationKind(kind_name)
        except ValueError:
            msg = f"APP_WECHAT_TEMPLATES: unknown notification kind {kind_name!r}"
            raise ValueError(msg) from None
        fields = {key: source for key, source in spec.items() if key != "template_id"}
        if not fields:
            raise ValueError(f"APP_WECHAT_TEMPLATES[{kind_name}] maps no fields")
        for key in fields:
            field_type(key)
        templates[kind] = WeChatTemplate(spec["template_id"], fields)
    return templates


def _fit(kind: str, text: str) -> str:
    if kind == "name":
        return shorten(text, 20 if text.isascii() else 10, "")
    if kind == "thing":
        return shorten(text, _LIMITS[kind])
    return shorten(text, _LIMITS.get(kind, 32), "")


def render(template: WeChatTemplate, message: Message, zone: ZoneInfo) -> dict[str, str]:
    data = {}
    for key, source in template.fields.items():
        kind = field_type(key)
        value = source_value(message, source)
        moment = as_datetime(value)
        if kind in ("time", "date") and moment is not None:
            data[key] = chinese_datetime(moment, zone)
        else:
            # WeChat refuses an empty value as firmly as a long one.
            data[key] = _fit(kind, as_text(value, zone).strip()) or "-"
    return data
