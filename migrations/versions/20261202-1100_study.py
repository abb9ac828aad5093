"""study: materials, tasks and their audience, presence, progress, daily time, session materials; notify kinds of study tasks

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = ('activity_published', 'activity_changed', 'activity_cancelled', 'activity_reminder', 'news_published', 'attendance_rejected', 'leave_decided', 'absence_reminder')
_NEW_KINDS = (*_OLD_KINDS, 'study_task_assigned', 'study_task_reminder')
# The kind column's CHECK (str_enum) on both tables that store a kind.
_KIND_CHECKS = {'notifications': 'ck_notifications_notification_kind', 'notification_preferences': 'ck_notification_preferences_notification_kind'}


def _kind_check(kinds: tuple[str, ...]) -> str:
    return 'kind IN (' + ', '.join(f"'{kind}'" for kind in kinds) + ')'


def _set_kinds(kinds: tuple[str, ...]) -> None:
    # SQLite cannot alter a CHECK: the batch rebuilds each table (see 0009), and the rebuilt
    # notifications table must keep the AUTOINCREMENT 0010 gave it.
    for table, name in _KIND_CHECKS.items():
        kwargs = {'sqlite_autoincrement': True} if table == 'notifications' else {}
        with op.batch_alter_table(table, schema=None, table_kwargs=kwargs) as batch_op:
            batch_op.drop_constraint(op.f(name), type_='check')
            batch_op.create_check_constraint(op.f(name), _kind_check(kinds))



def upgrade() -> None:
    _set_kinds(_NEW_KINDS)
    op.create_table('study_materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('article', 'video', 'document', name='study_material_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('video_url', sa.String(length=500), nullable=True),
    sa.Column('storage_key', sa.String(length=300), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('length_seconds', sa.Integer(), nullable=False),
    sa.Column('required_seconds', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'archived', name='study_material_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_by_account_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length_seconds > 0', name=op.f('ck_study_materials_length_positive')),
    sa.CheckConstraint('required_seconds > 0 AND required_seconds <= length_seconds', name=op.f('ck_study_materials_required_within_length')),
    sa.ForeignKeyConstraint(['created_by_account_id'], ['accounts.id'], name=op.f('fk_study_materials_created_by_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_study_materials_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_materials')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('study_materials', schema=None) as batch_op:
        batch_op.create_index('ix_study_materials_org_id_status', ['org_id', 'status'], unique=False)

    op.create_table('study_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_account_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_account_id'], ['accounts.id'], name=op.f('fk_study_tasks_created_by_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_study_tasks_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_tasks')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('study_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_study_tasks_org_id_due_at', ['org_id', 'due_at'], unique=False)

    op.create_table('study_daily',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.CheckConstraint('seconds >= 0', name=op.f('ck_study_daily_seconds_not_negative')),
    sa.ForeignKeyConstraint(['material_id'], ['study_materials.id'], name=op.f('fk_study_daily_material_id_study_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_study_daily_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'day', 'material_id', name=op.f('pk_study_daily'))
    )
    with op.batch_alter_table('study_daily', schema=None) as batch_op:
        batch_op.create_index('ix_study_daily_day_member_id', ['day', 'member_id'], unique=False)

    op.create_table('study_presence',
    sa.Column('member_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('last_beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['study_materials.id'], name=op.f('fk_study_presence_material_id_study_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_study_presence_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_study_presence'))
    )
    op.create_table('study_progress',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('credited_seconds', sa.Integer(), nullable=False),
    sa.Column('position_seconds', sa.Integer(), nullable=True),
    sa.Column('first_studied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_credited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('credited_seconds >= 0', name=op.f('ck_study_progress_credited_not_negative')),
    sa.ForeignKeyConstraint(['material_id'], ['study_materials.id'], name=op.f('fk_study_progress_material_id_study_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_study_progress_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'material_id', name=op.f('pk_study_progress'))
    )
    with op.batch_alter_table('study_progress', schema=None) as batch_op:
        batch_op.create_index('ix_study_progress_material_id_completed_at', ['material_id', 'completed_at'], unique=False)

    op.create_table('study_task_audience',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('party_status', sa.Enum('full_member', 'probationary', 'activist', 'masses', name='party_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_study_task_audience_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['study_tasks.id'], name=op.f('fk_study_task_audience_task_id_study_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'org_id', 'party_status', name=op.f('pk_study_task_audience'))
    )
    with op.batch_alter_table('study_task_audience', schema=None) as batch_op:
        batch_op.create_index('ix_study_task_audience_org_id_party_status', ['org_id', 'party_status'], unique=False)

    op.create_table('study_task_materials',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['study_materials.id'], name=op.f('fk_study_task_materials_material_id_study_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['study_tasks.id'], name=op.f('fk_study_task_materials_task_id_study_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'material_id', name=op.f('pk_study_task_materials'))
    )
    with op.batch_alter_table('study_task_materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_task_materials_material_id'), ['material_id'], unique=False)

    op.create_table('study_session_materials',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_study_session_materials_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['material_id'], ['study_materials.id'], name=op.f('fk_study_session_materials_material_id_study_materials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('activity_id', 'material_id', name=op.f('pk_study_session_materials'))
    )
    with op.batch_alter_table('study_session_materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_session_materials_material_id'), ['material_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('study_session_materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_session_materials_material_id'))

    op.drop_table('study_session_materials')
    with op.batch_alter_table('study_task_materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_task_materials_material_id'))

    op.drop_table('study_task_materials')
    with op.batch_alter_table('study_task_audience', schema=None) as batch_op:
        batch_op.drop_index('ix_study_task_audience_org_id_party_status')

    op.drop_table('study_task_audience')
    with op.batch_alter_table('study_progress', schema=None) as batch_op:
        batch_op.drop_index('ix_study_progress_material_id_completed_at')

    op.drop_table('study_progress')
    op.drop_table('study_presence')
    with op.batch_alter_table('study_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_study_daily_day_member_id')

    op.drop_table('study_daily')
    with op.batch_alter_table('study_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_study_tasks_org_id_due_at')

    op.drop_table('study_tasks')
    with op.batch_alter_table('study_materials', schema=None) as batch_op:
        batch_op.drop_index('ix_study_materials_org_id_status')

    op.drop_table('study_materials')
    # Rows of the new kinds cannot be kept under the old CHECK.
    new_only = "', '".join(kind for kind in _NEW_KINDS if kind not in _OLD_KINDS)
    op.execute(f"DELETE FROM notification_preferences WHERE kind IN ('{new_only}')")
    op.execute(f"DELETE FROM notifications WHERE kind IN ('{new_only}')")
    _set_kinds(_OLD_KINDS)
