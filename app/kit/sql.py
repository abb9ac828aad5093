"""SQL that differs between the two databases we run on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_on_conflict(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that knows ON CONFLICT: both databases spell it alike, SQLAlchemy does not."""
    if is_postgresql(session):
        return postgresql.insert(table)
    return sqlite.insert(table)


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"
