"""Keyset pagination with an opaque cursor: ``{"items": [...], "next_cursor": ...}``."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Generic, TypeVar

from pydantic import BaseModel

from app.errors import Unprocessable
from app.kit.types import INT32_MAX

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise Unprocessable("pagination.invalid_cursor", "分页游标无效", "Invalid cursor") from exc
    # Bounded like every id: past INT32_MAX PostgreSQL refuses the parameter with a 500.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= INT32_MAX:
        raise Unprocessable("pagination.invalid_cursor", "分页游标无效", "Invalid cursor")
    return value
