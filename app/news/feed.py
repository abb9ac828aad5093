"""Reading news: a member's feed, the article page that records the read, reading time,
and the read figures of one article. The feed reads the audience rows only; see
models/news.py for the index every query here is shaped for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Exists,
    Row,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
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
    ArticleStatus,
    Delivery,
    Member,
    NewsArticle,
    NewsAudience,
    NewsCategory,
    Notification,
    Organization,
    OrgClosure,
    PartyStatus,
    PointKind,
    ReadReceipt,
)
from app.news.errors import ArticleNotFound
from app.news.service import load_audience, push_source
from app.orgs.audience import audience_members
from app.orgs.errors import OrgNotFound
from app.points import ledger


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


@dataclass(frozen=True)
class Opened:
    """An article as one caller may see it: an author or editor (``editable``) sees the
    raw body, a reader only the sanitized HTML; a member who was sent an article since
    retracted gets the withdrawn notice instead of its text."""

    article: NewsArticle
    read_at: datetime | None
    editable: bool
    withdrawn: bool = False


async def _was_sent(session: AsyncSession, article_id: int, member_id: int) -> bool:
    """The member had the article: its push was meant for them, or they had opened it."""
    pushed = (
        select(Delivery.id)
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(Notification.source == push_source(article_id), Delivery.member_id == member_id)
        .exists()
    )
    opened = exists().where(
        ReadReceipt.article_id == article_id, ReadReceipt.member_id == member_id
    )
    return bool(await session.scalar(select(or_(pushed, opened))))


async def _writes_for(session: AsyncSession, write_scope: Scope, article: NewsArticle) -> bool:
    if write_scope.is_empty:
        return False
    return bool(
        await session.scalar(
            select(Organization.id).where(
                Organization.id == article.org_id, write_scope.covers(Organization.id)
            )
        )
    )


async def open_article(
    session: AsyncSession, principal: Principal, write_scope: Scope, article_id: int, now: datetime
) -> Opened:
    """The article for a member it is aimed at (the first read is recorded) or for an author
    in scope; for a member who was sent it before it was retracted, the withdrawn notice;
    404 for anyone else."""
    reach = await reach_of(session, principal.member_id)
    if reach is not None and reach.org_ids:
        article = await session.scalar(
            select(NewsArticle).where(NewsArticle.id == article_id, _aimed_at(reach, article_id))
        )
        if article is not None:
            read_at = await _record_first_read(session, article.id, reach.member_id, now)
            editable = await _writes_for(session, write_scope, article)
            return Opened(await load_audience(session, article), read_at, editable)
    if not write_scope.is_empty:
        article = await session.scalar(
            select(NewsArticle).where(
                NewsArticle.id == article_id, write_scope.covers(NewsArticle.org_id)
            )
        )
        if article is not None:
            return Opened(await load_audience(session, article), None, editable=True)
    if reach is not None:
        article = await session.get(NewsArticle, article_id)
        if (
            article is not None
            and article.status is ArticleStatus.RETRACTED
            and await _was_sent(session, article.id, reach.member_id)
        ):
            return Opened(await load_audience(session, article), None, False, withdrawn=True)
    raise ArticleNotFound()


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
    await _earn_if_read(session, settings, receipt, now)
    return receipt


async def _earn_if_read(
    session: AsyncSession, settings: Settings, receipt: ReadReceipt, now: datetime
) -> None:
    """An effective read earns its points once: enough reported reading time, and at least
    as long since the first open on the server's clock (the client's seconds alone are
    its word; the server's clock is not)."""
    threshold = settings.news_read_points_seconds
    if receipt.seconds < threshold or now - receipt.first_read_at < timedelta(seconds=threshold):
        return
    await ledger.award(
        await session.connection(),
        member_id=receipt.member_id,
        kind=PointKind.NEWS_READ,
        source=f"article:{receipt.article_id}",
        now=now,
    )


@dataclass(frozen=True)
class Figures:
    audience: int
    readers: int

    @property
    def read_rate(self) -> float:
        return round(self.readers / self.audience, 4) if self.audience else 0.0


@dataclass(frozen=True)
class ChildFigures(Figures):
    org_id: int
    name: str


@dataclass(frozen=True)
class Stats(Figures):
    """The figures of the audience within the caller's scope (all of it for the caller
    whose scope holds the article's organization)."""

    article_id: int
    total_seconds: int
    not_read: Sequence[Member]  # a page of them, in id order
    by_child: Sequence[ChildFigures] | None = None


def _member_in(subtree: Select[int]) -> ColumnElement[bool]:
    return or_(Member.relation_org_id.in_(subtree), Member.workplace_org_id.in_(subtree))


def _scope_subtree(scope: Scope) -> Select[int]:
    return select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id.in_(scope.roots))


async def _visible_for_stats(session: AsyncSession, scope: Scope, article_id: int) -> NewsArticle:
    """An article of an organization in scope, or a published (or since retracted) one
    whose audience reaches into the scope: a street sees a city-wide article's figures for
    its own subtree. 404 otherwise."""
    if scope.is_empty:
        raise ArticleNotFound()
    reaches_in = exists().where(
        NewsAudience.article_id == NewsArticle.id,
        or_(
            scope.covers(NewsAudience.org_id),
            # The audience's subtree holds one of the scope's roots.
            exists().where(
                OrgClosure.ancestor_id == NewsAudience.org_id,
                OrgClosure.descendant_id.in_(scope.roots),
            ),
        ),
    )
    article = await session.scalar(
        select(NewsArticle).where(
            NewsArticle.id == article_id,
            or_(
                scope.covers(NewsArticle.org_id),
                and_(NewsArticle.published_at.is_not(None), reaches_in),
            ),
        )
    )
    if article is None:
        raise ArticleNotFound()
    return await load_audience(session, article)


async def _split_parents(
    session: AsyncSession, scope: Scope, article: NewsArticle, under: int | None
) -> list[Organization]:
    """The organizations figures are split by: the children of ``under`` (which must lie
    in scope); by default the children of the caller's one organization, the caller's
    organizations when they are several, or the children of the article's organization
    for a caller whose scope is everywhere."""
    if under is not None:
        parent = await session.scalar(
            select(Organization.id).where(Organization.id == under, scope.covers(Organization.id))
        )
        if parent is None:
            raise OrgNotFound()
        parents = [under]
    elif scope.everywhere:
        parents = [article.org_id]
    elif len(scope.roots) == 1:
        parents = list(scope.roots)
    else:
        found = await session.scalars(
            select(Organization).where(Organization.id.in_(scope.roots)).order_by(Organization.id)
        )
        return list(found)
    children = await session.scalars(
        select(Organization).where(Organization.parent_id.in_(parents)).order_by(Organization.id)
    )
    return list(children)


async def _by_child(
    session: AsyncSession, article_id: int, people: Select[int], children: list[Organization]
) -> list[ChildFigures]:
    """One grouped query: per child, the audience members whose relation or workplace lies
    in its subtree, and those of them who read the article."""
    if not children:
        return []
    closure = OrgClosure
    rows = await session.execute(
        select(
            closure.ancestor_id,
            func.count(func.distinct(Member.id)),
            func.count(func.distinct(ReadReceipt.member_id)),
        )
        .select_from(Member)
        .join(
            closure,
            and_(
                closure.descendant_id.in_([Member.relation_org_id, Member.workplace_org_id]),
                closure.ancestor_id.in_([child.id for child in children]),
            ),
        )
        .outerjoin(
            ReadReceipt,
            and_(ReadReceipt.article_id == article_id, ReadReceipt.member_id == Member.id),
        )
        .where(Member.id.in_(people))
        .group_by(closure.ancestor_id)
    )
    counts = {org_id: (int(audience), int(readers)) for org_id, audience, readers in rows.all()}
    return [
        ChildFigures(*counts.get(child.id, (0, 0)), org_id=child.id, name=child.name)
        for child in children
    ]


async def stats(
    session: AsyncSession,
    scope: Scope,
    article_id: int,
    *,
    after_id: int | None,
    limit: int,
    by_child: bool = False,
    under: int | None = None,
) -> Stats:
    """Audience, readers and who has not read it, counting only members in the caller's
    scope; with ``by_child``, the same split by the caller's child organizations."""
    article = await _visible_for_stats(session, scope, article_id)
    people = audience_members(
        article.audience_org_ids, article.audience_statuses, as_of=article.published_at
    )
    if not scope.everywhere:
        people = people.where(_member_in(_scope_subtree(scope)))
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
    split = None
    if by_child:
        children = await _split_parents(session, scope, article, under)
        split = await _by_child(session, article.id, people, children)
    return Stats(
        audience=audience,
        readers=int(readers),
        article_id=article.id,
        total_seconds=int(seconds),
        not_read=members,
        by_child=split,
    )
