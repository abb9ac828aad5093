"""News: articles a committee or an instructor pushes to the members of some subtrees.

The data model, and why it has this shape:

``news_articles``
    One row per article: its text (the author's source in ``body`` and the sanitized
    ``body_html`` the mini-program renders), category, tags, cover URL, the publishing
    organization ``org_id`` (the scope anchor: whoever writes news for that organization's
    subtree manages the article, everyone else gets 404), and its life cycle
    draft → scheduled → published → retracted with ``publish_at`` / ``published_at`` /
    ``retracted_at``. ``ix_news_articles_status_publish_at`` is the scheduler's index.

``news_audience``
    The audience, one row per (article, organization subtree, party status): "statuses as
    rows", so a member, who has exactly one status, matches by equality. It is also the
    feed's index. The article's feed key (``pinned``, ``feed_at``) and ``category`` are
    copied onto its rows, and ``feed_at`` is set only while the article is published, so a
    member's feed is, for each organization above their relation and their workplace (found
    through ``org_closure``, a handful), one range scan of the partial index
    ``(org_id, party_status, pinned, feed_at, article_id) WHERE feed_at IS NOT NULL`` read
    backwards from the cursor and stopped after a page; the pages of those few scans are
    merged. The cost is a page per ancestor, whatever the number of articles. A second
    partial index with ``category`` after the status serves the category tabs. An
    article has at most a few hundred rows (orgs × statuses, bounded by the schema), so
    publishing, pinning or retracting rewrites them in one UPDATE.

``news_reads``
    One row per (article, member) who opened it: the first read time and the reading
    seconds the client reported, capped per report and in total. Read rates are the
    audience (computed) joined with these rows.

No per-member copy of an article exists. The audience is computed when needed: the push
on publishing hands ``notify()`` one SELECT of member ids (members whose relation or
workplace lies in a targeted subtree, with a targeted status), which it turns into
delivery rows with INSERT ... SELECT; those deliveries are the only per-member rows a
publish writes.

Times come from the service's clock (``now``), never from a column default.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, str_enum
from app.models.members import PartyStatus


class NewsCategory(enum.StrEnum):
    CURRENT_AFFAIRS = "current_affairs"  # 时政热点
    KEY_NEWS = "key_news"  # 要闻
    POLICY = "policy"  # 政策解读
    PRACTICAL = "practical"  # 实用信息
    NOTICE = "notice"  # 通知公告


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # published by the worker when publish_at comes
    PUBLISHED = "published"
    RETRACTED = "retracted"  # gone from every feed; kept for the record


class BodyFormat(enum.StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"


class NewsArticle(Base):
    __tablename__ = "news_articles"
    __table_args__ = (Index("ix_news_articles_status_publish_at", "status", "publish_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(String(200))
    body_format: Mapped[BodyFormat] = mapped_column(str_enum(BodyFormat, "news_body_format"))
    body: Mapped[str] = mapped_column(Text)  # as the author wrote it
    body_html: Mapped[str] = mapped_column(Text)  # sanitized; what members are shown
    cover_url: Mapped[str | None] = mapped_column(String(500))
    category: Mapped[NewsCategory] = mapped_column(str_enum(NewsCategory, "news_category"))
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[ArticleStatus] = mapped_column(
        str_enum(ArticleStatus, "news_article_status"), default=ArticleStatus.DRAFT
    )
    pinned: Mapped[bool] = mapped_column(default=False)
    publish_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    retracted_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    # Read only: the service writes the audience rows in bulk. Loaded explicitly.
    audience: Mapped[list[NewsAudience]] = relationship(
        lazy="raise",
        viewonly=True,
        order_by=lambda: [NewsAudience.org_id, NewsAudience.party_status],
    )

    @property
    def audience_org_ids(self) -> list[int]:
        return list(dict.fromkeys(row.org_id for row in self.audience))

    @property
    def audience_statuses(self) -> list[PartyStatus]:
        return list(dict.fromkeys(row.party_status for row in self.audience))


_LIVE = "feed_at IS NOT NULL"


class NewsAudience(Base):
    __tablename__ = "news_audience"
    __table_args__ = (
        Index(
            "ix_news_audience_feed",
            "org_id",
            "party_status",
            "pinned",
            "feed_at",
            "article_id",
            postgresql_where=text(_LIVE),
            sqlite_where=text(_LIVE),
        ),
        Index(
            "ix_news_audience_category_feed",
            "org_id",
            "party_status",
            "category",
            "pinned",
            "feed_at",
            "article_id",
            postgresql_where=text(_LIVE),
            sqlite_where=text(_LIVE),
        ),
    )

    article_id: Mapped[int] = mapped_column(
        ForeignKey("news_articles.id", ondelete="CASCADE"), primary_key=True
    )
    # The subtree's root; a deleted organization takes its audience rows with it.
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    party_status: Mapped[PartyStatus] = mapped_column(
        str_enum(PartyStatus, "party_status"), primary_key=True
    )
    # Copies of the article's feed key, kept in step by the news service.
    category: Mapped[NewsCategory] = mapped_column(str_enum(NewsCategory, "news_category"))
    pinned: Mapped[bool] = mapped_column(default=False)
    feed_at: Mapped[datetime | None]  # published_at while published, else NULL


class ReadReceipt(Base):
    __tablename__ = "news_reads"
    __table_args__ = (CheckConstraint("seconds >= 0", name="seconds_not_negative"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("news_articles.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    first_read_at: Mapped[datetime]
    seconds: Mapped[int] = mapped_column(default=0)
