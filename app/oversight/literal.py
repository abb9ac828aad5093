"""The figures' statements with their values written in (``literal_execute``): no ``$n``
reaches PostgreSQL, so it plans each statement for its values.

A statement with parameters is prepared once by the driver; after five runs PostgreSQL may
switch to its generic plan, which cannot see which organization the subtree hangs from. It
then guesses a subtree of five rows where a city's has 14,000, nests its loops, and a figure
that took 300 ms took minutes (bench/README.md, "Oversight dashboard")."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import BindParameter
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.visitors import cloned_traverse

Statement = TypeVar("Statement", bound=ClauseElement)


def _write_in(bind: BindParameter[object]) -> None:
    bind.literal_execute = True


def written(statement: Statement) -> Statement:
    """A copy of ``statement`` whose every bound value is rendered into its SQL."""
    return cloned_traverse(statement, {}, {"bindparam": _write_in})
