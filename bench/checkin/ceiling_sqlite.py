"""The SQLite ceiling: the same check-in with nothing but FastAPI, pyjwt and the sqlite3 module.

The three statements of ``ceiling.py`` (principal, read, insert), on one sqlite3
connection used on the event loop itself: no thread, no pool, no ORM, no transaction block,
no rate limit. With nothing awaited between the statements, one connection serves every
request; the file is set up as the app sets up its own (WAL, synchronous=NORMAL).

    CEILING_SQLITE_PATH=bench/checkin/results/bench_checkin.db \
        uvicorn ceiling_sqlite:create_app --factory --app-dir bench/checkin
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from ceiling import (
    PRINCIPAL,
    READ,
    Insert,
    bearer_claims,
    decide,
    error,
    install_basics,
    read_attendance,
)
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from app.checkin.schemas import AttendanceRead, CheckInRequest
from app.config import Settings
from app.kit.gc_tuning import tune_for_serving

SQLITE_PRINCIPAL = PRINCIPAL.replace("$1", "?1")
SQLITE_READ = READ.replace("$1", "?1").replace("$2", "?2")

# As the app's SQLite insert: no RETURNING; the answer is what was written and the rowid.
SQLITE_INSERT = """
INSERT INTO attendances (activity_id, member_id, method, checked_in_at, late, walk_in,
                         needs_review, review_reasons, client_nonce)
VALUES (?, ?, 'rotating_code', ?, ?, ?, ?, ?, ?)
ON CONFLICT (activity_id, member_id) DO NOTHING
"""

_DATETIMES = ("starts_at", "ends_at", "checked_in_at", "checked_out_at")


def _stored(value: datetime) -> str:
    # How SQLAlchemy writes the app's UTC datetimes to SQLite.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def _row(row: sqlite3.Row) -> dict[str, Any]:
    converted = dict(zip(row.keys(), row, strict=True))
    for key in _DATETIMES:
        if converted[key] is not None:
            converted[key] = datetime.fromisoformat(converted[key]).replace(tzinfo=UTC)
    return converted


def create_app() -> FastAPI:
    settings = Settings()
    path = os.environ["CEILING_SQLITE_PATH"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tune_for_serving()  # as the app does: the ratio compares code, not collector settings
        connection = sqlite3.connect(path, isolation_level=None)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        app.state.connection = connection
        yield
        connection.close()

    app = FastAPI(lifespan=lifespan)
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
        connection: sqlite3.Connection = request.app.state.connection
        principal = connection.execute(SQLITE_PRINCIPAL, (claims.account_id,)).fetchall()
        if not principal or not principal[0]["is_active"]:
            return error(401, "auth.account_disabled")
        member_id = principal[0]["member_id"]
        if member_id is None:
            return error(403, "auth.not_a_member")
        found = connection.execute(SQLITE_READ, (activity_id, member_id)).fetchone()
        row = None if found is None else _row(found)
        decided = decide(row, body, activity_id, settings, now)
        if not isinstance(decided, Insert):
            return decided
        reasons = json.dumps(decided.reasons)
        cursor = connection.execute(
            SQLITE_INSERT,
            (
                activity_id,
                member_id,
                _stored(now),
                decided.late,
                decided.walk_in,
                bool(decided.reasons),
                reasons,
                body.client_nonce,
            ),
        )
        if not cursor.rowcount:
            return error(409, "checkin.already_checked_in")
        return read_attendance(
            {
                "id": cursor.lastrowid,
                "activity_id": activity_id,
                "member_id": member_id,
                "method": "rotating_code",
                "checked_in_at": now,
                "late": decided.late,
                "walk_in": decided.walk_in,
                "needs_review": bool(decided.reasons),
                "review_reasons": reasons,
                "distance_m": None,
                "checked_out_at": None,
            }
        )

    return app
