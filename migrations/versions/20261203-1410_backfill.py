"""补录: activities and attendances recorded after the activity was held

Revision ID: 0023
Revises: 0018
Create Date: 2026-12-03 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0023'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The CHECK of the new column makes SQLite rebuild both tables: keep their ids AUTOINCREMENT.
_IDS = {'sqlite_autoincrement': True}


def _source() -> sa.Column[str]:
    # Everything recorded before 补录 existed was recorded live.
    return sa.Column('source', sa.Enum('live', 'backfill', name='record_source', native_enum=False, create_constraint=True, length=32), server_default='live', nullable=False)


def upgrade() -> None:
    with op.batch_alter_table('activities', schema=None, table_kwargs=_IDS) as batch_op:
        batch_op.add_column(_source())

    with op.batch_alter_table('attendances', schema=None, table_kwargs=_IDS) as batch_op:
        batch_op.add_column(_source())
        batch_op.add_column(sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('attendances', schema=None, table_kwargs=_IDS) as batch_op:
        batch_op.drop_constraint(op.f('ck_attendances_record_source'), type_='check')
        batch_op.drop_column('recorded_at')
        batch_op.drop_column('source')

    with op.batch_alter_table('activities', schema=None, table_kwargs=_IDS) as batch_op:
        batch_op.drop_constraint(op.f('ck_activities_record_source'), type_='check')
        batch_op.drop_column('source')
