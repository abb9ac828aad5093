"""Id types bounded to what the database stores, so an out-of-range id is a 422, not a 500."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator, Field, Strict
from pydantic_core import PydanticKnownError

INT32_MAX = 2_147_483_647


def _decimal_digits(value: object) -> object:
    # A query or path integer is its digits: lax mode also reads "1.0", "+1", " 1" and "1_0".
    # A minus stays allowed, so that -1 is refused by the bound (greater_than_equal).
    digits = value.removeprefix("-") if isinstance(value, str) else "0"
    if not (digits.isascii() and digits.isdigit()):
        raise PydanticKnownError("int_parsing")
    return value


Digits = BeforeValidator(_decimal_digits)
"""For an integer in a query or a path: the text of a JSON integer, no plus, point nor
space."""

DbId = Annotated[int, Strict(), Field(ge=1, le=INT32_MAX)]
IdPath = Annotated[int, Path(ge=1, le=INT32_MAX), Digits]
IdQuery = Annotated[int | None, Query(ge=1, le=INT32_MAX), Digits]
