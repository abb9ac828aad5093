"""Pydantic field types that carry a stable error code for the mini-program to switch on."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema
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
MobilePhone = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_phone)]
NoControlChars = AfterValidator(_check_no_control_chars)
"""For free text stored or searched for; put it after the length constraints, which then
keep their own codes (string_too_long)."""
SearchText = Annotated[str, StringConstraints(max_length=50), NoControlChars]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NoControlChars
]
