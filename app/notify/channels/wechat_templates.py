"""WeChat subscribe-message templates from settings, and their fields rendered to what WeChat
accepts (the rules in ``wechat_fields``). A value outside its field's rule makes WeChat
refuse the whole message (47003), so settings are checked at start against what each kind
of notification carries (``app.notify.catalogue``), and every value is fitted before sending."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from app.models import NotificationKind
from app.notify.catalogue import Value, values_of
from app.notify.channels.base import Message
from app.notify.channels.fields import as_datetime, as_text, source_value
from app.notify.channels.wechat_fields import RULES, fit_moment, fit_text

FIELD_TYPES = frozenset(RULES)
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


def _check_field(kind: NotificationKind, key: str, source: str) -> None:
    where = f"APP_WECHAT_TEMPLATES[{kind.value}].{key}"
    rule = RULES[field_type(key)]
    if source.startswith("="):
        literal = source[1:]
        if rule.moment or fit_text(rule.kind, literal) != literal:
            raise ValueError(f"{where}: WeChat refuses {literal!r} in a {rule.kind} field")
        return
    values = values_of(kind)
    if source not in values:
        known = ", ".join(sorted(values))
        raise ValueError(f"{where}: {kind.value} carries no {source!r} (it has: {known})")
    if rule.moment and values[source] is not Value.MOMENT:
        raise ValueError(f"{where}: a {rule.kind} field needs a time, {source!r} is text")


def parse_templates(raw: dict[str, dict[str, str]]) -> dict[NotificationKind, WeChatTemplate]:
    """Settings' ``wechat_templates``, checked: known kinds, known field types, sources the
    kind carries, times for time fields, literals WeChat accepts."""
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
        for key, source in fields.items():
            _check_field(kind, key, source)
        templates[kind] = WeChatTemplate(spec["template_id"], fields)
    return templates


def render_field(key: str, value: object, message: Message, zone: ZoneInfo) -> str:
    """One field's value as WeChat accepts it. A time field whose value is missing (an old
    notification, written before it carried the value) shows when the message was made."""
    rule = RULES[field_type(key)]
    if rule.moment:
        return fit_moment(rule.kind, as_datetime(value) or message.created_at, zone)
    return fit_text(rule.kind, as_text(value, zone))


def render(template: WeChatTemplate, message: Message, zone: ZoneInfo) -> dict[str, str]:
    return {
        key: render_field(key, source_value(message, source), message, zone)
        for key, source in template.fields.items()
    }
