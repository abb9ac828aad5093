"""roster changes: the ledger of additions to and removals from an organization's roster

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('roster_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('joined', 'transferred_in', 'transferred_out', 'moved_away', 'deceased', 'withdrew', 'expelled', 'struck_off', 'probation_cancelled', name='roster_change_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('party_status', sa.Enum('full_member', 'probationary', 'activist', 'masses', name='party_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('recorded_by_account_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_roster_changes_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_roster_changes_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_changes')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('roster_changes', schema=None) as batch_op:
        batch_op.create_index('ix_roster_changes_member_id_id', ['member_id', 'id'], unique=False)
        batch_op.create_index('ix_roster_changes_org_id_occurred_on', ['org_id', 'occurred_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('roster_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_changes_org_id_occurred_on')
        batch_op.drop_index('ix_roster_changes_member_id_id')

    op.drop_table('roster_changes')
