from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import CurrentPrincipal, NewsWriter
from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.kit.pagination import Page, decode_cursor, encode_cursor
from app.kit.types import IdPath
from app.models import ArticleStatus, NewsArticle, NewsCategory
from app.news import feed as feed_service
from app.news import service
from app.news.schemas import (
    ArticleBrief,
    ArticleCreate,
    ArticleRead,
    ArticleStats,
    ArticleUpdate,
    FeedItem,
    PublishRequest,
    ReadReport,
    ReadState,
    UnreadMember,
)
from app.runtime import RuntimeDep

router = APIRouter(prefix="/api/v1/news", tags=["news"])
Limit = Annotated[int | None, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=200)]


async def _read(
    session: AsyncSession, article: NewsArticle, read_at: datetime | None = None
) -> ArticleRead:
    org_ids, statuses = (await service.audience_of(session, [article.id]))[article.id]
    return ArticleRead(
        id=article.id,
        org_id=article.org_id,
        title=article.title,
        summary=article.summary,
        body=article.body,
        body_format=article.body_format,
        body_html=article.body_html,
        cover_url=article.cover_url,
        category=article.category,
        tags=article.tags,
        status=article.status,
        pinned=article.pinned,
        publish_at=article.publish_at,
        published_at=article.published_at,
        retracted_at=article.retracted_at,
        audience_org_ids=org_ids,
        audience_statuses=statuses,
        created_at=article.created_at,
        updated_at=article.updated_at,
        read_at=read_at,
    )


def _brief(article: NewsArticle) -> ArticleBrief:
    return ArticleBrief.model_validate(article, from_attributes=True)


def _feed_item(row: Row[Any]) -> FeedItem:
    return FeedItem(
        id=row.id,
        title=row.title,
        summary=row.summary,
        cover_url=row.cover_url,
        category=row.category,
        tags=row.tags,
        pinned=row.pinned,
        published_at=row.published_at,
        read=row.first_read_at is not None,
    )


@router.post("/articles", status_code=status.HTTP_201_CREATED)
async def create_article(
    body: ArticleCreate, caller: NewsWriter, session: DbSession
) -> ArticleRead:
    """Write a draft for organizations in the caller's scope; the body is stored sanitized."""
    article = await service.create(
        session,
        caller.scope(Permission.NEWS_WRITE),
        body.model_dump(),
        account_id=caller.account_id,
    )
    return await _read(session, article)


@router.get("/articles")
async def list_articles(
    caller: NewsWriter,
    session: DbSession,
    runtime: RuntimeDep,
    status: ArticleStatus | None = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[ArticleBrief]:
    """Articles of the organizations the caller writes news for, newest first."""
    size = limit or runtime.settings.page_size_default
    found = await service.list_managed(
        session,
        caller.scope(Permission.NEWS_WRITE),
        status=status,
        after_id=decode_cursor(cursor),
        limit=size + 1,
    )
    return Page[ArticleBrief](
        items=[_brief(a) for a in found[:size]],
        next_cursor=encode_cursor(found[size - 1].id) if len(found) > size else None,
    )


@router.get("/feed")
async def news_feed(
    caller: CurrentPrincipal,
    session: ReadSession,
    runtime: RuntimeDep,
    category: NewsCategory | None = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> Page[FeedItem]:
    """The signed-in member's news: pinned first, then newest; only what is aimed at them."""
    size = limit or runtime.settings.page_size_default
    after = feed_service.FeedKey.decode(cursor) if cursor is not None else None
    reach = await feed_service.reach_of(session, caller.member_id)
    if reach is None:
        return Page[FeedItem](items=[])
    found = await feed_service.feed(session, reach, category=category, after=after, limit=size + 1)
    items = [_feed_item(row) for row in found[:size]]
    next_cursor = None
    if len(found) > size:
        last = items[-1]
        next_cursor = feed_service.FeedKey(last.pinned, last.published_at, last.id).encode()
    return Page[FeedItem](items=items, next_cursor=next_cursor)


@router.get("/articles/{article_id}")
async def get_article(
    article_id: IdPath, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> ArticleRead:
    """One article: for a member it is aimed at (recording their first read) or its authors."""
    article, read_at = await feed_service.open_article(
        session, caller, caller.scope(Permission.NEWS_WRITE), article_id, runtime.clock.now()
    )
    return await _read(session, article, read_at)


@router.patch("/articles/{article_id}")
async def update_article(
    article_id: IdPath, body: ArticleUpdate, caller: NewsWriter, session: DbSession
) -> ArticleRead:
    """Change an article; its audience only until it is published."""
    article = await service.update_article(
        session,
        caller.scope(Permission.NEWS_WRITE),
        article_id,
        body.model_dump(exclude_unset=True),
    )
    return await _read(session, article)


@router.delete("/articles/{article_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_article(article_id: IdPath, caller: NewsWriter, session: DbSession) -> Response:
    """Delete a draft or a scheduled article."""
    await service.delete_article(session, caller.scope(Permission.NEWS_WRITE), article_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/articles/{article_id}/publish")
async def publish_article(
    article_id: IdPath,
    caller: NewsWriter,
    session: DbSession,
    runtime: RuntimeDep,
    body: PublishRequest | None = None,
) -> ArticleRead:
    """Publish now and push to the audience, or schedule for a later ``publish_at``."""
    article = await service.publish(
        session,
        runtime.settings,
        caller.scope(Permission.NEWS_WRITE),
        article_id,
        publish_at=body.publish_at if body else None,
        now=runtime.clock.now(),
    )
    return await _read(session, article)


@router.post("/articles/{article_id}/retract")
async def retract_article(
    article_id: IdPath, caller: NewsWriter, session: DbSession, runtime: RuntimeDep
) -> ArticleRead:
    """Take an article out of every feed (or call off a scheduled one)."""
    article = await service.retract(
        session, caller.scope(Permission.NEWS_WRITE), article_id, runtime.clock.now()
    )
    return await _read(session, article)


@router.post("/articles/{article_id}/pin")
async def pin_article(article_id: IdPath, caller: NewsWriter, session: DbSession) -> ArticleRead:
    """Keep an article at the top of its audience's feeds."""
    article = await service.set_pinned(
        session, caller.scope(Permission.NEWS_WRITE), article_id, True
    )
    return await _read(session, article)


@router.post("/articles/{article_id}/unpin")
async def unpin_article(article_id: IdPath, caller: NewsWriter, session: DbSession) -> ArticleRead:
    """Let a pinned article fall back into date order."""
    article = await service.set_pinned(
        session, caller.scope(Permission.NEWS_WRITE), article_id, False
    )
    return await _read(session, article)


@router.post("/articles/{article_id}/reads")
async def report_reading(
    article_id: IdPath,
    body: ReadReport,
    caller: CurrentPrincipal,
    session: DbSession,
    runtime: RuntimeDep,
) -> ReadState:
    """Add reading time the mini-program measured; capped per report and in total."""
    receipt = await feed_service.report_reading(
        session, runtime.settings, caller, article_id, body.seconds, runtime.clock.now()
    )
    return ReadState(
        article_id=receipt.article_id,
        first_read_at=receipt.first_read_at,
        seconds=receipt.seconds,
    )


@router.get("/articles/{article_id}/stats")
async def article_stats(
    article_id: IdPath,
    caller: NewsWriter,
    session: DbSession,
    runtime: RuntimeDep,
    cursor: Cursor = None,
    limit: Limit = None,
) -> ArticleStats:
    """Audience size, readers, read rate and, page by page, who has not read it yet."""
    size = limit or runtime.settings.page_size_default
    found = await feed_service.stats(
        session,
        caller.scope(Permission.NEWS_WRITE),
        article_id,
        after_id=decode_cursor(cursor),
        limit=size + 1,
    )
    unread = found.not_read[:size]
    return ArticleStats(
        article_id=article_id,
        audience=found.audience,
        readers=found.readers,
        read_rate=round(found.readers / found.audience, 4) if found.audience else 0.0,
        total_seconds=found.total_seconds,
        not_read=[
            UnreadMember(
                member_id=m.id,
                name=m.name,
                relation_org_id=m.relation_org_id,
                workplace_org_id=m.workplace_org_id,
            )
            for m in unread
        ],
        next_cursor=encode_cursor(unread[-1].id) if len(found.not_read) > size else None,
    )
