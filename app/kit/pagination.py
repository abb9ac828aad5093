"""Keyset pagination with an opaque cursor: ``{"items": [...], "next_cursor": ...}``.

A route takes ``page: PageParams`` (the ``cursor`` and ``limit`` query parameters), its
service reads ``page.size + 1`` rows after ``page.after``, and the route answers
``paginate(ItemRead, rows, page)``. A cursor is ``{"after": key}`` in URL-safe base64, the
key the last item's id, or for an order of several columns (the feed) an object of them, a
``CursorKey``. A cursor is decoded strictly against the key its list expects: anything
else (another list's key, a forged ``[1, 2, 3]``) is ``pagination.invalid_cursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from app.api_docs import raises
from app.errors import Unprocessable
from app.kit.types import INT32_MAX, Digits

T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)
K = TypeVar("K", bound="CursorKey")

MAX_PAGE_SIZE = 100


class InvalidCursor(Unprocessable):
    code = "pagination.invalid_cursor"
    message_zh = "分页游标无效"
    message_en = "Invalid cursor"


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class CursorKey(BaseModel):
    """The key of an order of several columns: exactly its fields, each of its type (strict:
    a boolean is true or false, a number is not a string)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Cursor(BaseModel, Generic[T]):
    model_config = ConfigDict(extra="forbid", strict=True)

    after: T


# Bounded like every id: past INT32_MAX PostgreSQL refuses the parameter.
_IdCursor = _Cursor[Annotated[int, Field(ge=0, le=INT32_MAX)]]


def encode_cursor(key: int | CursorKey) -> str:
    after = key if isinstance(key, int) else key.model_dump(mode="json")
    raw = json.dumps({"after": after}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decoded(cursor: str, shape: type[_Cursor[T]]) -> T:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        # A pydantic ValidationError is a ValueError, like a JSON or base64 one.
        return shape.model_validate_json(base64.urlsafe_b64decode(padded.encode())).after
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor() from exc


def decode_key(cursor: str, key: type[K]) -> K:
    """The ``key`` a cursor carries; ``invalid_cursor`` if it carries anything else."""
    return _decoded(cursor, _Cursor[key])  # type: ignore[valid-type]  # a key type chosen at run time


def decode_cursor(cursor: str | None) -> int | None:
    """The id a page of id order starts after."""
    return None if cursor is None else _decoded(cursor, _IdCursor)


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
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE), Digits] = None,
) -> PageRequest:
    return PageRequest(cursor, limit or request.app.state.runtime.settings.page_size_default)


PageParams = Annotated[PageRequest, Depends(page_request)]


def _by_id(row: Any) -> int:
    return int(row.id)


def paginate(
    schema: type[S],
    rows: Sequence[Any],
    page: PageRequest,
    key: Callable[[Any], int | CursorKey] = _by_id,
) -> Page[S]:
    """The page of ``rows`` (up to ``page.size + 1`` read) as ``schema``, validated from
    the rows' attributes."""
    shown = rows[: page.size]
    next_cursor = encode_cursor(key(shown[-1])) if len(rows) > page.size else None
    items = [schema.model_validate(row, from_attributes=True) for row in shown]
    return Page(items=items, next_cursor=next_cursor)
