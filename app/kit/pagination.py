"""Keyset pagination with an opaque cursor: ``{"items": [...], "next_cursor": ...}``.

A route takes ``page: PageParams`` (the ``cursor`` and ``limit`` query parameters), its
service reads ``page.size + 1`` rows after ``page.after``, and the route answers
``paginate(ItemRead, rows, page)``. A cursor is ``{"after": key}`` in URL-safe base64, the
key the last item's id, or a tuple of integers for an order of several columns (the feed).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel

from app.api_docs import raises
from app.errors import Unprocessable
from app.kit.types import INT32_MAX

T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)

MAX_PAGE_SIZE = 100


class InvalidCursor(Unprocessable):
    code = "pagination.invalid_cursor"
    message_zh = "分页游标无效"
    message_en = "Invalid cursor"


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(key: int | tuple[int, ...]) -> str:
    after: int | list[int] = key if isinstance(key, int) else list(key)
    raw = json.dumps({"after": after}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def decode_key(cursor: str, *bounds: int) -> tuple[int, ...]:
    """The key, one integer in ``0..bound`` per bound; ``invalid_cursor`` otherwise. Bounded
    like every id: past INT32_MAX PostgreSQL refuses the parameter."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidCursor() from exc
    values = (after,) if len(bounds) == 1 and _is_int(after) else after
    if not isinstance(values, list | tuple) or len(values) != len(bounds):
        raise InvalidCursor()
    if not all(_is_int(v) and 0 <= v <= bound for v, bound in zip(values, bounds, strict=True)):
        raise InvalidCursor()
    return tuple(values)


def decode_cursor(cursor: str | None) -> int | None:
    """The id a page of id order starts after."""
    return None if cursor is None else decode_key(cursor, INT32_MAX)[0]


@dataclass(frozen=True)
class PageRequest:
    """``cursor`` as sent (its key decoded by whoever knows its order), ``size`` the items
    to show."""

    cursor: str | None
    size: int

    @property
    def after(self) -> int | None:
        return decode_cursor(self.cursor)


@raises(InvalidCursor)
async def page_request(
    request: Request,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
) -> PageRequest:
    return PageRequest(cursor, limit or request.app.state.runtime.settings.page_size_default)


PageParams = Annotated[PageRequest, Depends(page_request)]


def _by_id(row: Any) -> int:
    return int(row.id)


def paginate(
    schema: type[S],
    rows: Sequence[Any],
    page: PageRequest,
    key: Callable[[Any], int | tuple[int, ...]] = _by_id,
) -> Page[S]:
    """The page of ``rows`` (up to ``page.size + 1`` read) as ``schema``, validated from
    the rows' attributes."""
    shown = rows[: page.size]
    next_cursor = encode_cursor(key(shown[-1])) if len(rows) > page.size else None
    items = [schema.model_validate(row, from_attributes=True) for row in shown]
    return Page(items=items, next_cursor=next_cursor)
