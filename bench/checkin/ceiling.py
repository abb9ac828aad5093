"""The ceiling: the same check-in with nothing but FastAPI, pyjwt and raw asyncpg.

Per request, the statements the app runs (since 2026-12-02, issue 8): verify the access
token and read the caller's principal (account, member, roles: what ``CurrentMember`` reads
for every signed-in route), then read the activity, whether the member is expected or nearby
and an existing attendance in one query, verify the rotating code, then in one transaction
INSERT ... ON CONFLICT DO NOTHING RETURNING (which takes the member's points lock) and the
attendance's points row (issue 11), and answer the attendance as JSON. No ORM, no session,
no rate limit.

    CEILING_DSN=postgresql://... uvicorn ceiling:create_app --factory --app-dir bench/checkin
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from kit import ceiling_lifespan

from app.auth.tokens import decode_access_token
from app.checkin import codes
from app.checkin.schemas import AttendanceRead, CheckInRequest
from app.config import Settings
from app.errors import AppError
from app.kit.time import DISPLAY_ZONE

PRINCIPAL = """
SELECT acc.is_active, m.id AS member_id, r.role, r.org_id
FROM accounts acc
LEFT JOIN members m ON m.account_id = acc.id
LEFT JOIN role_assignments r ON r.member_id = m.id
WHERE acc.id = $1
"""

READ = """
SELECT a.id AS activity_id, a.status, a.starts_at, a.ends_at, a.walk_in_policy, a.checkin_secret,
       EXISTS (SELECT 1 FROM activity_expected e
               WHERE e.activity_id = a.id AND e.member_id = $2) AS expected,
       EXISTS (SELECT 1 FROM members m JOIN org_closure c
                 ON c.descendant_id IN (m.relation_org_id, m.workplace_org_id)
               WHERE m.id = $2 AND c.ancestor_id = a.org_id) AS nearby,
       t.id, t.method, t.checked_in_at, t.late, t.walk_in, t.needs_review, t.review_reasons,
       t.distance_m, t.checked_out_at, t.client_nonce
FROM activities a
LEFT JOIN attendances t ON t.activity_id = a.id AND t.member_id = $2
WHERE a.id = $1
"""

INSERT = """
INSERT INTO attendances (activity_id, member_id, method, checked_in_at, late, walk_in,
                         needs_review, review_reasons, client_nonce)
VALUES ($1, $2, 'rotating_code', $3, $4, $5, $6, $7, $8)
ON CONFLICT (activity_id, member_id) DO NOTHING
RETURNING id, activity_id, member_id, method, checked_in_at, late, walk_in, needs_review,
          review_reasons, distance_m, checked_out_at, pg_advisory_xact_lock(7304, member_id)
"""

# The attendance's 参加组织生活 points, as app/points/ledger.py writes them: the nearest
# committee's rule (else the default: 2 points, 6 a day), capped against the day's sum, in
# the insert; the lock was taken by the attendance's insert above.
AWARD = """
INSERT INTO point_entries (member_id, kind, source, reversal, requested, points, day,
                           rule_org_id, created_at)
SELECT $1, 'activity_attended', $2, false, r.points,
       greatest(0, least(r.points, coalesce(r.cap - (
           SELECT coalesce(sum(e.points), 0) FROM point_entries e
           WHERE e.member_id = $1 AND e.kind = 'activity_attended' AND e.day = $3), r.points))),
       $3, r.org_id, $4
FROM (SELECT coalesce(n.points, 2) AS points,
             CASE WHEN n.org_id IS NULL THEN 6 ELSE n.daily_cap END AS cap, n.org_id
      FROM (SELECT 1) AS given
      LEFT JOIN LATERAL (
          SELECT p.points, p.daily_cap, p.org_id FROM point_rules p
          JOIN org_closure c ON c.ancestor_id = p.org_id
          WHERE c.descendant_id = (SELECT coalesce(relation_org_id, workplace_org_id)
                                   FROM members WHERE id = $1)
            AND p.kind = 'activity_attended'
          ORDER BY c.depth LIMIT 1) AS n ON true) AS r
ON CONFLICT (member_id, kind, source, reversal) DO NOTHING
RETURNING id
"""


def error(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": code, "details": {}}}, status)


def read_attendance(row: Any) -> AttendanceRead:
    return AttendanceRead(
        id=row["id"],
        activity_id=row["activity_id"],
        member_id=row["member_id"],
        method=row["method"],
        checked_in_at=row["checked_in_at"],
        late=row["late"],
        walk_in=row["walk_in"],
        needs_review=row["needs_review"],
        review_reasons=json.loads(row["review_reasons"]),
        distance_m=row["distance_m"],
        review_status=None,
        reviewed_at=None,
        review_note=None,
        checked_out_at=row["checked_out_at"],
        duration_minutes=None,
    )


@dataclass
class Insert:
    late: bool
    walk_in: bool
    reasons: list[str]


def decide(
    row: Any, body: CheckInRequest, activity_id: int, settings: Settings, now: datetime
) -> Insert | AttendanceRead | JSONResponse:
    """After the read: the refusal, the earlier attendance, or what to insert. ``row`` has
    aware datetimes, string enums and the activity's secret as bytes."""
    if row is None or row["status"] == "draft":
        return error(404, "activity.not_found")
    if not (row["expected"] or row["nearby"] or row["id"] is not None):
        return error(404, "activity.not_found")
    if row["id"] is not None:
        if row["client_nonce"] == body.client_nonce:
            return read_attendance(row)
        return error(409, "checkin.already_checked_in")
    if row["status"] != "published":
        return error(409, "checkin.activity_not_published")
    opens_at = row["starts_at"] - timedelta(minutes=settings.checkin_opens_minutes_before)
    closes_at = row["ends_at"] + timedelta(minutes=settings.checkin_closes_minutes_after)
    if not opens_at <= now <= closes_at:
        return error(409, "checkin.outside_window")
    if body.token is None:
        return error(422, "checkin.token_required")
    step_now = codes.current_step(now, settings.checkin_step_seconds)
    codes.verify(body.token, activity_id, row["checkin_secret"], step_now)
    walk_in = not row["expected"]
    if walk_in and row["walk_in_policy"] == "refuse":
        return error(409, "checkin.not_expected")
    late = now > row["starts_at"] + timedelta(minutes=settings.checkin_late_grace_minutes)
    return Insert(late=late, walk_in=walk_in, reasons=["walk_in"] if walk_in else [])


def install_basics(app: FastAPI) -> None:
    """The error answer and /healthz, as both ceilings have them."""

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return error(exc.status_code, exc.code)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}


def bearer_claims(authorization: str, settings: Settings) -> Any:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return decode_access_token(settings, token)


def create_app() -> FastAPI:
    settings = Settings()
    dsn = os.environ["CEILING_DSN"]
    # As many connections as the app's pool opens.
    pool_size = settings.database_pool_size

    app = FastAPI(lifespan=ceiling_lifespan(dsn, pool_size))

    install_basics(app)

    @app.post("/api/v1/activities/{activity_id}/check-ins", status_code=201, response_model=None)
    async def check_in(
        activity_id: int,
        body: CheckInRequest,
        request: Request,
        authorization: str = Header(default=""),
    ) -> AttendanceRead | JSONResponse:
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
        if member_id is None:
            return error(403, "auth.not_a_member")
        async with pool.acquire() as connection:
            row = await connection.fetchrow(READ, activity_id, member_id)
            decided = decide(row, body, activity_id, settings, now)
            if not isinstance(decided, Insert):
                return decided
            async with connection.transaction():
                inserted = await connection.fetchrow(
                    INSERT,
                    activity_id,
                    member_id,
                    now,
                    decided.late,
                    decided.walk_in,
                    bool(decided.reasons),
                    json.dumps(decided.reasons),
                    body.client_nonce,
                )
                if inserted is not None:
                    day = now.astimezone(DISPLAY_ZONE).date()
                    await connection.fetchval(
                        AWARD, member_id, f"attendance:{inserted['id']}", day, now
                    )
        if inserted is None:
            return error(409, "checkin.already_checked_in")
        return read_attendance(inserted)

    return app
