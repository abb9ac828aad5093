"""The ceiling: the same check-in with nothing but FastAPI, pyjwt and raw asyncpg.

Per request, the statements the app runs (since 2026-12-02, issue 8): verify the access
token and read the caller's principal (account, member, roles: what ``CurrentMember`` reads
for every signed-in route), then read the activity, whether the member is expected or nearby
and an existing attendance in one query, verify the rotating code, then INSERT ... ON
CONFLICT DO NOTHING RETURNING and answer the attendance as JSON. Three round trips, no ORM,
no session, no transaction block, no rate limit.

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
          review_reasons, distance_m, checked_out_at
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
        if inserted is None:
            return error(409, "checkin.already_checked_in")
        return read_attendance(inserted)

    return app
