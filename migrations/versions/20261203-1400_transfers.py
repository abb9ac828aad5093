"""transfers: relation transfers and their timeline; the notification kinds transfer_decided and transfer_reminder

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = ('activity_published', 'activity_changed', 'activity_cancelled', 'activity_reminder', 'news_published', 'attendance_rejected', 'leave_decided', 'absence_reminder', 'study_task_assigned', 'study_task_reminder', 'qa_question_routed', 'qa_answer_posted', 'qa_question_reminder', 'qa_review_decided')
_NEW_KINDS = (*_OLD_KINDS, 'transfer_decided', 'transfer_reminder')
# The kind column's CHECK (str_enum) on both tables that store a kind.
_KIND_CHECKS = {'notifications': 'ck_notifications_notification_kind', 'notification_preferences': 'ck_notification_preferences_notification_kind'}


def _kind_check(kinds: tuple[str, ...]) -> str:
    return 'kind IN (' + ', '.join(f"'{kind}'" for kind in kinds) + ')'


def _set_kinds(kinds: tuple[str, ...]) -> None:
    # As 0015 does: SQLite cannot alter a CHECK, the batch rebuilds each table, and the
    # rebuilt notifications table keeps the AUTOINCREMENT 0010 gave it.
    for table, name in _KIND_CHECKS.items():
        kwargs = {'sqlite_autoincrement': True} if table == 'notifications' else {}
        with op.batch_alter_table(table, schema=None, table_kwargs=kwargs) as batch_op:
            batch_op.drop_constraint(op.f(name), type_='check')
            batch_op.create_check_constraint(op.f(name), _kind_check(kinds))


def upgrade() -> None:
    op.create_table('transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('internal', 'outbound', 'inbound', name='transfer_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'returned', 'completed', 'rejected', 'withdrawn', name='transfer_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('step', sa.Enum('out_branch', 'committee', 'in_branch', name='transfer_step', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('from_org_id', sa.Integer(), nullable=True),
    sa.Column('to_org_id', sa.Integer(), nullable=True),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.Column('from_outside_name', sa.String(length=100), nullable=True),
    sa.Column('to_outside_name', sa.String(length=100), nullable=True),
    sa.Column('letter_number', sa.String(length=50), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('started_by_account_id', sa.Integer(), nullable=False),
    sa.Column('started_by_member_id', sa.Integer(), nullable=True),
    sa.Column('step_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'pending') = (step IS NOT NULL)", name=op.f('ck_transfers_step_while_pending')),
    sa.CheckConstraint('from_org_id IS NOT NULL OR to_org_id IS NOT NULL', name=op.f('ck_transfers_one_side_inside')),
    sa.ForeignKeyConstraint(['committee_id'], ['organizations.id'], name=op.f('fk_transfers_committee_id_organizations')),
    sa.ForeignKeyConstraint(['from_org_id'], ['organizations.id'], name=op.f('fk_transfers_from_org_id_organizations')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_transfers_member_id_members')),
    sa.ForeignKeyConstraint(['started_by_member_id'], ['members.id'], name=op.f('fk_transfers_started_by_member_id_members')),
    sa.ForeignKeyConstraint(['to_org_id'], ['organizations.id'], name=op.f('fk_transfers_to_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_committee_id'), ['committee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_from_org_id'), ['from_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_to_org_id'), ['to_org_id'], unique=False)
        batch_op.create_index('uq_transfers_open_member', ['member_id'], unique=True, postgresql_where=sa.text("status IN ('pending', 'returned')"), sqlite_where=sa.text("status IN ('pending', 'returned')"))

    op.create_table('transfer_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('created', 'approved', 'rejected', 'returned', 'resubmitted', 'withdrawn', 'completed', name='transfer_action', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('step', sa.Enum('out_branch', 'committee', 'in_branch', name='transfer_step', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('actor_account_id', sa.Integer(), nullable=True),
    sa.Column('actor_member_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_member_id'], ['members.id'], name=op.f('fk_transfer_events_actor_member_id_members')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_events_transfer_id_transfers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_events')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('transfer_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_events_transfer_id'), ['transfer_id'], unique=False)

    _set_kinds(_NEW_KINDS)



def downgrade() -> None:
    # Rows of the new kinds cannot be kept under the old CHECK.
    new_only = "', '".join(kind for kind in _NEW_KINDS if kind not in _OLD_KINDS)
    op.execute(f"DELETE FROM notification_preferences WHERE kind IN ('{new_only}')")
    op.execute(f"DELETE FROM notifications WHERE kind IN ('{new_only}')")
    _set_kinds(_OLD_KINDS)
    with op.batch_alter_table('transfer_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_events_transfer_id'))

    op.drop_table('transfer_events')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index('uq_transfers_open_member', postgresql_where=sa.text("status IN ('pending', 'returned')"), sqlite_where=sa.text("status IN ('pending', 'returned')"))
        batch_op.drop_index(batch_op.f('ix_transfers_to_org_id'))
        batch_op.drop_index(batch_op.f('ix_transfers_member_id'))
        batch_op.drop_index(batch_op.f('ix_transfers_from_org_id'))
        batch_op.drop_index(batch_op.f('ix_transfers_committee_id'))

    op.drop_table('transfers')
