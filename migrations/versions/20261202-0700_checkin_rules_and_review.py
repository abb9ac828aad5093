"""check-in rules per activity, the review of flagged check-ins, attendance_rejected

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS_BEFORE = ('activity_published', 'activity_changed', 'activity_cancelled', 'activity_reminder', 'news_published')
_KINDS_AFTER = (*_KINDS_BEFORE, 'attendance_rejected')
_KIND_TABLES = ('notifications', 'notification_preferences')


def _kind_check(kinds: Sequence[str]) -> str:
    return 'kind IN (' + ', '.join(f"'{kind}'" for kind in kinds) + ')'


def _replace_kind_check(kinds: Sequence[str]) -> None:
    # The kind column is a VARCHAR with a CHECK (str_enum): a new kind is a new CHECK. SQLite
    # cannot alter a constraint, so batch mode rebuilds those two tables there.
    for table in _KIND_TABLES:
        with op.batch_alter_table(table, schema=None, recreate='auto') as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_notification_kind'), type_='check')
            batch_op.create_check_constraint('notification_kind', _kind_check(kinds))


def upgrade() -> None:
    # Existing activities keep what they did before the rules: every method, no location
    # needed, a rotating code from outside the fence accepted for review.
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkin_methods', sa.JSON(), server_default='["rotating_code", "poster", "geofence"]', nullable=False))
        batch_op.add_column(sa.Column('location_required', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('outside_fence', sa.Enum('refuse', 'review', name='outside_fence_policy', native_enum=False, create_constraint=True, length=32), server_default='review', nullable=False))

    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_status', sa.Enum('pending', 'confirmed', 'rejected', name='review_status', native_enum=False, create_constraint=True, length=32), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by_account_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('review_note', sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_attendances_reviewed_by_account_id_accounts'), 'accounts', ['reviewed_by_account_id'], ['id'], ondelete='SET NULL')
    # Check-ins flagged before the review queue existed wait in it.
    op.execute("UPDATE attendances SET review_status = 'pending' WHERE needs_review")

    _replace_kind_check(_KINDS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM notification_preferences WHERE kind = 'attendance_rejected'")
    op.execute("DELETE FROM notifications WHERE kind = 'attendance_rejected'")
    _replace_kind_check(_KINDS_BEFORE)

    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attendances_reviewed_by_account_id_accounts'), type_='foreignkey')
        batch_op.drop_constraint(op.f('ck_attendances_review_status'), type_='check')
        batch_op.drop_column('review_note')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewed_by_account_id')
        batch_op.drop_column('review_status')

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_activities_outside_fence_policy'), type_='check')
        batch_op.drop_column('outside_fence')
        batch_op.drop_column('location_required')
        batch_op.drop_column('checkin_methods')
