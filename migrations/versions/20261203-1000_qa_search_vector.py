"""qa search vector: PostgreSQL stores each search row's tsvector, and both databases index the scope columns

Measured on 105,000 rows (bench/qa/search.py, bench/README.md): ranking re-parsed every
matching row's tokens (ts_rank over to_tsvector(tokens)), about 65 µs a row, 200 ms for an
instructor's 3,300 hits of 党费; and the scope (an entry's organization, a question's routing
and asker) had no index, so every row of the whole index holding the word was read before
the scope kept a few. PostgreSQL now keeps the tsvector in a generated column (written by
the database from ``tokens`` on every insert and update, so it can never lag), the GIN index
is on that column, and search ranks it; SQLite keeps its FTS5 table. The three scope indexes
let PostgreSQL intersect the word's bitmap with the caller's (BitmapAnd), and are plain
indexes on both databases.

The vector column and the GIN index are not in the models' metadata (PostgreSQL only):
migrations/env.py keeps Alembic's comparison off them.

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0018'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VECTOR = (
    "ALTER TABLE qa_search_entries ADD COLUMN vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', tokens)) STORED"
)
_EXPRESSION_GIN = (
    "CREATE INDEX ix_qa_search_entries_tokens ON qa_search_entries "
    "USING gin (to_tsvector('simple', tokens))"
)


def upgrade() -> None:
    if op.get_context().dialect.name == 'postgresql':
        op.execute('DROP INDEX ix_qa_search_entries_tokens')
        op.execute(_VECTOR)
        op.execute('CREATE INDEX ix_qa_search_entries_vector ON qa_search_entries USING gin (vector)')
    op.create_index('ix_qa_search_entries_faq_org_id', 'qa_search_entries', ['org_id'], unique=False, postgresql_where=sa.text("kind = 'faq'"), sqlite_where=sa.text("kind = 'faq'"))
    op.create_index('ix_qa_search_entries_routed_org_id', 'qa_search_entries', ['routed_org_id'], unique=False)
    op.create_index('ix_qa_search_entries_asker_member_id', 'qa_search_entries', ['asker_member_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_qa_search_entries_asker_member_id', table_name='qa_search_entries')
    op.drop_index('ix_qa_search_entries_routed_org_id', table_name='qa_search_entries')
    op.drop_index('ix_qa_search_entries_faq_org_id', table_name='qa_search_entries')
    if op.get_context().dialect.name == 'postgresql':
        op.execute('DROP INDEX ix_qa_search_entries_vector')
        op.execute('ALTER TABLE qa_search_entries DROP COLUMN vector')
        op.execute(_EXPRESSION_GIN)
