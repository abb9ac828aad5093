"""qa notify kinds: a question routed to its instructor, an answer to its asker, the 24 h reminder, a review's decision to the author

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:10:00
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = ('activity_published', 'activity_changed', 'activity_cancelled', 'activity_reminder', 'news_published', 'attendance_rejected', 'leave_decided', 'absence_reminder', 'study_task_assigned', 'study_task_reminder')
_NEW_KINDS = (*_OLD_KINDS, 'qa_question_routed', 'qa_answer_posted', 'qa_question_reminder', 'qa_review_decided')
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


def downgrade() -> None:
    # Rows of the new kinds cannot be kept under the old CHECK.
    new_only = "', '".join(kind for kind in _NEW_KINDS if kind not in _OLD_KINDS)
    op.execute(f"DELETE FROM notification_preferences WHERE kind IN ('{new_only}')")
    op.execute(f"DELETE FROM notifications WHERE kind IN ('{new_only}')")
    _set_kinds(_OLD_KINDS)
