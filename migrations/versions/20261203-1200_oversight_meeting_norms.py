"""oversight: the committees' meeting norms (三会一课 and 主题党日 per quarter) for their subtrees

Revision ID: 0020
Revises: 0016
Create Date: 2026-12-03 12:00:00

Only ``down_revision`` names another migration: nothing here depends on the tables of the
migrations between 0015 and this one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0020'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('meeting_norms',
    sa.Column('committee_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('activity_type', sa.Enum('branch_general_meeting', 'branch_committee', 'party_group', 'party_lecture', 'themed_party_day', name='norm_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('per_quarter', sa.Integer(), nullable=False),
    sa.Column('updated_by_account_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('per_quarter >= 0 AND per_quarter <= 100', name=op.f('ck_meeting_norms_per_quarter_range')),
    sa.ForeignKeyConstraint(['committee_id'], ['organizations.id'], name=op.f('fk_meeting_norms_committee_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_account_id'], ['accounts.id'], name=op.f('fk_meeting_norms_updated_by_account_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('committee_id', 'activity_type', name=op.f('pk_meeting_norms'))
    )


def downgrade() -> None:
    op.drop_table('meeting_norms')
