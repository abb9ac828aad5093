"""Reading news: a member's feed, the article page that records the read, reading time,
and the read figures of one article. The feed reads the audience rows only; see
models/news.py for the index every query here is shaped for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Exists,
    Row,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    exists,
    func,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Principal, Scope
from app.config import Settings
from app.kit.pagination import CursorKey
from app.kit.sql import insert_on_conflict
from app.kit.types import DbId
from app.kit.validation import Moment
from app.models import (
    Member,
    NewsArticle,
    NewsAudience,
    NewsCategory,
    OrgClosure,
    PartyStatus,
    ReadReceipt,
)
from app.news.errors import ArticleNotFound
from app.news.service import audience_members, get_in_scope, load_audience


class FeedKey(CursorKey):
    """Where a feed page ends: (pinned, published, id), the feed's descending order."""

    pinned: bool
    at: Moment
    id: DbId


@dataclass(frozen=True)
class Reach:
    """A member as the audience rows see them: their status and every organization above
    their relation and their workplace (each organization is its own ancestor)."""

    member_id: int
    status: PartyStatus
    org_ids: tuple[int, ...]


# Built once: the member travels as a parameter (see _STATEMENTS below for why).
_REACH = (
    select(Member.party_status, OrgClosure.ancestor_id)
    .select_from(Member)
    .outerjoin(
        OrgClosure,
        OrgClosure.descendant_id.in_([Member.relation_org_id, Member.workplace_org_id]),
    )
    .where(Member.id == bindparam("member_id"))
)


async def reach_of(session: AsyncSession, member_id: int | None) -> Reach | None:
    if member_id is None:
        return None
    rows = (await session.execute(_REACH, {"member_id": member_id})).all()
    if not rows:
        return None
    return Reach(member_id, rows[0].party_status, _ancestors(rows))


def _ancestors(rows: Sequence[Row[PartyStatus, int]]) -> tuple[int, ...]:
    return tuple(sorted({row.ancestor_id for row in rows if row.ancestor_id is not None}))


def _org_page(index: int, category: bool, after: bool, limit: int) -> Subquery:
    """The page of the ``index``-th ancestor organization, its values left as parameters."""
    audience = NewsAudience
    query = select(audience.article_id, audience.pinned, audience.feed_at).where(
        audience.org_id == bindparam(f"org_{index}"),
        audience.party_status == bindparam("status"),
        audience.feed_at.is_not(None),
    )
    if category:
        query = query.where(audience.category == bindparam("category"))
    if after:
        query = query.where(
            tuple_(audience.pinned, audience.feed_at, audience.article_id)
            < tuple_(
                bindparam("after_pinned", type_=audience.pinned.type),
                bindparam("after_at", type_=audience.feed_at.type),
                bindparam("after_id", type_=audience.article_id.type),
            )
        )
    order = (audience.pinned.desc(), audience.feed_at.desc(), audience.article_id.desc())
    return query.order_by(*order).limit(limit).subquery()


# A feed row: the list's columns of an article, never its body, and whether the member read it.
FeedRow = Row[int, str, str, str | None, NewsCategory, list[str], bool, datetime, bool]
FeedStatement = Select[int, str, str, str | None, NewsCategory, list[str], bool, datetime, bool]


def feed_key(row: FeedRow) -> FeedKey:
    """The cursor key of the page that ends with ``row``."""
    return FeedKey(pinned=row.pinned, at=row.published_at, id=row.id)


def _feed_statement(orgs: int, category: bool, after: bool, limit: int) -> FeedStatement:
    pages = [_org_page(i, category, after, limit) for i in range(orgs)]
    merged = union_all(*(select(page) for page in pages)).subquery()
    top = (
        select(merged.c.article_id, merged.c.pinned, merged.c.feed_at)
        .distinct()
        .order_by(merged.c.pinned.desc(), merged.c.feed_at.desc(), merged.c.article_id.desc())
        .limit(limit)
        .subquery()
    )
    return (
        select(
            NewsArticle.id,
            NewsArticle.title,
            NewsArticle.summary,
            NewsArticle.cover_url,
            NewsArticle.category,
            NewsArticle.tags,
            top.c.pinned,
            top.c.feed_at.label("published_at"),
            ReadReceipt.first_read_at.is_not(None).label("read"),
        )
        .join(top, top.c.article_id == NewsArticle.id)
        .outerjoin(
            ReadReceipt,
            and_(
                ReadReceipt.article_id == NewsArticle.id,
                ReadReceipt.member_id == bindparam("member_id"),
            ),
        )
        .order_by(top.c.pinned.desc(), top.c.feed_at.desc(), top.c.article_id.desc())
    )


# Built statements by shape (number of organizations, category or not, cursor or not, page
# size): building one and computing its cache key cost more than running it, and a shape
# recurs on nearly every request. Values travel as parameters. Bounded: past the cap, a
# rare shape is built each time.
_STATEMENTS: dict[tuple[int, bool, bool, int], FeedStatement] = {}
_STATEMENTS_CAP = 1024


def _statement_for(orgs: int, category: bool, after: bool, limit: int) -> FeedStatement:
    shape = (orgs, category, after, limit)
    statement = _STATEMENTS.get(shape)
    if statement is None:
        statement = _feed_statement(orgs, category, after, limit)
        if len(_STATEMENTS) < _STATEMENTS_CAP:
            _STATEMENTS[shape] = statement
    return statement


async def feed(
    session: AsyncSession,
    reach: Reach,
    *,
    category: NewsCategory | None,
    after: FeedKey | None,
    limit: int,
) -> Sequence[FeedRow]:
    """Up to ``limit`` articles aimed at the member after ``after``: one short index range
    per ancestor organization, merged; the list's columns (never the bodies) and whether
    the member has read each."""
    if not reach.org_ids:
        return []
    statement = _statement_for(len(reach.org_ids), category is not None, after is not None, limit)
    params: dict[str, object] = {f"org_{i}": org_id for i, org_id in enumerate(reach.org_ids)}
    params["status"] = reach.status
    params["member_id"] = reach.member_id
    if category is not None:
        params["category"] = category
    if after is not None:
        params.update(after_pinned=after.pinned, after_at=after.at, after_id=after.id)
    # Through the connection: the rows are columns, and the ORM's result machinery would
    # cost more than the statement (a feed page is the members' most frequent request).
    connection = await session.connection()
    return (await connection.execute(statement, params)).all()


def _aimed_at(reach: Reach, article_id: int) -> Exists:
    return exists().where(
        NewsAudience.article_id == article_id,
        NewsAudience.org_id.in_(reach.org_ids),
        NewsAudience.party_status == reach.status,
        NewsAudience.feed_at.is_not(None),
    )


async def _record_first_read(
    session: AsyncSession, article_id: int, member_id: int, now: datetime
) -> datetime:
    await session.execute(
        insert_on_conflict(session, ReadReceipt)
        .values(article_id=article_id, member_id=member_id, first_read_at=now, seconds=0)
        .on_conflict_do_nothing()
    )
    first = await session.scalar(
        select(ReadReceipt.first_read_at).where(
            ReadReceipt.article_id == article_id, ReadReceipt.member_id == member_id
        )
    )
    assert first is not None
    return first


async def open_article(
    session: AsyncSession, principal: Principal, write_scope: Scope, article_id: int, now: datetime
) -> tuple[NewsArticle, datetime | None]:
    """The article for a member it is aimed at (the first read is recorded) or for an author
    in scope; 404 for anyone else."""
    reach = await reach_of(session, principal.member_id)
    if reach is not None and reach.org_ids:
        article = await session.scalar(
            select(NewsArticle).where(NewsArticle.id == article_id, _aimed_at(reach, article_id))
        )
        if article is not None:
            read_at = await _record_first_read(session, article.id, reach.member_id, now)
            return await load_audience(session, article), read_at
    if write_scope.is_empty:
        raise ArticleNotFound()
    return await load_audience(session, await get_in_scope(session, write_scope, article_id)), None


async def report_reading(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    article_id: int,
    seconds: int,
    now: datetime,
) -> ReadReceipt:
    reach = await reach_of(session, principal.member_id)
    if reach is None or not reach.org_ids:
        raise ArticleNotFound()
    if not await session.scalar(select(_aimed_at(reach, article_id))):
        raise ArticleNotFound()
    await _record_first_read(session, article_id, reach.member_id, now)
    added = ReadReceipt.seconds + min(seconds, settings.news_read_report_max_seconds)
    total = settings.news_read_total_max_seconds
    await session.execute(
        update(ReadReceipt)
        .where(ReadReceipt.article_id == article_id, ReadReceipt.member_id == reach.member_id)
        .values(seconds=case((added > total, total), else_=added))
        .execution_options(synchronize_session=False)
    )
    receipt = await session.scalar(
        select(ReadReceipt)
        .where(ReadReceipt.article_id == article_id, ReadReceipt.member_id == reach.member_id)
        .execution_options(populate_existing=True)
    )
    assert receipt is not None
    return receipt


@dataclass(frozen=True)
class Stats:
    article_id: int
    audience: int
    readers: int
    total_seconds: int
    not_read: Sequence[Member]  # a page of them, in id order

    @property
    def read_rate(self) -> float:
        return round(self.readers / self.audience, 4) if self.audience else 0.0


async def stats(
    session: AsyncSession, scope: Scope, article_id: int, *, after_id: int | None, limit: int
) -> Stats:
    article = await load_audience(session, await get_in_scope(session, scope, article_id))
    people = audience_members(
        article.audience_org_ids, article.audience_statuses, as_of=article.published_at
    )
    audience = await session.scalar(select(func.count()).select_from(people.subquery())) or 0
    readers, seconds = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(ReadReceipt.seconds), 0)).where(
                ReadReceipt.article_id == article.id, ReadReceipt.member_id.in_(people)
            )
        )
    ).one()
    unread = select(Member).where(
        Member.id.in_(people),
        ~exists().where(ReadReceipt.article_id == article.id, ReadReceipt.member_id == Member.id),
    )
    if after_id is not None:
        unread = unread.where(Member.id > after_id)
    members = (await session.scalars(unread.order_by(Member.id).limit(limit))).all()
    return Stats(article.id, audience, int(readers), int(seconds), members)
