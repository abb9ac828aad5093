"""Demo articles: already published, so they were never pushed; the demo's pushes are the
ones made by publishing through the API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.models import ArticleStatus, BodyFormat, NewsCategory, Organization, PartyStatus
from app.news import service as news_service
from app.news.schemas import ArticleCreate

DEMO_TIMEZONE = ZoneInfo("Asia/Shanghai")  # the demo district's
PARTY = [PartyStatus.FULL_MEMBER, PartyStatus.PROBATIONARY]
# title, summary, category, audience keys (demo.OrgKey), statuses, days ago, pinned
ARTICLES: tuple[
    tuple[str, str, NewsCategory, tuple[str | int, ...], list[PartyStatus], int, bool], ...
] = (
    (
        "关于开展2025年度民主评议党员工作的通知",
        "各支部于年底前完成组织生活会和民主评议党员，材料报综合党委。",
        NewsCategory.NOTICE,
        ("root",),
        PARTY,
        1,
        True,
    ),
    (
        "深入学习贯彻党的二十届三中全会精神",
        "全会对进一步全面深化改革作出部署，社会组织党组织要把学习引向深入。",
        NewsCategory.CURRENT_AFFAIRS,
        ("root",),
        list(PartyStatus),
        3,
        False,
    ),
    (
        "社会组织登记管理新规要点解读",
        "登记、年检与年报中的党建工作内容有哪些新要求，一文读懂。",
        NewsCategory.POLICY,
        ("s0",),
        PARTY,
        5,
        False,
    ),
    (
        "党员组织关系网上转接操作指南",
        "在小程序中发起组织关系转接的步骤、所需材料和办理时限。",
        NewsCategory.PRACTICAL,
        (2,),
        PARTY,
        7,
        False,
    ),
    (
        "湖南路街道社会组织联合党支部开展主题党日活动",
        "联合党支部组织党员走进社区，开展志愿服务。",
        NewsCategory.KEY_NEWS,
        ("s1",),
        PARTY,
        2,
        False,
    ),
)


async def seed_news(
    session: AsyncSession, party: Mapping[str | int, Organization], today: date, now: datetime
) -> None:
    morning = datetime.combine(today, time(9), DEMO_TIMEZONE)
    everywhere = Scope(everywhere=True)
    for title, summary, category, keys, statuses, days_ago, pinned in ARTICLES:
        body = ArticleCreate(
            title=title,
            summary=summary,
            body=f"## {title}\n\n{summary}\n\n详见附件或咨询所在党组织。",
            body_format=BodyFormat.MARKDOWN,
            category=category,
            tags=[category.value],
            audience_org_ids=[party[key].id for key in keys],
            audience_statuses=statuses,
            pinned=pinned,
        )
        article = await news_service.create(session, everywhere, body, account_id=None, now=now)
        article.status = ArticleStatus.PUBLISHED
        article.published_at = morning - timedelta(days=days_ago)
        await session.flush()
        await news_service.sync_feed_key(session, article)
