"""The feed's ceiling: the same first page with nothing but FastAPI, pyjwt and raw asyncpg.

Per request, the statements the app runs (since 2026-12-02, issue 8): verify the access
token (the app's own function) and read the caller's principal (account, member, roles: what
every signed-in route reads), then the member's party status and ancestor organizations,
then the page (one short index range per organization, merged, joined to the articles and
the member's reads: the SQL the app sends), and answer it as ``{"items": [...],
"next_cursor": ...}``. No ORM, no session, no transaction block, no middleware, no cursor or
category handling.

    CEILING_DSN=postgresql://... uvicorn feed_ceiling:create_app --factory --app-dir bench/notify
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from kit import ceiling_lifespan

from app.auth.tokens import decode_access_token
from app.config import Settings
from app.errors import AppError
from app.kit.pagination import Page
from app.news.schemas import FeedItem

PRINCIPAL = """
SELECT acc.is_active, m.id AS member_id, r.role, r.org_id
FROM accounts acc
LEFT JOIN members m ON m.account_id = acc.id
LEFT JOIN role_assignments r ON r.member_id = m.id
WHERE acc.id = $1
"""

REACH = """
SELECT m.party_status, c.ancestor_id
FROM members m
LEFT JOIN org_closure c ON c.descendant_id IN (m.relation_org_id, m.workplace_org_id)
WHERE m.id = $1
"""


@cache
def page_sql(orgs: int) -> str:
    """$1 status, $2 member, $3 the page size plus one, $4.. the organizations."""
    ranges = " UNION ALL ".join(
        f"""(SELECT article_id, pinned, feed_at FROM news_audience
             WHERE org_id = ${4 + n} AND party_status = $1 AND feed_at IS NOT NULL
             ORDER BY pinned DESC, feed_at DESC, article_id DESC LIMIT $3)"""
        for n in range(orgs)
    )
    return f"""
SELECT a.id, a.title, a.summary, a.cover_url, a.category, a.tags, top.pinned,
       top.feed_at AS published_at, r.first_read_at
FROM news_articles a
JOIN (SELECT DISTINCT article_id, pinned, feed_at FROM ({ranges}) AS merged
      ORDER BY pinned DESC, feed_at DESC, article_id DESC LIMIT $3) AS top
  ON top.article_id = a.id
LEFT JOIN news_reads r ON r.article_id = a.id AND r.member_id = $2
ORDER BY top.pinned DESC, top.feed_at DESC, a.id DESC
"""


def _error(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": code, "details": {}}}, status)


def create_app() -> FastAPI:
    settings = Settings()
    dsn = os.environ["CEILING_DSN"]
    pool_size = settings.database_pool_size  # as many connections as the app keeps

    app = FastAPI(lifespan=ceiling_lifespan(dsn, pool_size))

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return _error(exc.status_code, exc.code)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/news/feed", response_model=None)
    async def news_feed(
        request: Request, authorization: str = Header(default="")
    ) -> Page[FeedItem] | JSONResponse:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _error(401, "auth.missing_token")
        claims = decode_access_token(settings, token)
        size = settings.page_size_default
        pool: asyncpg.Pool = request.app.state.pool
        async with pool.acquire() as connection:
            principal = await connection.fetch(PRINCIPAL, claims.account_id)
        if not principal or not principal[0]["is_active"]:
            return _error(401, "auth.account_disabled")
        member_id = principal[0]["member_id"]
        if member_id is None:
            return Page[FeedItem](items=[])
        async with pool.acquire() as connection:
            rows = await connection.fetch(REACH, member_id)
            orgs = sorted({r["ancestor_id"] for r in rows if r["ancestor_id"] is not None})
            if not orgs:
                return Page[FeedItem](items=[])
            found = await connection.fetch(
                page_sql(len(orgs)), rows[0]["party_status"], member_id, size + 1, *orgs
            )
        items = [_item(row) for row in found[:size]]
        # Only whether there is a next page; the app's cursor encoding is not the point here.
        return Page[FeedItem](items=items, next_cursor="more" if len(found) > size else None)

    return app


def _item(row: Any) -> FeedItem:
    tags = row["tags"]
    return FeedItem(
        id=row["id"],
        title=row["title"],
        summary=row["summary"],
        cover_url=row["cover_url"],
        category=row["category"],
        tags=json.loads(tags) if isinstance(tags, str) else tags,
        pinned=row["pinned"],
        published_at=row["published_at"],
        read=row["first_read_at"] is not None,
    )
