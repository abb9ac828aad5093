"""The ceiling: the same heartbeat with nothing but FastAPI, pyjwt and raw asyncpg.

Per request, the statements the app runs: verify the token and read the caller's principal
(on a connection of its own, as ``CurrentMember`` does), then in one transaction read the
material and whether it is open to the member, lock the member's presence row (making it on
a first beat), take the time, move the presence, read and write the progress, add to the
day's seconds, and when a started unit or the completion is reached read the rule and
award under the member's advisory lock within the daily cap. Same credit rule
(app/study/heartbeats.py); no ORM, no session, no dependency injection beyond the body.

    CEILING_DSN=postgresql://... uvicorn heartbeats_ceiling:create_app --factory \
        --app-dir bench/study
"""

from __future__ import annotations

import math
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
sys.path.insert(1, str(HERE.parent / "checkin"))
from ceiling import PRINCIPAL, bearer_claims, error, install_basics  # noqa: E402
from kit import ceiling_lifespan  # noqa: E402

from app.config import Settings  # noqa: E402
from app.kit.time import DISPLAY_ZONE  # noqa: E402
from app.study.heartbeats import CAP_FACTOR, NEVER, beat_credit  # noqa: E402
from app.study.schemas import Heartbeat, HeartbeatAnswer  # noqa: E402

TERMS = """
SELECT s.status, s.length_seconds, s.required_seconds,
       EXISTS (SELECT 1 FROM members m JOIN org_closure c
                 ON c.descendant_id IN (m.relation_org_id, m.workplace_org_id)
               WHERE m.id = $2 AND m.departed_at IS NULL AND c.ancestor_id = s.org_id) AS open,
       EXISTS (SELECT 1 FROM study_progress p
               WHERE p.member_id = $2 AND p.material_id = s.id) AS studied
FROM study_materials s WHERE s.id = $1
"""
LOCK = "SELECT material_id, last_beat_at FROM study_presence WHERE member_id = $1 FOR UPDATE"
FIRST = """INSERT INTO study_presence (member_id, material_id, last_beat_at) VALUES ($1, $2, $3)
ON CONFLICT (member_id) DO NOTHING"""
MOVE = "UPDATE study_presence SET material_id = $2, last_beat_at = $3 WHERE member_id = $1"
PROGRESS = """SELECT credited_seconds, completed_at, position_seconds FROM study_progress
WHERE member_id = $1 AND material_id = $2"""
PROGRESS_INSERT = """INSERT INTO study_progress (member_id, material_id, credited_seconds,
position_seconds, first_studied_at, last_credited_at, completed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)"""
PROGRESS_UPDATE = """UPDATE study_progress SET credited_seconds = $3, position_seconds = $4,
last_credited_at = $5, completed_at = $6 WHERE member_id = $1 AND material_id = $2"""
POSITION = """UPDATE study_progress SET position_seconds = $3
WHERE member_id = $1 AND material_id = $2"""
DAILY = """INSERT INTO study_daily (member_id, day, material_id, seconds) VALUES ($1, $2, $3, $4)
ON CONFLICT (member_id, day, material_id)
DO UPDATE SET seconds = study_daily.seconds + excluded.seconds"""
RULE = """SELECT r.org_id, r.points, r.unit_seconds, r.daily_cap FROM point_rules r
JOIN org_closure c ON c.ancestor_id = r.org_id
WHERE c.descendant_id = (SELECT coalesce(relation_org_id, workplace_org_id) FROM members
                         WHERE id = $1) AND r.kind = $2
ORDER BY c.depth LIMIT 1"""
LOCK_POINTS = "SELECT pg_advisory_xact_lock(7304, $1)"
USED = """SELECT coalesce(sum(points), 0) FROM point_entries
WHERE member_id = $1 AND kind = $2 AND day = $3"""
AWARD = """INSERT INTO point_entries (member_id, kind, source, reversal, requested, points, day,
rule_org_id, created_at) VALUES ($1, $2, $3, false, $4, $5, $6, $7, $8)
ON CONFLICT (member_id, kind, source, reversal) DO NOTHING RETURNING id"""
# The defaults of app/points/rules.py: (points, unit, daily cap).
DEFAULTS = {"study_time": (1, 300, 6), "material_completed": (2, None, 6)}


async def award(
    connection: asyncpg.Connection, member_id: int, kind: str, source: str, now: datetime
) -> None:
    row = await connection.fetchrow(RULE, member_id, kind)
    points, _, cap = (
        (row["points"], row["unit_seconds"], row["daily_cap"]) if row else DEFAULTS[kind]
    )
    day = now.astimezone(DISPLAY_ZONE).date()
    await connection.execute(LOCK_POINTS, member_id)
    used = await connection.fetchval(USED, member_id, kind, day)
    granted = points if cap is None else max(0, min(points, cap - int(used)))
    org_id = row["org_id"] if row else None
    await connection.fetchval(AWARD, member_id, kind, source, points, granted, day, org_id, now)


async def beat(
    connection: asyncpg.Connection, member_id: int, material_id: int, position: int | None
) -> Any:
    terms = await connection.fetchrow(TERMS, material_id, member_id)
    if terms is None or not terms["open"] or terms["status"] == "draft":
        return error(404, "study.material_not_found")
    if terms["status"] == "archived":
        return error(409 if terms["studied"] else 404, "study.material_archived")
    length, required = terms["length_seconds"], terms["required_seconds"]
    if position is not None and position > length:
        return error(422, "study.position_out_of_range")
    locked = await connection.fetchrow(LOCK, member_id)
    if locked is None:
        await connection.execute(FIRST, member_id, material_id, NEVER)
        locked = await connection.fetchrow(LOCK, member_id)
    now = datetime.now(UTC)
    last = locked["last_beat_at"]
    await connection.execute(MOVE, member_id, material_id, max(last, now))
    seconds = beat_credit(locked["material_id"], last, material_id, now)
    found = await connection.fetchrow(PROGRESS, member_id, material_id)
    before = found["credited_seconds"] if found else 0
    completed_at = found["completed_at"] if found else None
    ceiling = math.floor(length * CAP_FACTOR)
    added = 0 if completed_at is not None else max(0, min(seconds, ceiling - before))
    total = before + added
    newly = completed_at is None and total >= required
    if newly:
        completed_at = now
    kept = position if position is not None else (found["position_seconds"] if found else None)
    if found is None:
        await connection.execute(
            PROGRESS_INSERT,
            member_id,
            material_id,
            total,
            kept,
            now,
            now if added else None,
            completed_at,
        )
    elif added:
        await connection.execute(
            PROGRESS_UPDATE, member_id, material_id, total, kept, now, completed_at
        )
    elif position is not None:
        await connection.execute(POSITION, member_id, material_id, position)
    if added:
        day = now.astimezone(DISPLAY_ZONE).date()
        await connection.execute(DAILY, member_id, day, material_id, added)
        rule = await connection.fetchrow(RULE, member_id, "study_time")
        unit = (rule["unit_seconds"] if rule else None) or DEFAULTS["study_time"][1]
        for n in range(math.ceil(before / unit) + 1, math.ceil(total / unit) + 1):
            await award(
                connection, member_id, "study_time", f"material:{material_id}:unit:{n}", now
            )
    if newly:
        await award(
            connection, member_id, "material_completed", f"material:{material_id}:completed", now
        )
    return HeartbeatAnswer(
        material_id=material_id,
        credited_seconds=total,
        required_seconds=required,
        completed=completed_at is not None,
    )


def create_app() -> FastAPI:
    settings = Settings()
    dsn = os.environ["CEILING_DSN"]
    app = FastAPI(lifespan=ceiling_lifespan(dsn, settings.database_pool_size))
    install_basics(app)

    @app.post("/api/v1/study/materials/{material_id}/heartbeats", response_model=None)
    async def heartbeat(
        material_id: int,
        request: Request,
        body: Heartbeat | None = None,
        authorization: str = Header(default=""),
    ) -> HeartbeatAnswer | JSONResponse:
        claims = bearer_claims(authorization, settings)
        if claims is None:
            return error(401, "auth.missing_token")
        pool: asyncpg.Pool = request.app.state.pool
        async with pool.acquire() as connection:
            principal = await connection.fetch(PRINCIPAL, claims.account_id)
        if not principal or not principal[0]["is_active"]:
            return error(401, "auth.account_disabled")
        member_id = principal[0]["member_id"]
        if member_id is None:
            return error(403, "auth.not_a_member")
        position = body.position_seconds if body is not None else None
        async with pool.acquire() as connection, connection.transaction():
            answer: Any = await beat(connection, member_id, material_id, position)
        return answer

    return app
