"""Points fixtures: the world of tests/factories.py, ledger rows read in short sessions of
their own, and ledger calls on a connection of their own, as a feature makes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from app.models import PointEntry, PointKind
from app.points import ledger

# The check-in tests' scene (a branch with a secretary, the API driven on a frozen clock at
# T0) serves the points tests too: attending is what earns most.
from tests.checkin.conftest import clock, scene, settings  # noqa: F401


async def entries(app: FastAPI, member_id: int | None = None) -> Sequence[PointEntry]:
    query = select(PointEntry).order_by(PointEntry.id)
    if member_id is not None:
        query = query.where(PointEntry.member_id == member_id)
    async with app.state.runtime.sessionmaker() as session:
        return (await session.scalars(query)).all()


async def award(
    app: FastAPI, member_id: int, kind: PointKind, source: str, now: datetime, **rule: Any
) -> ledger.Awarded | None:
    """``ledger.award`` in a transaction of its own, committed."""
    async with app.state.runtime.engine.begin() as connection:
        return await ledger.award(
            connection, member_id=member_id, kind=kind, source=source, now=now, **rule
        )


async def retract(
    app: FastAPI, member_id: int, kind: PointKind, source: str, now: datetime
) -> ledger.Awarded | None:
    async with app.state.runtime.engine.begin() as connection:
        return await ledger.retract(
            connection, member_id=member_id, kind=kind, source=source, now=now
        )
