"""Oversight: activities by branch and end, for the compliance figures

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_activities_org_id_ends_at', 'activities', ['org_id', 'ends_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_activities_org_id_ends_at', table_name='activities')
