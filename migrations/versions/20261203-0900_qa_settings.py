"""qa settings: whether a committee lets plain members answer its subtree's questions; a committee names each of its categories once

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('qa_settings',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('members_may_answer', sa.Boolean(), nullable=False),
    sa.Column('updated_by_account_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_qa_settings_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_account_id'], ['accounts.id'], name=op.f('fk_qa_settings_updated_by_account_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_qa_settings'))
    )
    # An index, not a constraint: SQLite adds it without rebuilding the table.
    with op.batch_alter_table('qa_categories', schema=None) as batch_op:
        batch_op.create_index('uq_qa_categories_org_id_name', ['org_id', 'name'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('qa_categories', schema=None) as batch_op:
        batch_op.drop_index('uq_qa_categories_org_id_name')
    op.drop_table('qa_settings')
