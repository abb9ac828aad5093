"""What WeChat accepts in each kind of subscribe-message field: the one table the renderer
fits values to and the tests check rendered values against. A value outside its field's
rule makes WeChat refuse the whole message with 47003, so the renderer never sends one.

From the subscribeMessage.send reference (docs/wechat.md keeps the limits we rely on):
``thing`` ≤ 20 characters of any kind; ``number`` ≤ 32 digits (a decimal point allowed);
``letter`` ≤ 32 letters; ``symbol`` ≤ 5 symbols; ``character_string`` ≤ 32 digits,
letters and symbols (no Chinese); ``time`` a 24-hour time with its date
(``YYYY年MM月DD日 HH:mm``); ``date`` a date (``YYYY年MM月DD日``, a time may follow);
``amount`` a currency sign, ≤ 10 digits with decimals, maybe ``元``; ``phone_number`` ≤ 17
digits and symbols; ``car_number`` ≤ 8, Chinese only first and last; ``name`` ≤ 10
Chinese characters or ≤ 20 letters; ``phrase`` ≤ 5 Chinese characters and nothing else."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_NOT_HAN = re.compile(rf"[^{_HAN}]")
_DATE = r"\d{4}年\d{2}月\d{2}日"
_CLOCK = r"([01]\d|2[0-3]):[0-5]\d"


def _thing(text: str) -> str:
    return text if len(text) <= 20 else text[:19] + "…"


def _phrase(text: str) -> str:
    # Only Chinese characters: whatever else the text holds is dropped, not sent.
    return _NOT_HAN.sub("", text)[:5]


def _name(text: str) -> str:
    return text[:20] if text.isascii() else text[:10]


def _keep(unwanted: str, limit: int) -> Callable[[str], str]:
    """Drops what the field does not take, then cuts to its length."""
    pattern = re.compile(unwanted)
    return lambda text: pattern.sub("", text)[:limit]


@dataclass(frozen=True)
class FieldRule:
    """One field kind: what WeChat accepts, how a text is made to fit, and what is sent
    when nothing of the text fits (WeChat refuses an empty value too). A ``moment`` kind
    is filled from a time, never from free text."""

    kind: str
    valid: Callable[[str], bool]
    fit: Callable[[str], str]
    fallback: str = "-"
    moment: bool = False


def _matches(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda value: compiled.fullmatch(value) is not None


def _valid_name(value: str) -> bool:
    if not value or not value.isprintable():
        return False
    return len(value) <= (20 if value.isascii() else 10)


def _moment_only(_text: str) -> str:
    return ""


RULES: dict[str, FieldRule] = {
    rule.kind: rule
    for rule in (
        FieldRule("thing", lambda v: 0 < len(v) <= 20 and v.isprintable(), _thing, "无"),
        FieldRule("number", _matches(r"(?=.{1,32}$)\d+(\.\d+)?"), _keep(r"[^\d]", 32), "0"),
        FieldRule("letter", _matches(r"[A-Za-z]{1,32}"), _keep(r"[^A-Za-z]", 32), "NA"),
        FieldRule("symbol", _matches(r"[!-/:-@\[-`{-~]{1,5}"), _keep(r"[^!-/:-@\[-`{-~]", 5)),
        # Printable ASCII without the space: digits, letters and symbols.
        FieldRule("character_string", _matches(r"[!-~]{1,32}"), _keep(r"[^!-~]", 32)),
        FieldRule("time", _matches(rf"{_DATE} {_CLOCK}"), _moment_only, moment=True),
        FieldRule("date", _matches(rf"{_DATE}( {_CLOCK})?"), _moment_only, moment=True),
        FieldRule("amount", _matches(r"[¥$]?\d{1,10}(\.\d{1,2})?元?"), _keep(r"[^\d]", 10), "0"),
        FieldRule("phone_number", _matches(r"[\d+\-() ]{1,17}"), _keep(r"[^\d+\-() ]", 17)),
        FieldRule(
            "car_number",
            _matches(rf"(?=.{{1,8}}$)[{_HAN}]?[A-Z0-9]+[{_HAN}]?"),
            lambda text: _keep(r"[^A-Z0-9]", 8)(text.upper()),
            "0",
        ),
        FieldRule("name", _valid_name, _name, "无"),
        FieldRule("phrase", _matches(rf"[{_HAN}]{{1,5}}"), _phrase, "无"),
    )
}


def chinese_time(value: datetime, zone: ZoneInfo) -> str:
    """A ``time`` field: 2025年06月03日 10:00, in the display time zone."""
    return f"{value.astimezone(zone):%Y年%m月%d日 %H:%M}"


def chinese_date(value: datetime, zone: ZoneInfo) -> str:
    return f"{value.astimezone(zone):%Y年%m月%d日}"


def fit_text(kind: str, text: str) -> str:
    """``text`` made to fit a field of ``kind``; the kind's fallback when none of it does."""
    rule = RULES[kind]
    if rule.moment:
        raise ValueError(f"a {kind} field takes a time, not text")
    fitted = rule.fit(" ".join(text.split())).strip()
    return fitted if rule.valid(fitted) else rule.fallback


def fit_moment(kind: str, moment: datetime, zone: ZoneInfo) -> str:
    return chinese_date(moment, zone) if kind == "date" else chinese_time(moment, zone)
