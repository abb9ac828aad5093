"""reliability.md 17: migrations go up and down cleanly, and the models match them."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.migrate import alembic_config, check, downgrade, upgrade
from app.models import Base


async def _on_postgres_server(base_url: str, sql: str) -> None:
    url = make_url(base_url)
    conn = await asyncpg.connect(
        user=url.username or "postgres",
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        database="postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own, so going down to base disturbs no other test."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    asyncio.run(_on_postgres_server(base, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_on_postgres_server(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _tables(url: str) -> set[str]:
    async def names() -> set[str]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            found = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        await engine.dispose()
        return found

    return asyncio.run(names())


def test_up_down_up_and_models_match(scratch_url: str) -> None:
    model_tables = {table.name for table in Base.metadata.sorted_tables}
    upgrade(scratch_url)
    assert model_tables <= _tables(scratch_url)
    downgrade(scratch_url, "base")
    assert _tables(scratch_url) & model_tables == set()
    upgrade(scratch_url)
    check(scratch_url)  # raises when autogenerate would find a difference


def test_one_head_and_dated_file_names() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert revision.path is not None
        name = Path(revision.path).name
        assert name[:8].isdigit(), name
        assert name[8] == "-", name


def test_sqlite_never_hands_out_a_deleted_rows_id_again(tmp_path: Path) -> None:
    """Each table with an integer id says AUTOINCREMENT, the ones made after migration 0010
    included: their migrations must say `sqlite_autoincrement=True` as the models do."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'ids.db'}"
    upgrade(url)

    async def created() -> dict[str, str]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            rows = await conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
            )
            found = {str(name): str(sql) for name, sql in rows.all()}
        await engine.dispose()
        return found

    statements = asyncio.run(created())
    marked = [
        t.name for t in Base.metadata.sorted_tables if t.dialect_kwargs.get("sqlite_autoincrement")
    ]
    assert "organizations" in marked
    assert [name for name in marked if "AUTOINCREMENT" not in statements[name]] == []
