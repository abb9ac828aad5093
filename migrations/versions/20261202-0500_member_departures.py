"""member departures: members leave a branch by a status change, and their history stays

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ('left_on', 'departure_reason', 'departure_note', 'departed_at', 'departed_by_account_id', 'erased_at')


def upgrade() -> None:
    # Nullable columns only, and no new key: plain ADD COLUMN on both databases, so SQLite
    # never rebuilds the members table (a rebuild would cascade into every history row).
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('departure_reason', sa.Enum('transferred_out', 'moved_away', 'deceased', 'withdrew', 'expelled', 'struck_off', 'probation_cancelled', name='departure_reason', native_enum=False, create_constraint=True, length=32), nullable=True))
        batch_op.add_column(sa.Column('departure_note', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('departed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('departed_by_account_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        # SQLite rebuilds the table here (with foreign keys off, as Alembic connects): the
        # reason's CHECK goes first or the rebuilt table would name a column it lacks.
        batch_op.drop_constraint(op.f('ck_members_departure_reason'), type_='check')
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
