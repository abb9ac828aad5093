"""Q&A search: qa_search_entries, with a GIN index on PostgreSQL and an FTS5 table on SQLite

Both databases hold the same tokens (app.qa.search.tokenize: CJK characters and bigrams,
Latin words), each indexed by its own engine. The GIN expression index and the FTS5 table
with its triggers are not in the models' metadata: migrations/env.py keeps Alembic's
comparison off them.

On SQLite a later batch migration that recreates qa_search_entries drops its triggers with
the old table: such a migration must create them again (_TRIGGERS below) and rebuild the FTS
table (INSERT INTO qa_search_fts(qa_search_fts) VALUES('rebuild')).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's external-content recipe (https://sqlite.org/fts5.html#external_content_tables):
# the FTS table stores only its index; the triggers write each change of a row into it, so
# a DELETE of qa_search_entries (the tests' cleanup included) empties it too.
_FTS = (
    "CREATE VIRTUAL TABLE qa_search_fts USING fts5("
    "tokens, content='qa_search_entries', content_rowid='id', tokenize='unicode61')"
)
_TRIGGERS = (
    """CREATE TRIGGER qa_search_entries_ai AFTER INSERT ON qa_search_entries BEGIN
  INSERT INTO qa_search_fts(rowid, tokens) VALUES (new.id, new.tokens);
END""",
    """CREATE TRIGGER qa_search_entries_ad AFTER DELETE ON qa_search_entries BEGIN
  INSERT INTO qa_search_fts(qa_search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
END""",
    """CREATE TRIGGER qa_search_entries_au AFTER UPDATE ON qa_search_entries BEGIN
  INSERT INTO qa_search_fts(qa_search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
  INSERT INTO qa_search_fts(rowid, tokens) VALUES (new.id, new.tokens);
END""",
)
# The expression search's WHERE repeats exactly (app.qa.search), so the planner matches it.
_GIN = (
    "CREATE INDEX ix_qa_search_entries_tokens ON qa_search_entries "
    "USING gin (to_tsvector('simple', tokens))"
)


def upgrade() -> None:
    op.create_table('qa_search_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('question', 'faq', name='qa_search_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('routed_org_id', sa.Integer(), nullable=True),
    sa.Column('asker_member_id', sa.Integer(), nullable=True),
    sa.Column('tokens', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['asker_member_id'], ['members.id'], name=op.f('fk_qa_search_entries_asker_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_qa_search_entries_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['routed_org_id'], ['organizations.id'], name=op.f('fk_qa_search_entries_routed_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_search_entries')),
    sa.UniqueConstraint('kind', 'ref_id', name=op.f('uq_qa_search_entries_kind_ref_id')),
    sqlite_autoincrement=True
    )
    if op.get_context().dialect.name == 'postgresql':
        op.execute(_GIN)
    else:
        op.execute(_FTS)
        for trigger in _TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    if op.get_context().dialect.name == 'postgresql':
        op.execute('DROP INDEX ix_qa_search_entries_tokens')
    else:
        for name in ('qa_search_entries_au', 'qa_search_entries_ad', 'qa_search_entries_ai'):
            op.execute(f'DROP TRIGGER {name}')
        op.execute('DROP TABLE qa_search_fts')
    op.drop_table('qa_search_entries')
