"""Pydantic field types that carry a stable error code for the mini-program to switch on."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Strict,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from app.kit.identifiers import credit_code_problem, id_number_problem

_MESSAGES = {
    "credit_code.length": "统一社会信用代码应为18位",
    "credit_code.charset": "统一社会信用代码含有不允许的字符",
    "credit_code.check_char": "统一社会信用代码校验位不正确",
    "id_number.length": "身份证号码应为18位",
    "id_number.charset": "身份证号码格式不正确",
    "id_number.birth_date": "身份证号码中的出生日期无效",
    "id_number.check_char": "身份证号码校验位不正确",
    "phone.invalid": "手机号码格式不正确",
    "text.control_char": "不能包含控制字符",
    "date.format": "日期格式应为 YYYY-MM-DD",
    "date.out_of_range": "日期超出允许范围（1900—2100年）",
    "datetime.format": "时间格式应为 ISO 8601，如 2026-07-01T09:00:00+08:00",
    "datetime.out_of_range": "时间超出允许范围（1900—2100年）",
    "bool.format": "应为 true 或 false",
}


def _upper_stripped(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _check_credit_code(value: str) -> str:
    problem = credit_code_problem(value)
    if problem:
        raise PydanticCustomError(problem, _MESSAGES[problem])
    return value


def _check_id_number(value: str) -> str:
    problem = id_number_problem(value)
    if problem:
        raise PydanticCustomError(problem, _MESSAGES[problem])
    return value


def _check_phone(value: str) -> str:
    # isascii(): str.isdigit() also admits full-width and other Unicode digits.
    if not (len(value) == 11 and value.isascii() and value.isdigit() and value.startswith("1")):
        raise PydanticCustomError("phone.invalid", _MESSAGES["phone.invalid"])
    return value


def _check_no_control_chars(value: str) -> str:
    # PostgreSQL refuses NUL in text (a 500, not a 422), and no name needs a control character.
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise PydanticCustomError("text.control_char", _MESSAGES["text.control_char"])
    return value


def _check_multi_line(value: str) -> str:
    # Lines and tabs are what multi-line text is made of; NUL and the rest are not.
    if any(unicodedata.category(char) == "Cc" and char not in "\t\n\r" for char in value):
        raise PydanticCustomError("text.control_char", _MESSAGES["text.control_char"])
    return value


# The length is checked by the validators, so a wrong length answers with its own code
# (credit_code.length, id_number.length); the schema still documents the 18 characters.
_EIGHTEEN_CHARS = WithJsonSchema({"type": "string", "maxLength": 18, "minLength": 18})
CreditCode = Annotated[
    str,
    BeforeValidator(_upper_stripped),
    AfterValidator(_check_credit_code),
    _EIGHTEEN_CHARS,
]
IdNumber = Annotated[
    str,
    BeforeValidator(_upper_stripped),
    AfterValidator(_check_id_number),
    _EIGHTEEN_CHARS,
]
MobilePhone = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    AfterValidator(_check_phone),
    WithJsonSchema({"type": "string", "maxLength": 11, "minLength": 11}),
]
NoControlChars = AfterValidator(_check_no_control_chars)
"""For single-line free text stored or searched for; put it after the length constraints,
which then keep their own codes (string_too_long)."""
MultiLine = AfterValidator(_check_multi_line)
"""For text of several lines (descriptions, minutes, reasons): tab, CR and LF allowed."""


def line(max_length: int, *, min_length: int = 1) -> StringConstraints:
    """The bounds of user-written text, stripped: ``max_length`` never above its column."""
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


# Every string a user writes is one of these: bounded to its column (see line()) and free of
# control characters (NUL is a 500 on PostgreSQL; the sheet and the push texts refuse the rest).
Text20 = Annotated[str, line(20), NoControlChars]
Text50 = Annotated[str, line(50), NoControlChars]
Text100 = Annotated[str, line(100), NoControlChars]
Text200 = Annotated[str, line(200), NoControlChars]
Reason200 = Annotated[str, line(200), MultiLine]
Reason500 = Annotated[str, line(500), MultiLine]
SearchText = Annotated[str, StringConstraints(max_length=50), NoControlChars]
Name = Text50


class RequestModel(BaseModel):
    """The base of every request body: strict, so that a boolean is true or false, a number
    a JSON number (not ``true`` nor ``"3"``) and a date an ISO string (not ``0``).

    Pydantic's strict mode also wants enum members and ``date`` objects, which JSON never
    carries: enum fields say ``Lax`` and dates use ``IsoDate`` / ``Moment``, which check the
    text themselves."""

    model_config = ConfigDict(strict=True)


Lax = Strict(False)
"""For an enum in a ``RequestModel``: its value as JSON carries it (a string) is accepted."""

# The years a date or a moment may fall in: enough for birth dates and any schedule, and far
# from the edges where converting to UTC overflows (year 1 at +14:00, year 9999 at -14:00).
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_date_text(value: object) -> object:
    # Lax mode reads 0 or "0" as 1970-01-01 (a Unix time); only the ISO form is a date here.
    if (isinstance(value, str) and _ISO_DATE.fullmatch(value)) or isinstance(value, date):
        return value
    raise PydanticCustomError("date.format", _MESSAGES["date.format"])


def _date_in_range(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise PydanticCustomError("date.out_of_range", _MESSAGES["date.out_of_range"])
    return value


def _iso_moment_text(value: object) -> object:
    if (isinstance(value, str) and _ISO_MOMENT.match(value)) or isinstance(value, datetime):
        return value
    raise PydanticCustomError("datetime.format", _MESSAGES["datetime.format"])


def _moment_in_utc(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST_YEAR <= utc.year <= LATEST_YEAR:
        raise PydanticCustomError("datetime.out_of_range", _MESSAGES["datetime.out_of_range"])
    return utc


IsoDate = Annotated[date, Lax, BeforeValidator(_iso_date_text), AfterValidator(_date_in_range)]
"""A day, as YYYY-MM-DD, in EARLIEST_YEAR..LATEST_YEAR (query or body)."""
Moment = Annotated[
    AwareDatetime, Lax, BeforeValidator(_iso_moment_text), AfterValidator(_moment_in_utc)
]
"""An instant with its offset, as ISO 8601, in EARLIEST_YEAR..LATEST_YEAR, given back in UTC
(as the database gives times back, so answers and event payloads agree)."""


def _true_or_false(value: object) -> object:
    # Lax mode also reads 1, "yes", "on", "t" and "y" as true.
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise PydanticCustomError("bool.format", _MESSAGES["bool.format"])


QueryFlag = Annotated[bool, BeforeValidator(_true_or_false)]
"""A boolean query parameter: ``true`` or ``false``."""
