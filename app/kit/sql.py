"""SQL that differs between the two databases we run on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that knows ON CONFLICT: both databases spell it alike, SQLAlchemy does not."""
    dialect = (await session.connection()).dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


async def is_postgresql(session: AsyncSession) -> bool:
    return (await session.connection()).dialect.name == "postgresql"
