"""The posting ceiling: the same question posted with nothing but FastAPI, pyjwt and raw
asyncpg, served by one uvicorn worker like the app.

Per request, what the app's POST /api/v1/qa/questions writes and reads, in the fewest
statements: verify the access token and read the caller's principal (what ``CurrentMember``
reads), read where the member asks from with the category's name (one statement where the
app reads them twice, before and inside its transaction), judge the text with the app's own
word-list adapter, find the route, then in one transaction insert the question, its content
review row, its first assignment, its search row (``app.qa.search.tokenize``'s terms, the
title twice as the app weighs it), the notification and its delivery rows for every member
channel in one INSERT ... SELECT; answer the question as JSON. No ORM, no session, no rate
limit.

    CEILING_DSN=postgresql://... uvicorn posting_ceiling:create_app --factory --app-dir bench/qa
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(1, str(HERE.parent.parent))
from checkin.ceiling import bearer_claims, error, install_basics  # noqa: E402
from kit import ceiling_lifespan  # noqa: E402

from app.config import Settings  # noqa: E402
from app.integrations.content_check import Outcome, Scene, WordListContentCheck  # noqa: E402
from app.kit.time import shown  # noqa: E402
from app.notify.outbox import member_channels  # noqa: E402
from app.qa.schemas import QuestionCreate  # noqa: E402
from app.qa.search import tokenize  # noqa: E402

PRINCIPAL = """
SELECT acc.is_active, m.id AS member_id, r.role, r.org_id
FROM accounts acc
LEFT JOIN members m ON m.account_id = acc.id
LEFT JOIN role_assignments r ON r.member_id = m.id
WHERE acc.id = $1
"""

ASKING = """
SELECT coalesce(m.relation_org_id, m.workplace_org_id) AS anchor, m.departed_at, m.name,
       acc.openid,
       (SELECT c.name FROM qa_categories c
        WHERE c.id = $2 AND (c.org_id IS NULL OR c.org_id IN (
              SELECT ancestor_id FROM org_closure
              WHERE descendant_id = coalesce(m.relation_org_id, m.workplace_org_id))))
       AS category
FROM members m LEFT JOIN accounts acc ON acc.id = m.account_id
WHERE m.id = $1
"""

ROUTE = """
SELECT c.ancestor_id FROM org_closure c
JOIN role_assignments r ON r.org_id = c.ancestor_id
JOIN members m ON m.id = r.member_id
WHERE c.descendant_id = $1 AND r.role = 'instructor' AND m.departed_at IS NULL
ORDER BY c.depth LIMIT 1
"""

QUESTION = """
INSERT INTO qa_questions (asker_member_id, org_id, category_id, title, body, anonymous,
                          status, routed_org_id, routed_role, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, 'instructor', $8, $8)
RETURNING id
"""

REVIEW = """
INSERT INTO content_reviews (subject, subject_id, outcome, label_name, reason, source,
                             created_at)
VALUES ('question', $1, 'pass', $2, $3, $4, $5)
"""

ASSIGNMENT = """
INSERT INTO qa_assignments (question_id, routed_org_id, routed_role, created_at)
VALUES ($1, $2, 'instructor', $3)
"""

SEARCH_ROW = """
INSERT INTO qa_search_entries (kind, ref_id, org_id, routed_org_id, asker_member_id, tokens)
VALUES ('question', $1, $2, $3, $4, $5)
"""

NOTIFICATION = """
INSERT INTO notifications (kind, source, subject, org_id, title, body, page, data, critical,
                           created_at)
VALUES ('qa_question_routed', $1, $2, $3, $4, $5, $6, $7, false, $8)
ON CONFLICT (source) DO NOTHING
RETURNING id
"""

DELIVERIES = """
INSERT INTO deliveries (notification_id, member_id, channel, dedupe_key, status, attempts,
                        next_attempt_at, created_at)
SELECT $1::int, m.id, ch.channel, 'n' || $1::int || ':' || ch.channel || ':' || m.id, 'pending', 0,
       $3, $3
FROM role_assignments r
JOIN members m ON m.id = r.member_id AND m.departed_at IS NULL
CROSS JOIN unnest($4::text[]) AS ch(channel)
LEFT JOIN notification_preferences p
       ON p.member_id = m.id AND p.kind = 'qa_question_routed' AND p.channel = ch.channel
WHERE r.org_id = $2 AND r.role = 'instructor'
  AND (ch.channel = 'inbox' OR p.enabled IS NULL OR p.enabled)
"""


def create_app() -> FastAPI:
    settings = Settings()
    dsn = os.environ["CEILING_DSN"]
    content_check = WordListContentCheck(
        risky_words=settings.content_check_risky_words,
        review_words=settings.content_check_review_words,
    )
    channels = [channel.value for channel in member_channels(settings)]
    app = FastAPI(lifespan=ceiling_lifespan(dsn, settings.database_pool_size))
    install_basics(app)

    @app.post("/api/v1/qa/questions", status_code=201, response_model=None)
    async def ask(
        body: QuestionCreate, request: Request, authorization: str = Header(default="")
    ) -> dict[str, Any] | JSONResponse:
        claims = bearer_claims(authorization, settings)
        if claims is None:
            return error(401, "auth.missing_token")
        now = datetime.now(UTC)
        pool: asyncpg.Pool = request.app.state.pool
        async with pool.acquire() as connection:
            principal = await connection.fetch(PRINCIPAL, claims.account_id)
        if not principal or not principal[0]["is_active"]:
            return error(401, "auth.account_disabled")
        member_id = principal[0]["member_id"]
        async with pool.acquire() as connection:
            asking = await connection.fetchrow(ASKING, member_id, body.category_id)
        if asking is None or asking["anchor"] is None or asking["departed_at"] is not None:
            return error(422, "qa.no_organization")
        if asking["category"] is None:
            return error(404, "qa.category_not_found")
        verdict = await content_check.check(
            body.body, openid=asking["openid"], scene=Scene.FORUM, title=body.title
        )
        if verdict.outcome is not Outcome.PASS:  # the bench posts clean texts only
            return error(422, "bench.not_pass")
        anchor = asking["anchor"]
        async with pool.acquire() as connection:
            routed = await connection.fetchval(ROUTE, anchor)
            async with connection.transaction():
                question_id = await connection.fetchval(
                    QUESTION, member_id, anchor, body.category_id, body.title, body.body,
                    body.anonymous, routed, now,
                )  # fmt: skip
                await connection.execute(
                    REVIEW, question_id, verdict.label_name, verdict.reason, verdict.source, now
                )
                await connection.execute(ASSIGNMENT, question_id, routed, now)
                tokens = " ".join(tokenize(body.title) * 2 + tokenize(body.body))
                await connection.execute(SEARCH_ROW, question_id, anchor, routed, member_id, tokens)
                data = {
                    "question_title": body.title,
                    "category_name": asking["category"],
                    "asked_at": shown(now),
                    "status": "新提问",
                }
                notification_id = await connection.fetchval(
                    NOTIFICATION,
                    f"qa_question:{question_id}:opened",
                    f"qa_question:{question_id}",
                    anchor,
                    f"新提问：{body.title}"[:100],
                    f"{asking['category']}类问题，请及时回答",
                    f"pages/qa/question?id={question_id}",
                    json.dumps(data, ensure_ascii=False, default=str),
                    now,
                )
                await connection.execute(DELIVERIES, notification_id, routed, now, channels)
        return {
            "id": question_id,
            "org_id": anchor,
            "category_id": body.category_id,
            "category_name": asking["category"],
            "title": body.title,
            "body": body.body,
            "anonymous": body.anonymous,
            "asker": {"member_id": member_id, "name": asking["name"]},
            "status": "open",
            "status_label": "待回答",
            "routed_org_id": routed,
            "routed_role": "instructor",
            "created_at": shown(now),
        }

    return app
