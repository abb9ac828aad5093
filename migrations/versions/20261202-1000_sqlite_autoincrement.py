"""sqlite autoincrement: ids of deleted rows are never handed out again

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00

Without AUTOINCREMENT SQLite gives a new row the largest id in use plus one, so deleting
the newest article (or organization, attachment, role…) and creating another reuses its id:
an old link, a message or a cached page then opens the new object. PostgreSQL's sequences
never go back, so this is SQLite's alone. SQLite cannot add AUTOINCREMENT to a table, so each
table with an integer id is rebuilt by SQLite's own recipe (create the new table, copy, drop,
rename, re-create its indexes) from its own stored CREATE statement, every constraint kept.
Alembic connects with foreign keys off, so dropping a parent cascades nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PRIMARY_KEY = re.compile(r",\s*CONSTRAINT (\w+) PRIMARY KEY \((\w+)\)")


def _with_autoincrement(create: str, table: str) -> str:
    found = _PRIMARY_KEY.search(create)
    if found is None:
        raise RuntimeError(f"{table}: no single-column primary key constraint in {create!r}")
    name, column = found.groups()
    without = create[: found.start()] + create[found.end() :]
    column_def = re.compile(rf"(\n\s*\"?{column}\"? INTEGER NOT NULL)(,)")
    if not column_def.search(without):
        raise RuntimeError(f"{table}: no INTEGER NOT NULL column {column} in {create!r}")
    with_key = column_def.sub(rf"\1 CONSTRAINT {name} PRIMARY KEY AUTOINCREMENT\2", without, 1)
    return re.sub(r"^CREATE TABLE \"?\w+\"?", f'CREATE TABLE "_new_{table}"', with_key, count=1)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    tables = bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version' ORDER BY name"
    ).all()
    for table, create in tables:
        if "AUTOINCREMENT" in create.upper():
            continue
        key = [
            row
            for row in bind.exec_driver_sql(f'PRAGMA table_info("{table}")').all()
            if row[5]  # pk: position in the primary key, 0 when not part of it
        ]
        if len(key) != 1 or key[0][2].upper() != "INTEGER":
            continue  # a composite or non-integer key: SQLite reuses nothing there
        indexes = [
            sql
            for (sql,) in bind.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                (table,),
            ).all()
        ]
        bind.exec_driver_sql(_with_autoincrement(create, table))
        bind.exec_driver_sql(f'INSERT INTO "_new_{table}" SELECT * FROM "{table}"')
        bind.exec_driver_sql(f'DROP TABLE "{table}"')
        bind.exec_driver_sql(f'ALTER TABLE "_new_{table}" RENAME TO "{table}"')
        for index in indexes:
            bind.exec_driver_sql(index)


def downgrade() -> None:
    # Keeping AUTOINCREMENT changes nothing an earlier revision relies on.
    pass
