"""Alembic environment: async engines, batch mode on SQLite, the models' metadata."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.models import Base
from app.models.base import UTCDateTime

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from app.config import settings

        url = settings.database_url
    return url


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:  # noqa: ARG001
    # Migrations must not import app code: our UTC wrapper is a plain timezone-aware DateTime
    # to the database.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Search's own indexes live outside the models' metadata (migrations 0014 and 0018): SQLite's
# FTS5 table with its shadow tables (qa_search_fts_data, _idx, _docsize, _config), and
# PostgreSQL's tsvector column with its GIN index. Reflected, they would look like tables, a
# column and an index to drop.
_UNMODELLED_TABLES = "qa_search_fts"
_UNMODELLED_INDEXES = frozenset({"ix_qa_search_entries_vector"})
_UNMODELLED_COLUMNS = frozenset({("qa_search_entries", "vector")})


def _include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    if type_ == "table" and name is not None and name.startswith(_UNMODELLED_TABLES):
        return False
    if type_ == "column" and (parent_names.get("table_name"), name) in _UNMODELLED_COLUMNS:
        return False
    return not (type_ == "index" and name in _UNMODELLED_INDEXES)


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    url = _url()
    if url.startswith("sqlite"):
        from app.db import _prepare_sqlite

        _prepare_sqlite(url)
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    asyncio.run(_run_online())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
