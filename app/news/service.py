"""Writing news: drafts, scheduling, publishing with its push, retraction and pinning, by the
instructors and committee admins whose scope holds the article's organization."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.config import Settings
from app.errors import Conflict, NotFound
from app.models import (
    ArticleStatus,
    BodyFormat,
    Member,
    NewsArticle,
    NewsAudience,
    NotificationKind,
    Organization,
    OrgClosure,
    OrgDailySends,
    PartyStatus,
)
from app.news.sanitize import render
from app.notify import outbox
from app.notify.outbox import notify
from app.orgs import service as orgs_service

logger = logging.getLogger("app.news")

TEXT_FIELDS = ("title", "summary", "cover_url", "category", "tags")
DETAIL_PAGE = "pages/news/detail?id={id}"


def article_not_found() -> NotFound:
    return NotFound("news.article_not_found", "文章不存在", "Article not found")


def _retracted() -> Conflict:
    return Conflict("news.retracted", "文章已撤回", "The article has been retracted")


def audience_members(org_ids: Sequence[int], statuses: Sequence[PartyStatus]) -> Select[Any]:
    """Member ids the article is aimed at, as one set-based SELECT: their relation or their
    workplace lies in a targeted subtree and their party status is targeted."""
    subtree = select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id.in_(org_ids))
    return select(Member.id).where(
        Member.party_status.in_(statuses),
        or_(Member.relation_org_id.in_(subtree), Member.workplace_org_id.in_(subtree)),
    )


def push_source(article_id: int) -> str:
    return f"article:{article_id}:published"


async def get_managed(session: AsyncSession, scope: Scope, article_id: int) -> NewsArticle:
    article = await session.scalar(
        select(NewsArticle).where(NewsArticle.id == article_id, scope.covers(NewsArticle.org_id))
    )
    if article is None:
        raise article_not_found()
    return article


async def audience_of(
    session: AsyncSession, article_ids: Sequence[int]
) -> dict[int, tuple[list[int], list[PartyStatus]]]:
    found: dict[int, tuple[list[int], list[PartyStatus]]] = {i: ([], []) for i in article_ids}
    if not article_ids:
        return found
    rows = await session.execute(
        select(NewsAudience.article_id, NewsAudience.org_id, NewsAudience.party_status)
        .where(NewsAudience.article_id.in_(article_ids))
        .order_by(NewsAudience.article_id, NewsAudience.org_id, NewsAudience.party_status)
    )
    for article_id, org_id, status in rows:
        orgs, statuses = found[article_id]
        if org_id not in orgs:
            orgs.append(org_id)
        if status not in statuses:
            statuses.append(status)
    return found


async def _check_orgs(session: AsyncSession, scope: Scope, org_ids: Sequence[int]) -> None:
    found = set(
        await session.scalars(
            select(Organization.id).where(
                Organization.id.in_(org_ids), scope.covers(Organization.id)
            )
        )
    )
    missing = [i for i in org_ids if i not in found]
    if missing:
        raise NotFound(
            "org.not_found", "组织不存在", "Organization not found", details={"org_ids": missing}
        )


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
    session: AsyncSession, scope: Scope, values: dict[str, Any], *, account_id: int | None
) -> NewsArticle:
    org_ids = values["audience_org_ids"]
    await _check_orgs(session, scope, org_ids)
    org_id = values.get("org_id")
    if org_id is not None:
        await orgs_service.get_in_scope(session, scope, org_id)
    article = NewsArticle(
        org_id=org_id or org_ids[0],
        created_by_account_id=account_id,
        title=values["title"],
        summary=values["summary"],
        body_format=values["body_format"],
        body=values["body"],
        body_html=render(values["body"], values["body_format"]),
        cover_url=values.get("cover_url"),
        category=values["category"],
        tags=values.get("tags") or [],
        pinned=values.get("pinned", False),
    )
    session.add(article)
    await session.flush()
    await _set_audience(session, article, org_ids, values["audience_statuses"])
    return article


async def update_article(
    session: AsyncSession, scope: Scope, article_id: int, changes: dict[str, Any]
) -> NewsArticle:
    article = await get_managed(session, scope, article_id)
    if article.status is ArticleStatus.RETRACTED:
        raise _retracted()
    for name in TEXT_FIELDS:
        # cover_url: an explicit null takes the cover away; elsewhere null means "unchanged".
        if name in changes and (changes[name] is not None or name == "cover_url"):
            setattr(article, name, changes[name])
    if changes.get("body") is not None or changes.get("body_format") is not None:
        article.body = changes.get("body") or article.body
        article.body_format = BodyFormat(changes.get("body_format") or article.body_format)
        article.body_html = render(article.body, article.body_format)
    orgs, statuses = changes.get("audience_org_ids"), changes.get("audience_statuses")
    if orgs is not None or statuses is not None:
        if article.status is ArticleStatus.PUBLISHED:
            raise Conflict(
                "news.audience_locked",
                "文章已发布，不能再更改受众",
                "The audience of a published article cannot change",
            )
        current_orgs, current_statuses = (await audience_of(session, [article.id]))[article.id]
        if orgs is not None:
            await _check_orgs(session, scope, orgs)
        await _set_audience(session, article, orgs or current_orgs, statuses or current_statuses)
    await session.flush()
    await sync_feed_key(session, article)
    return article


async def delete_article(session: AsyncSession, scope: Scope, article_id: int) -> None:
    article = await get_managed(session, scope, article_id)
    if article.status not in (ArticleStatus.DRAFT, ArticleStatus.SCHEDULED):
        raise Conflict(
            "news.not_deletable",
            "已发布或撤回的文章不能删除",
            "Only drafts and scheduled articles can be deleted",
        )
    await session.delete(article)
    await session.flush()


async def _publish_now(
    session: AsyncSession, settings: Settings, article: NewsArticle, now: datetime
) -> None:
    article.status = ArticleStatus.PUBLISHED
    article.published_at = now
    article.publish_at = None
    await session.flush()
    await sync_feed_key(session, article)
    org_ids, statuses = (await audience_of(session, [article.id]))[article.id]
    await notify(
        session,
        settings,
        kind=NotificationKind.NEWS_PUBLISHED,
        source=push_source(article.id),
        title=article.title,
        body=article.summary,
        recipients=audience_members(org_ids, statuses),
        now=now,
        org_id=article.org_id,
        page=DETAIL_PAGE.format(id=article.id),
        data={"article_id": article.id, "category": article.category.value},
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
    article = await get_managed(session, scope, article_id)
    if article.status is ArticleStatus.PUBLISHED:
        raise Conflict("news.already_published", "文章已发布", "The article is already published")
    if article.status is ArticleStatus.RETRACTED:
        raise _retracted()
    if publish_at is not None and publish_at > now:
        article.status = ArticleStatus.SCHEDULED
        article.publish_at = publish_at
        await session.flush()
        return article
    await _publish_now(session, settings, article, now)
    return article


async def retract(
    session: AsyncSession, scope: Scope, article_id: int, now: datetime
) -> NewsArticle:
    article = await get_managed(session, scope, article_id)
    if article.status not in (ArticleStatus.PUBLISHED, ArticleStatus.SCHEDULED):
        raise Conflict(
            "news.not_published",
            "只有已发布或定时发布的文章可以撤回",
            "Only published or scheduled articles can be retracted",
        )
    article.status = ArticleStatus.RETRACTED
    article.retracted_at = now
    await session.flush()
    await sync_feed_key(session, article)
    # Its push must not arrive after it is gone; what was already sent stays in inboxes.
    await outbox.withdraw(session, push_source(article.id))
    return article


async def set_pinned(
    session: AsyncSession, scope: Scope, article_id: int, pinned: bool
) -> NewsArticle:
    article = await get_managed(session, scope, article_id)
    if article.status is ArticleStatus.RETRACTED:
        raise _retracted()
    article.pinned = pinned
    await session.flush()
    await sync_feed_key(session, article)
    return article


async def list_managed(
    session: AsyncSession,
    scope: Scope,
    *,
    status: ArticleStatus | None,
    after_id: int | None,
    limit: int,
) -> Sequence[NewsArticle]:
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
    day = now.astimezone(ZoneInfo(settings.display_timezone)).date()
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
        except Conflict as refused:  # another publisher took the last slot meanwhile
            if refused.code != "notify.daily_cap_reached":
                raise
            logger.warning("scheduled article %s waits: daily bulk cap reached", article_id)
            continue
        published += 1
    return published
