"""Bulk seed shared by the three notification and news benchmarks, written with asyncpg COPY
into a database the app's own migrations have just created.

- 1,000 organizations: the city committee (id 1), 10 street committees (ids 2-11) and 989
  branches (ids 12-1000) spread over the streets, with their ``org_closure`` rows;
- 100,000 members, each with a WeChat account of the same id and a distinct phone number;
  their relation is a branch, 30% also have a workplace in another branch; party status
  80% full members, 10% probationary, 7% activists, 3% masses;
- 100,000 published articles over the 1,000 organizations (2% by the city committee, 8% by
  the streets, 90% by branches) across the last year, 0.3% pinned, each aimed at its own
  organization's subtree for full and probationary members (a fifth of them for all four
  statuses), with the audience rows the news service would have written;
- 100,000 read receipts, so that the feed's "read" flag is sometimes set.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

ROOT_ORG = 1
STREETS = 10
ORGS = 1_000
MEMBERS = 100_000
ARTICLES = 100_000
READS = 100_000
STATUSES = ("full_member", "probationary", "activist", "masses")
CATEGORIES = ("current_affairs", "key_news", "policy", "practical", "notice")

COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("id", "parent_id", "kind", "name", "depth", "created_at", "updated_at"),
    "org_closure": ("ancestor_id", "descendant_id", "depth"),
    "accounts": ("id", "openid", "is_active", "created_at", "updated_at"),
    "members": (
        "id",
        "account_id",
        "name",
        "phone",
        "party_status",
        "relation_org_id",
        "workplace_org_id",
        "is_mobile",
        "is_lost_contact",
        "created_at",
        "updated_at",
    ),
    "news_articles": (
        "id",
        "org_id",
        "title",
        "summary",
        "body_format",
        "body",
        "body_html",
        "category",
        "tags",
        "status",
        "pinned",
        "published_at",
        "created_at",
        "updated_at",
    ),
    "news_audience": ("article_id", "org_id", "party_status", "category", "pinned", "feed_at"),
    "news_reads": ("article_id", "member_id", "first_read_at", "seconds"),
}


def street_of(branch_id: int) -> int:
    return 2 + branch_id % STREETS


def phone_of(member_id: int) -> str:
    return f"139{member_id:08d}"


@dataclass
class Rows:
    tables: dict[str, list[tuple[Any, ...]]]


def build_rows(now: datetime, rng: random.Random) -> Rows:
    orgs: list[tuple[Any, ...]] = [(ROOT_ORG, None, "committee", "综合党委", 0, now, now)]
    closure: list[tuple[Any, ...]] = [(ROOT_ORG, ROOT_ORG, 0)]
    for street in range(2, 2 + STREETS):
        orgs.append((street, ROOT_ORG, "committee", f"第{street - 1}街道工委", 1, now, now))
        closure += [(street, street, 0), (ROOT_ORG, street, 1)]
    branches = list(range(2 + STREETS, ORGS + 1))
    for branch in branches:
        street = street_of(branch)
        orgs.append((branch, street, "branch", f"第{branch}党支部", 2, now, now))
        closure += [(branch, branch, 0), (street, branch, 1), (ROOT_ORG, branch, 2)]

    accounts = [(i, f"bench-notify-{i}", True, now, now) for i in range(1, MEMBERS + 1)]
    members = []
    for i in range(1, MEMBERS + 1):
        relation = branches[(i - 1) % len(branches)]
        workplace = rng.choice(branches) if rng.random() < 0.3 else None
        roll = rng.random()
        status = (
            "full_member"
            if roll < 0.8
            else "probationary"
            if roll < 0.9
            else "activist"
            if roll < 0.97
            else "masses"
        )
        members.append(
            (i, i, f"党员{i}", phone_of(i), status, relation, workplace, False, False, now, now)
        )

    articles = []
    audience = []
    streets = list(range(2, 2 + STREETS))
    for a in range(1, ARTICLES + 1):
        roll = rng.random()
        org = (
            ROOT_ORG if roll < 0.02 else rng.choice(streets) if roll < 0.1 else rng.choice(branches)
        )
        at = now - timedelta(seconds=rng.randrange(365 * 86400), microseconds=rng.randrange(10**6))
        pinned = rng.random() < 0.003
        category = rng.choice(CATEGORIES)
        text = f"第{a}篇 学习贯彻会议精神"
        articles.append(
            (
                a,
                org,
                text,
                f"{text}的摘要",
                "markdown",
                f"# {text}\n\n正文。",
                f"<h1>{text}</h1>\n<p>正文。</p>",
                category,
                json.dumps(["学习"], ensure_ascii=False),
                "published",
                pinned,
                at,
                at,
                at,
            )
        )
        statuses = STATUSES if rng.random() < 0.2 else STATUSES[:2]
        audience += [(a, org, status, category, pinned, at) for status in statuses]

    pairs: set[tuple[int, int]] = set()
    while len(pairs) < READS:
        pairs.add((rng.randrange(1, ARTICLES + 1), rng.randrange(1, MEMBERS + 1)))
    reads = [(a, m, now, rng.randrange(600)) for a, m in sorted(pairs)]
    return Rows(
        {
            "organizations": orgs,
            "org_closure": closure,
            "accounts": accounts,
            "members": members,
            "news_articles": articles,
            "news_audience": audience,
            "news_reads": reads,
        }
    )


async def write(dsn: str, rows: Rows) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            for table, columns in COLUMNS.items():
                await connection.copy_records_to_table(
                    table, records=rows.tables[table], columns=list(columns)
                )
            for table in ("organizations", "accounts", "members", "news_articles"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
