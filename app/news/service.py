"""Writing news: drafts, scheduling, publishing with its push, retraction and pinning, by the
instructors and committee admins whose scope holds the article's organization."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.config import Settings
from app.kit.time import DISPLAY_ZONE, shown
from app.models import (
    ArticleStatus,
    NewsArticle,
    NewsAudience,
    NewsCategory,
    NotificationKind,
    OrgDailySends,
    PartyStatus,
)
from app.news.errors import (
    AlreadyPublished,
    ArticleNotFound,
    ArticleRetracted,
    AudienceLocked,
    NotDeletable,
    NotPublished,
)
from app.news.sanitize import render
from app.news.schemas import ArticleCreate, ArticleUpdate
from app.notify import outbox
from app.notify.errors import DailyCapReached
from app.orgs import service as orgs_service
from app.orgs.audience import audience_members, check_orgs

logger = logging.getLogger("app.news")

TEXT_FIELDS = ("title", "summary", "cover_url", "category", "tags")
DETAIL_PAGE = "pages/news/detail?id={id}"
CATEGORY_NAMES = {
    NewsCategory.CURRENT_AFFAIRS: "时政热点",
    NewsCategory.KEY_NEWS: "要闻",
    NewsCategory.POLICY: "政策解读",
    NewsCategory.PRACTICAL: "实用信息",
    NewsCategory.NOTICE: "通知公告",
}


def push_source(article_id: int) -> str:
    return f"article:{article_id}:published"


async def load_audience(session: AsyncSession, article: NewsArticle) -> NewsArticle:
    """The article with its audience rows as they are now (``audience_org_ids`` and
    ``audience_statuses`` read them)."""
    await session.refresh(article, attribute_names=["audience"])
    return article


async def get_in_scope(session: AsyncSession, scope: Scope, article_id: int) -> NewsArticle:
    """An article of an organization the caller writes news for; 404 otherwise."""
    article = await session.scalar(
        select(NewsArticle).where(NewsArticle.id == article_id, scope.covers(NewsArticle.org_id))
    )
    if article is None:
        raise ArticleNotFound()
    return article


async def _set_audience(
    session: AsyncSession,
    article: NewsArticle,
    org_ids: Sequence[int],
    statuses: Sequence[PartyStatus],
) -> None:
    await session.execute(delete(NewsAudience).where(NewsAudience.article_id == article.id))
    rows = [
        {
            "article_id": article.id,
            "org_id": org_id,
            "party_status": status,
            "category": article.category,
            "pinned": article.pinned,
            "feed_at": None,
        }
        for org_id in org_ids
        for status in statuses
    ]
    await session.execute(insert(NewsAudience), rows)


async def sync_feed_key(session: AsyncSession, article: NewsArticle) -> None:
    """Copies the article's feed key onto its audience rows (models/news.py says why)."""
    live = article.status is ArticleStatus.PUBLISHED
    await session.execute(
        update(NewsAudience)
        .where(NewsAudience.article_id == article.id)
        .values(
            category=article.category,
            pinned=article.pinned,
            feed_at=article.published_at if live else None,
        )
        .execution_options(synchronize_session=False)
    )


async def create(
    session: AsyncSession,
    scope: Scope,
    body: ArticleCreate,
    *,
    account_id: int | None,
    now: datetime,
) -> NewsArticle:
    await check_orgs(session, scope, body.audience_org_ids)
    if body.org_id is not None:
        await orgs_service.get_in_scope(session, scope, body.org_id)
    article = NewsArticle(
        org_id=body.org_id or body.audience_org_ids[0],
        created_by_account_id=account_id,
        title=body.title,
        summary=body.summary,
        body_format=body.body_format,
        body=body.body,
        body_html=render(body.body, body.body_format),
        cover_url=body.cover_url,
        category=body.category,
        tags=body.tags,
        pinned=body.pinned,
        created_at=now,
        updated_at=now,
    )
    session.add(article)
    await session.flush()
    await _set_audience(session, article, body.audience_org_ids, body.audience_statuses)
    return await load_audience(session, article)


async def update_article(
    session: AsyncSession, scope: Scope, article_id: int, body: ArticleUpdate, *, now: datetime
) -> NewsArticle:
    changes = body.model_dump(exclude_unset=True)
    article = await get_in_scope(session, scope, article_id)
    if article.status is ArticleStatus.RETRACTED:
        raise ArticleRetracted()
    for name in TEXT_FIELDS:
        # cover_url: an explicit null takes the cover away; elsewhere null means "unchanged".
        if name in changes and (changes[name] is not None or name == "cover_url"):
            setattr(article, name, changes[name])
    if body.body is not None or body.body_format is not None:
        article.body = body.body or article.body
        article.body_format = body.body_format or article.body_format
        article.body_html = render(article.body, article.body_format)
    orgs, statuses = body.audience_org_ids, body.audience_statuses
    if orgs is not None or statuses is not None:
        if article.status is ArticleStatus.PUBLISHED:
            raise AudienceLocked()
        if orgs is not None:
            await check_orgs(session, scope, orgs)
        current = await load_audience(session, article)
        await _set_audience(
            session,
            article,
            orgs or current.audience_org_ids,
            statuses or current.audience_statuses,
        )
    if changes:
        article.updated_at = now
    await session.flush()
    await sync_feed_key(session, article)
    return await load_audience(session, article)


async def delete_article(session: AsyncSession, scope: Scope, article_id: int) -> None:
    article = await get_in_scope(session, scope, article_id)
    if article.status not in (ArticleStatus.DRAFT, ArticleStatus.SCHEDULED):
        raise NotDeletable()
    await session.delete(article)
    await session.flush()


async def _publish_now(
    session: AsyncSession, settings: Settings, article: NewsArticle, now: datetime
) -> None:
    article.status = ArticleStatus.PUBLISHED
    article.published_at = now
    article.publish_at = None
    article.updated_at = now
    await session.flush()
    await sync_feed_key(session, article)
    await load_audience(session, article)
    await outbox.notify(
        session,
        settings,
        kind=NotificationKind.NEWS_PUBLISHED,
        source=push_source(article.id),
        subject=f"article:{article.id}",
        title=article.title,
        body=article.summary,
        recipients=audience_members(article.audience_org_ids, article.audience_statuses, as_of=now),
        now=now,
        org_id=article.org_id,
        page=DETAIL_PAGE.format(id=article.id),
        data={
            "article_id": article.id,
            "article_title": article.title,
            "published_at": shown(now),
            "category": article.category.value,
            "category_name": CATEGORY_NAMES[article.category],
        },
        bulk=True,
    )


async def publish(
    session: AsyncSession,
    settings: Settings,
    scope: Scope,
    article_id: int,
    *,
    publish_at: datetime | None,
    now: datetime,
) -> NewsArticle:
    """Now, or at ``publish_at`` when that lies ahead; a scheduled article may be moved."""
    article = await get_in_scope(session, scope, article_id)
    if article.status is ArticleStatus.PUBLISHED:
        raise AlreadyPublished()
    if article.status is ArticleStatus.RETRACTED:
        raise ArticleRetracted()
    if publish_at is not None and publish_at > now:
        article.status = ArticleStatus.SCHEDULED
        article.publish_at = publish_at
        article.updated_at = now
        await session.flush()
        return await load_audience(session, article)
    await _publish_now(session, settings, article, now)
    return article


async def retract(
    session: AsyncSession, scope: Scope, article_id: int, now: datetime
) -> NewsArticle:
    article = await get_in_scope(session, scope, article_id)
    if article.status not in (ArticleStatus.PUBLISHED, ArticleStatus.SCHEDULED):
        raise NotPublished()
    article.status = ArticleStatus.RETRACTED
    article.retracted_at = now
    article.updated_at = now
    await session.flush()
    await sync_feed_key(session, article)
    # Its push must not arrive after it is gone; what was already sent stays in inboxes.
    await outbox.withdraw(session, push_source(article.id))
    return await load_audience(session, article)


async def set_pinned(
    session: AsyncSession, scope: Scope, article_id: int, pinned: bool, *, now: datetime
) -> NewsArticle:
    article = await get_in_scope(session, scope, article_id)
    if article.status is ArticleStatus.RETRACTED:
        raise ArticleRetracted()
    if article.pinned is not pinned:
        article.pinned = pinned
        article.updated_at = now
        await session.flush()
        await sync_feed_key(session, article)
    return await load_audience(session, article)


async def list_in_scope(
    session: AsyncSession,
    scope: Scope,
    *,
    status: ArticleStatus | None,
    after_id: int | None,
    limit: int,
) -> Sequence[NewsArticle]:
    """Newest first; ``after_id`` is the last article of the page before."""
    query = select(NewsArticle).where(scope.covers(NewsArticle.org_id))
    if status is not None:
        query = query.where(NewsArticle.status == status)
    if after_id is not None:
        query = query.where(NewsArticle.id < after_id)
    return (await session.scalars(query.order_by(NewsArticle.id.desc()).limit(limit))).all()


async def publish_due(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Publishes the scheduled articles whose time has come, in the caller's transaction;
    answers how many. On PostgreSQL the claim skips rows another worker holds, so no article
    is published twice; notify's unique source would drop a second push anyway. An article
    of an organization that has used today's bulk sends waits for the next day."""
    day = now.astimezone(DISPLAY_ZONE).date()
    capped = (
        select(OrgDailySends.org_id)
        .where(
            OrgDailySends.org_id == NewsArticle.org_id,
            OrgDailySends.day == day,
            OrgDailySends.count >= settings.notify_org_daily_bulk_cap,
        )
        .exists()
    )
    due = (
        await session.scalars(
            select(NewsArticle)
            .where(
                NewsArticle.status == ArticleStatus.SCHEDULED,
                NewsArticle.publish_at <= now,
                ~capped,
            )
            .order_by(NewsArticle.publish_at, NewsArticle.id)
            .limit(settings.news_publish_batch_size)
            .with_for_update(skip_locked=True)
        )
    ).all()
    published = 0
    for article in due:
        article_id = article.id
        try:
            async with session.begin_nested():
                await _publish_now(session, settings, article, now)
        except DailyCapReached:  # another publisher took the last slot meanwhile
            logger.warning("scheduled article %s waits: daily bulk cap reached", article_id)
            continue
        published += 1
    return published
