"""oversight: the committees designated as 社会组织综合党委 (the body a 托底 organization belongs under)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('comprehensive_committees',
    sa.Column('org_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('designated_by_account_id', sa.Integer(), nullable=True),
    sa.Column('designated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['designated_by_account_id'], ['accounts.id'], name=op.f('fk_comprehensive_committees_designated_by_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_comprehensive_committees_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_comprehensive_committees'))
    )


def downgrade() -> None:
    op.drop_table('comprehensive_committees')
