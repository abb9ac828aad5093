"""Q&A (党员问答): questions routed to an instructor, the answers and follow-ups of a thread,
the human review of what moderation held back, and the FAQ.

The data model, and why it has this shape:

``qa_categories``
    政策咨询, 组织关系, 党费, 学习, 其他 for everyone (``org_id`` NULL, written by the
    migration), and the categories a committee adds for its subtree (``org_id`` the
    committee). A question's category must be one of everyone's or of a committee above it.

``qa_questions``
    One row per question: the asker and the organization they asked from (their relation,
    else workplace: the scope anchor, as an activity's or an article's ``org_id``), the text,
    ``anonymous`` (hidden from other members, never from instructors and admins), and the
    life cycle pending_review → open → answered → closed (rejected when a reviewer refused
    it). Where it is routed: ``routed_org_id`` with ``routed_role`` (the instructors of the
    nearest organization up the tree that has one, else the committee admins of the nearest
    committee), and ``assignee_member_id`` once it is reassigned to one person.
    ``first_answered_at`` is what the time-to-first-answer figures read;
    ``ix_qa_questions_routed`` serves an instructor's queue and the 24 h reminder.

``qa_messages``
    The thread: answers (by instructors and admins, and by members where the committee
    allows it) and the asker's follow-ups, each with its moderation state
    (pending_review, visible, rejected). ``accepted_at`` marks the accepted answer; the
    partial unique index ``uq_qa_messages_accepted`` lets a question have one, so two
    accepts at once leave exactly one.

``qa_assignments``
    The routing's timeline: every routing and reassignment, from whom to whom, why, by
    whom, when.

``content_reviews``
    Every moderation verdict of a text a user wrote (question, answer, follow-up): the
    adapter's outcome (pass, review, risky), WeChat's label and the reason, and for the
    ones held for review the human decision (approved or rejected, with its reason). The
    queue is ``ix_content_reviews_decision`` (the undecided ones).

``qa_faq_entries``
    A question and its answer as an instructor published them (edited, the asker's name
    removed) to the FAQ of an organization subtree; ``question_id`` says where it came from
    and stays NULL once that question is gone.

``qa_settings``
    What a committee decided for Q&A in its subtree (migration 0016): whether plain members
    may answer its questions. As ``committee_settings``: the nearest committee above a
    question's organization that has a row wins; no row anywhere means no.

``qa_search_entries``
    Search (item 5, migration 0014): one row per question or FAQ entry with its text as
    the space-separated tokens of ``app.qa.search.tokenize``, and the columns search's
    scope reads (the anchor ``org_id``; a question's ``routed_org_id`` and asker).
    PostgreSQL stores ``to_tsvector('simple', tokens)`` in the generated column ``vector``,
    indexed with GIN (``ix_qa_search_entries_vector``, migration 0018); SQLite keeps the FTS5
    table ``qa_search_fts`` (external content, triggers keep it in step). Neither is in this
    metadata: the migrations make them and migrations/env.py tells Alembic's comparison to
    leave them alone. The scope's columns have indexes of their own (0018).
Times come from the service's clock, never from a column default.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, str_enum
from app.models.members import Role


class QuestionStatus(enum.StrEnum):
    PENDING_REVIEW = "pending_review"  # moderation held it: 审核中 to its asker only
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"
    REJECTED = "rejected"  # a reviewer refused it; its asker is told why


class MessageKind(enum.StrEnum):
    ANSWER = "answer"
    FOLLOW_UP = "follow_up"  # the asker's further question on the thread


class Visibility(enum.StrEnum):
    PENDING_REVIEW = "pending_review"
    VISIBLE = "visible"
    REJECTED = "rejected"


class ReviewSubject(enum.StrEnum):
    QUESTION = "question"
    MESSAGE = "message"


class CheckOutcome(enum.StrEnum):
    """What the content check (app/integrations/content_check) said of a text."""

    PASS = "pass"  # noqa: S105 - WeChat's suggest, not a secret: visible to others
    REVIEW = "review"  # held for a human (审核中 to its author)
    RISKY = "risky"  # refused (content.risky)


class SearchKind(enum.StrEnum):
    QUESTION = "question"
    FAQ = "faq"


class ReviewDecision(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class QaCategory(Base):
    __tablename__ = "qa_categories"
    __table_args__ = (
        Index("ix_qa_categories_org_id_position", "org_id", "position"),
        # A committee names each of its categories once (everyone's, org_id NULL, are
        # distinct to both databases' unique indexes; the service keeps those apart).
        Index("uq_qa_categories_org_id_name", "org_id", "name", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: one of everyone's; else the committee that added it for its subtree.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class Question(TimestampMixin, Base):
    __tablename__ = "qa_questions"
    __table_args__ = (
        Index("ix_qa_questions_asker_member_id_id", "asker_member_id", "id"),
        Index("ix_qa_questions_routed", "routed_org_id", "status", "created_at"),
        Index("ix_qa_questions_assignee", "assignee_member_id", "status", "created_at"),
        Index("ix_qa_questions_org_id_created_at", "org_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asker_member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("qa_categories.id"))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(default=False)
    status: Mapped[QuestionStatus] = mapped_column(
        str_enum(QuestionStatus, "qa_question_status"), default=QuestionStatus.PENDING_REVIEW
    )
    routed_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    routed_role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    assignee_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    first_answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    last_reminded_at: Mapped[datetime | None]


class QaMessage(TimestampMixin, Base):
    __tablename__ = "qa_messages"
    __table_args__ = (
        Index("ix_qa_messages_question_id_id", "question_id", "id"),
        Index(
            "uq_qa_messages_accepted",
            "question_id",
            unique=True,
            postgresql_where=text("accepted_at IS NOT NULL"),
            sqlite_where=text("accepted_at IS NOT NULL"),
        ),
        CheckConstraint("accepted_at IS NULL OR kind = 'answer'", name="only_answers_accepted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("qa_questions.id", ondelete="CASCADE"))
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind, "qa_message_kind"))
    author_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    author_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[Visibility] = mapped_column(
        str_enum(Visibility, "qa_visibility"), default=Visibility.PENDING_REVIEW
    )
    accepted_at: Mapped[datetime | None]


class QaAssignment(Base):
    """One routing of a question: on creation, and each reassignment with its reason."""

    __tablename__ = "qa_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("qa_questions.id", ondelete="CASCADE"), index=True
    )
    routed_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    routed_role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    assignee_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    reason: Mapped[str | None] = mapped_column(String(200))
    assigned_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]


class ContentReview(Base):
    __tablename__ = "content_reviews"
    __table_args__ = (
        Index("ix_content_reviews_subject", "subject", "subject_id"),
        Index(
            "ix_content_reviews_decision",
            "created_at",
            postgresql_where=text("outcome = 'review' AND decision IS NULL"),
            sqlite_where=text("outcome = 'review' AND decision IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[ReviewSubject] = mapped_column(str_enum(ReviewSubject, "review_subject"))
    subject_id: Mapped[int]
    outcome: Mapped[CheckOutcome] = mapped_column(str_enum(CheckOutcome, "check_outcome"))
    label: Mapped[int | None]  # WeChat's label (20001 politics, …)
    label_name: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20))  # the adapter: wechat, wordlist
    decision: Mapped[ReviewDecision | None] = mapped_column(
        str_enum(ReviewDecision, "review_decision")
    )
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    decided_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class FaqEntry(TimestampMixin, Base):
    __tablename__ = "qa_faq_entries"
    __table_args__ = (Index("ix_qa_faq_entries_org_id_published_at", "org_id", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The subtree whose members see it.
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("qa_questions.id", ondelete="SET NULL")
    )
    category_id: Mapped[int] = mapped_column(ForeignKey("qa_categories.id"))
    title: Mapped[str] = mapped_column(String(100))
    question_text: Mapped[str] = mapped_column(Text)
    answer_text: Mapped[str] = mapped_column(Text)
    published_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    published_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


class QaSettings(Base):
    """A committee's own Q&A decisions for its subtree (see the module docstring)."""

    __tablename__ = "qa_settings"

    # The committee's id, never drawn here: no AUTOINCREMENT on SQLite.
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # Plain members of the subtree may answer its questions (no when no committee says).
    members_may_answer: Mapped[bool]
    updated_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime]


class QaSearchEntry(Base):
    """What search finds: ``ref_id`` is the question's or the FAQ entry's id (by ``kind``)."""

    __tablename__ = "qa_search_entries"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id"),
        # The scope's columns (migration 0018): PostgreSQL intersects them with the words'.
        Index(
            "ix_qa_search_entries_faq_org_id",
            "org_id",
            postgresql_where=text("kind = 'faq'"),
            sqlite_where=text("kind = 'faq'"),
        ),
        Index("ix_qa_search_entries_routed_org_id", "routed_org_id"),
        Index("ix_qa_search_entries_asker_member_id", "asker_member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SearchKind] = mapped_column(str_enum(SearchKind, "qa_search_kind"))
    ref_id: Mapped[int]
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    routed_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    asker_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE")
    )
    tokens: Mapped[str] = mapped_column(Text)
