"""年度报告 党建部分: the editable notes of a social organization's annual report

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('annual_report_notes',
    sa.Column('org_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('highlights', sa.Text(), nullable=True),
    sa.Column('problems', sa.Text(), nullable=True),
    sa.Column('plans', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by_account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_annual_report_notes_version_positive')),
    sa.CheckConstraint('year >= 2000 AND year <= 2100', name=op.f('ck_annual_report_notes_year_range')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_annual_report_notes_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_account_id'], ['accounts.id'], name=op.f('fk_annual_report_notes_updated_by_account_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('org_id', 'year', name=op.f('pk_annual_report_notes'))
    )


def downgrade() -> None:
    op.drop_table('annual_report_notes')
