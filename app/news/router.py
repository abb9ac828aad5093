from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.auth.dependencies import CurrentPrincipal, NewsWriter
from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit.pagination import Page, PageParams, decode_key, paginate
from app.kit.time import DISPLAY_ZONE
from app.kit.types import IdPath, IdQuery
from app.models import ArticleStatus, NewsCategory
from app.news import feed as feed_service
from app.news import service
from app.news.errors import (
    AlreadyPublished,
    ArticleNotFound,
    ArticleRetracted,
    AudienceLocked,
    NotDeletable,
    NotPublished,
)
from app.news.schemas import (
    ArticleBrief,
    ArticleCreate,
    ArticleRead,
    ArticleStats,
    ArticleUpdate,
    ChildStats,
    FeedItem,
    PublishRequest,
    ReadReport,
    ReadState,
    StatsSplit,
    UnreadMember,
)
from app.notify.errors import DailyCapReached
from app.orgs.errors import OrgNotFound
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/news", tags=["news"])


@router.post("/articles", status_code=status.HTTP_201_CREATED, responses=responses(OrgNotFound))
async def create_article(
    body: ArticleCreate, caller: NewsWriter, session: DbSession, runtime: RuntimeDep
) -> ArticleRead:
    """Write a draft for organizations in the caller's scope; the body is stored sanitized."""
    article = await service.create(
        session,
        caller.scope(Permission.NEWS_WRITE),
        body,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return ArticleRead.model_validate(article)


@router.get("/articles")
async def list_articles(
    caller: NewsWriter,
    session: ReadSession,
    page: PageParams,
    status: ArticleStatus | None = None,
) -> Page[ArticleBrief]:
    """Articles of the organizations the caller writes news for, newest first."""
    found = await service.list_in_scope(
        session,
        caller.scope(Permission.NEWS_WRITE),
        status=status,
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(ArticleBrief, found, page)


@router.get("/feed")
async def news_feed(
    caller: CurrentPrincipal,
    session: ReadSession,
    page: PageParams,
    category: NewsCategory | None = None,
) -> Page[FeedItem]:
    """The signed-in member's news: pinned first, then newest; only what is aimed at them."""
    after = None if page.cursor is None else decode_key(page.cursor, feed_service.FeedKey)
    reach = await feed_service.reach_of(session, caller.member_id)
    if reach is None:
        return Page[FeedItem](items=[])
    found = await feed_service.feed(
        session, reach, category=category, after=after, limit=page.size + 1
    )
    return paginate(FeedItem, found, page, key=feed_service.feed_key)


@router.get("/articles/{article_id}", responses=responses(ArticleNotFound))
async def get_article(
    article_id: IdPath, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> ArticleRead:
    """One article: for a member it is aimed at (recording their first read) or its authors;
    readers get the sanitized HTML only. A member who was sent an article since retracted
    gets 200 with ``withdrawn_notice`` set and no content."""
    opened = await feed_service.open_article(
        session, caller, caller.scope(Permission.NEWS_WRITE), article_id, runtime.clock.now()
    )
    shown = ArticleRead.model_validate(opened.article)
    if opened.withdrawn:
        retracted = opened.article.retracted_at or opened.article.updated_at
        notice = f"该文章已于{retracted.astimezone(DISPLAY_ZONE):%Y年%m月%d日 %H:%M}撤回"
        withdrawn = {"summary": "", "body_html": f"<p>{notice}</p>", "cover_url": None}
        return shown.model_copy(update={**withdrawn, "body": None, "withdrawn_notice": notice})
    update: dict[str, object] = {"read_at": opened.read_at}
    if not opened.editable:
        update["body"] = None
    return shown.model_copy(update=update)


@router.patch(
    "/articles/{article_id}",
    responses=responses(ArticleNotFound, ArticleRetracted, AudienceLocked, OrgNotFound),
)
async def update_article(
    article_id: IdPath,
    body: ArticleUpdate,
    caller: NewsWriter,
    session: DbSession,
    runtime: RuntimeDep,
) -> ArticleRead:
    """Change an article; its audience only until it is published."""
    article = await service.update_article(
        session,
        caller.scope(Permission.NEWS_WRITE),
        article_id,
        body,
        now=runtime.clock.now(),
    )
    return ArticleRead.model_validate(article)


@router.delete(
    "/articles/{article_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ArticleNotFound, NotDeletable),
)
async def delete_article(article_id: IdPath, caller: NewsWriter, session: DbSession) -> Response:
    """Delete a draft or a scheduled article."""
    await service.delete_article(session, caller.scope(Permission.NEWS_WRITE), article_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/articles/{article_id}/publish",
    responses=responses(ArticleNotFound, AlreadyPublished, ArticleRetracted, DailyCapReached),
)
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
    return ArticleRead.model_validate(article)


@router.post("/articles/{article_id}/retract", responses=responses(ArticleNotFound, NotPublished))
async def retract_article(
    article_id: IdPath, caller: NewsWriter, session: DbSession, runtime: RuntimeDep
) -> ArticleRead:
    """Take an article out of every feed (or call off a scheduled one)."""
    article = await service.retract(
        session, caller.scope(Permission.NEWS_WRITE), article_id, runtime.clock.now()
    )
    return ArticleRead.model_validate(article)


@router.post("/articles/{article_id}/pin", responses=responses(ArticleNotFound, ArticleRetracted))
async def pin_article(
    article_id: IdPath, caller: NewsWriter, session: DbSession, runtime: RuntimeDep
) -> ArticleRead:
    """Keep an article at the top of its audience's feeds."""
    article = await service.set_pinned(
        session, caller.scope(Permission.NEWS_WRITE), article_id, True, now=runtime.clock.now()
    )
    return ArticleRead.model_validate(article)


@router.post("/articles/{article_id}/unpin", responses=responses(ArticleNotFound, ArticleRetracted))
async def unpin_article(
    article_id: IdPath, caller: NewsWriter, session: DbSession, runtime: RuntimeDep
) -> ArticleRead:
    """Let a pinned article fall back into date order."""
    article = await service.set_pinned(
        session, caller.scope(Permission.NEWS_WRITE), article_id, False, now=runtime.clock.now()
    )
    return ArticleRead.model_validate(article)


@router.post("/articles/{article_id}/reads", responses=responses(ArticleNotFound))
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
    return ReadState.model_validate(receipt)


@router.get("/articles/{article_id}/stats", responses=responses(ArticleNotFound, OrgNotFound))
async def article_stats(
    article_id: IdPath,
    caller: NewsWriter,
    session: ReadSession,
    page: PageParams,
    by: StatsSplit | None = None,
    org_id: IdQuery = None,
) -> ArticleStats:
    """Audience size, readers, read rate and, page by page, who has not read it yet, for
    the members in the caller's scope (a street sees a city-wide article for its subtree);
    ``by=child`` adds the same figures per child organization (of ``org_id`` if given)."""
    found = await feed_service.stats(
        session,
        caller.scope(Permission.NEWS_WRITE),
        article_id,
        after_id=page.after,
        limit=page.size + 1,
        by_child=by is StatsSplit.CHILD,
        under=org_id,
    )
    unread = paginate(UnreadMember, found.not_read, page)
    return ArticleStats(
        article_id=found.article_id,
        audience=found.audience,
        readers=found.readers,
        read_rate=found.read_rate,
        total_seconds=found.total_seconds,
        not_read=unread.items,
        next_cursor=unread.next_cursor,
        by_child=None
        if found.by_child is None
        else [ChildStats.model_validate(child) for child in found.by_child],
    )
