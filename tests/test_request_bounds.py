"""Every bounded request string fits the column of the same name (issue 9: a login code
longer than its column was a 500 on PostgreSQL). Columns are matched by name, not by table,
so a field is held to the longest column of its name: a guard against a bound widened past
every column, not a proof of the mapping."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from pydantic.fields import FieldInfo
from sqlalchemy import String

import app.main  # noqa: F401 - imports every feature, so every request model is defined
from app.kit.validation import RequestModel
from app.models import Base


def _models(cls: type[RequestModel]) -> Iterator[type[RequestModel]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _models(sub)


def _max_length(field: FieldInfo) -> int | None:
    found: int | None = None
    annotated: list[Any] = [field.annotation, *typing.get_args(field.annotation)]
    metadata = [*field.metadata, *(m for a in annotated for m in getattr(a, "__metadata__", ()))]
    for constraint in metadata:
        found = getattr(constraint, "max_length", None) or found
    return found


def _longest_columns() -> dict[str, int]:
    longest: dict[str, int] = {}
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, String) and column.type.length:
                longest[column.name] = max(longest.get(column.name, 0), column.type.length)
    return longest


def test_no_request_string_is_longer_than_its_column() -> None:
    columns = _longest_columns()
    checked, too_long = 0, []
    for model in set(_models(RequestModel)):
        for name, field in model.model_fields.items():
            bound = _max_length(field)
            if bound is None or name not in columns:
                continue
            checked += 1
            if bound > columns[name]:
                too_long.append(f"{model.__name__}.{name}: {bound} > {columns[name]}")
    assert checked > 20  # the walk reaches the models and their bounds
    assert too_long == []
