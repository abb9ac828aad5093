"""notify kinds (leave decided, absence reminder), notification subjects, committee settings

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = ('activity_published', 'activity_changed', 'activity_cancelled', 'activity_reminder', 'news_published', 'attendance_rejected')
_NEW_KINDS = (*_OLD_KINDS, 'leave_decided', 'absence_reminder')
# The kind column's CHECK (str_enum) on both tables that store a kind.
_KIND_CHECKS = {'notifications': 'ck_notifications_notification_kind', 'notification_preferences': 'ck_notification_preferences_notification_kind'}


def _kind_check(kinds: tuple[str, ...]) -> str:
    return 'kind IN (' + ', '.join(f"'{kind}'" for kind in kinds) + ')'


def _set_kinds(kinds: tuple[str, ...]) -> None:
    # SQLite cannot alter a CHECK: the batch rebuilds each table (foreign keys are off while
    # Alembic migrates, so the rebuild cascades into no delivery or inbox row).
    for table, name in _KIND_CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(name), type_='check')
            batch_op.create_check_constraint(op.f(name), _kind_check(kinds))


def upgrade() -> None:
    _set_kinds(_NEW_KINDS)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=50), nullable=True))
        batch_op.create_index(batch_op.f('ix_notifications_subject'), ['subject'], unique=False)
    op.create_table('committee_settings',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('absence_reminders', sa.Boolean(), nullable=False),
    sa.Column('updated_by_account_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_committee_settings_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_account_id'], ['accounts.id'], name=op.f('fk_committee_settings_updated_by_account_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_committee_settings'))
    )


def downgrade() -> None:
    op.drop_table('committee_settings')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_subject'))
        batch_op.drop_column('subject')
    # Rows of the new kinds cannot be kept under the old CHECK.
    new_only = "', '".join(kind for kind in _NEW_KINDS if kind not in _OLD_KINDS)
    op.execute(f"DELETE FROM notification_preferences WHERE kind IN ('{new_only}')")
    op.execute(f"DELETE FROM notifications WHERE kind IN ('{new_only}')")
    _set_kinds(_OLD_KINDS)
