"""points: the committees' rules and the append-only ledger

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('point_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('activity_attended', 'study_time', 'material_completed', 'news_read', 'answer_accepted', name='point_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('unit_seconds', sa.Integer(), nullable=True),
    sa.Column('daily_cap', sa.Integer(), nullable=True),
    sa.Column('updated_by_account_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('daily_cap IS NULL OR daily_cap >= 0', name=op.f('ck_point_rules_cap_not_negative')),
    sa.CheckConstraint('points >= 0', name=op.f('ck_point_rules_points_not_negative')),
    sa.CheckConstraint('unit_seconds IS NULL OR unit_seconds > 0', name=op.f('ck_point_rules_unit_positive')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_point_rules_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_account_id'], ['accounts.id'], name=op.f('fk_point_rules_updated_by_account_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_rules')),
    sa.UniqueConstraint('org_id', 'kind', name=op.f('uq_point_rules_org_id_kind')),
    sqlite_autoincrement=True
    )
    op.create_table('point_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('activity_attended', 'study_time', 'material_completed', 'news_read', 'answer_accepted', name='point_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('reversal', sa.Boolean(), nullable=False),
    sa.Column('requested', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rule_org_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_point_entries_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_org_id'], ['organizations.id'], name=op.f('fk_point_entries_rule_org_id_organizations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_entries')),
    sa.UniqueConstraint('member_id', 'kind', 'source', 'reversal', name=op.f('uq_point_entries_member_id_kind_source_reversal')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('point_entries', schema=None) as batch_op:
        batch_op.create_index('ix_point_entries_day_member_id', ['day', 'member_id', 'points'], unique=False)
        batch_op.create_index('ix_point_entries_member_id_day', ['member_id', 'day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('point_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_point_entries_member_id_day')
        batch_op.drop_index('ix_point_entries_day_member_id')

    op.drop_table('point_entries')
    op.drop_table('point_rules')
