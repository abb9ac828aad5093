"""Q&A: categories (with everyone's five), questions, threads, routing, content reviews, FAQ

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 12:00:45.847975
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CATEGORIES = ('政策咨询', '组织关系', '党费', '学习', '其他')


def upgrade() -> None:
    op.create_table('content_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Enum('question', 'message', name='review_subject', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('pass', 'review', 'risky', name='check_outcome', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('label', sa.Integer(), nullable=True),
    sa.Column('label_name', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('decision', sa.Enum('approved', 'rejected', name='review_decision', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('decision_reason', sa.String(length=200), nullable=True),
    sa.Column('decided_by_account_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_account_id'], ['accounts.id'], name=op.f('fk_content_reviews_decided_by_account_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_reviews')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('content_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_content_reviews_decision', ['created_at'], unique=False, postgresql_where=sa.text("outcome = 'review' AND decision IS NULL"), sqlite_where=sa.text("outcome = 'review' AND decision IS NULL"))
        batch_op.create_index('ix_content_reviews_subject', ['subject', 'subject_id'], unique=False)

    op.create_table('qa_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_qa_categories_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_categories')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('qa_categories', schema=None) as batch_op:
        batch_op.create_index('ix_qa_categories_org_id_position', ['org_id', 'position'], unique=False)

    # Everyone's categories (org_id NULL); committees add their own for their subtrees.
    categories = sa.table(
        'qa_categories',
        sa.column('org_id', sa.Integer()),
        sa.column('name', sa.String(20)),
        sa.column('position', sa.Integer()),
        sa.column('created_at', sa.DateTime(timezone=True)),
    )
    created = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    op.bulk_insert(
        categories,
        [
            {'org_id': None, 'name': name, 'position': position, 'created_at': created}
            for position, name in enumerate(_CATEGORIES)
        ],
    )

    op.create_table('qa_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asker_member_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('pending_review', 'open', 'answered', 'closed', 'rejected', name='qa_question_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('routed_org_id', sa.Integer(), nullable=False),
    sa.Column('routed_role', sa.Enum('secretary', 'instructor', 'committee_admin', 'system_admin', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('assignee_member_id', sa.Integer(), nullable=True),
    sa.Column('first_answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asker_member_id'], ['members.id'], name=op.f('fk_qa_questions_asker_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assignee_member_id'], ['members.id'], name=op.f('fk_qa_questions_assignee_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['qa_categories.id'], name=op.f('fk_qa_questions_category_id_qa_categories')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_qa_questions_org_id_organizations')),
    sa.ForeignKeyConstraint(['routed_org_id'], ['organizations.id'], name=op.f('fk_qa_questions_routed_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_questions')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('qa_questions', schema=None) as batch_op:
        batch_op.create_index('ix_qa_questions_asker_member_id_id', ['asker_member_id', 'id'], unique=False)
        batch_op.create_index('ix_qa_questions_assignee', ['assignee_member_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_qa_questions_org_id_created_at', ['org_id', 'created_at'], unique=False)
        batch_op.create_index('ix_qa_questions_routed', ['routed_org_id', 'status', 'created_at'], unique=False)

    op.create_table('qa_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('routed_org_id', sa.Integer(), nullable=False),
    sa.Column('routed_role', sa.Enum('secretary', 'instructor', 'committee_admin', 'system_admin', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('assignee_member_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('assigned_by_account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_account_id'], ['accounts.id'], name=op.f('fk_qa_assignments_assigned_by_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignee_member_id'], ['members.id'], name=op.f('fk_qa_assignments_assignee_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['qa_questions.id'], name=op.f('fk_qa_assignments_question_id_qa_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['routed_org_id'], ['organizations.id'], name=op.f('fk_qa_assignments_routed_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_assignments')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('qa_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_assignments_question_id'), ['question_id'], unique=False)

    op.create_table('qa_faq_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('question_text', sa.Text(), nullable=False),
    sa.Column('answer_text', sa.Text(), nullable=False),
    sa.Column('published_by_account_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['qa_categories.id'], name=op.f('fk_qa_faq_entries_category_id_qa_categories')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_qa_faq_entries_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_account_id'], ['accounts.id'], name=op.f('fk_qa_faq_entries_published_by_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['qa_questions.id'], name=op.f('fk_qa_faq_entries_question_id_qa_questions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_faq_entries')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('qa_faq_entries', schema=None) as batch_op:
        batch_op.create_index('ix_qa_faq_entries_org_id_published_at', ['org_id', 'published_at'], unique=False)

    op.create_table('qa_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('answer', 'follow_up', name='qa_message_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('author_member_id', sa.Integer(), nullable=True),
    sa.Column('author_account_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('visibility', sa.Enum('pending_review', 'visible', 'rejected', name='qa_visibility', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("accepted_at IS NULL OR kind = 'answer'", name=op.f('ck_qa_messages_only_answers_accepted')),
    sa.ForeignKeyConstraint(['author_account_id'], ['accounts.id'], name=op.f('fk_qa_messages_author_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_member_id'], ['members.id'], name=op.f('fk_qa_messages_author_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['qa_questions.id'], name=op.f('fk_qa_messages_question_id_qa_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_messages')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('qa_messages', schema=None) as batch_op:
        batch_op.create_index('ix_qa_messages_question_id_id', ['question_id', 'id'], unique=False)
        batch_op.create_index('uq_qa_messages_accepted', ['question_id'], unique=True, postgresql_where=sa.text('accepted_at IS NOT NULL'), sqlite_where=sa.text('accepted_at IS NOT NULL'))



def downgrade() -> None:
    with op.batch_alter_table('qa_messages', schema=None) as batch_op:
        batch_op.drop_index('uq_qa_messages_accepted', postgresql_where=sa.text('accepted_at IS NOT NULL'), sqlite_where=sa.text('accepted_at IS NOT NULL'))
        batch_op.drop_index('ix_qa_messages_question_id_id')

    op.drop_table('qa_messages')
    with op.batch_alter_table('qa_faq_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_qa_faq_entries_org_id_published_at')

    op.drop_table('qa_faq_entries')
    with op.batch_alter_table('qa_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qa_assignments_question_id'))

    op.drop_table('qa_assignments')
    with op.batch_alter_table('qa_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_qa_questions_routed')
        batch_op.drop_index('ix_qa_questions_org_id_created_at')
        batch_op.drop_index('ix_qa_questions_assignee')
        batch_op.drop_index('ix_qa_questions_asker_member_id_id')

    op.drop_table('qa_questions')
    with op.batch_alter_table('qa_categories', schema=None) as batch_op:
        batch_op.drop_index('ix_qa_categories_org_id_position')

    op.drop_table('qa_categories')
    with op.batch_alter_table('content_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_content_reviews_subject')
        batch_op.drop_index('ix_content_reviews_decision', postgresql_where=sa.text("outcome = 'review' AND decision IS NULL"), sqlite_where=sa.text("outcome = 'review' AND decision IS NULL"))

    op.drop_table('content_reviews')
