"""How the figures' statements are planned: their values written in (``literal_execute``): no ``$n``
reaches PostgreSQL, so it plans each statement for its values.

A statement with parameters is prepared once by the driver; after five runs PostgreSQL may
switch to its generic plan, which cannot see which organization the subtree hangs from. It
then guesses a subtree of five rows where a city's has 14,000, nests its loops, and a figure
that took 300 ms took minutes (bench/README.md, "Oversight dashboard")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy import BindParameter, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.visitors import cloned_traverse

Statement = TypeVar("Statement", bound=ClauseElement)


def _write_in(bind: BindParameter[object]) -> None:
    bind.literal_execute = True


def written(statement: Statement) -> Statement:
    """A copy of ``statement`` whose every bound value is rendered into its SQL."""
    return cloned_traverse(statement, {}, {"bindparam": _write_in})


@asynccontextmanager
async def without_jit(session: AsyncSession) -> AsyncIterator[None]:
    """The statements run inside without PostgreSQL's JIT compilation (elsewhere: nothing).

    The compliance statements over a city's 4,600 branches are estimated at 150,000 to
    960,000 cost units, above ``jit_above_cost`` (100,000) and, for the whole sheet, the
    inlining and optimizing thresholds (500,000); compiling them took 0.2-0.4 s of a page's
    0.5-0.7 s and 3.5 s of the sheet's 6 s, for statements that run in a few hundred ms
    (bench/README.md, "Oversight dashboard"). Set on the session's connection and reset
    after (read sessions are autocommit: ``SET LOCAL`` would end with the statement); a
    value left behind by a broken connection only turns JIT off."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    await session.execute(text("SET jit = off"))
    try:
        yield
    finally:
        await session.execute(text("RESET jit"))
