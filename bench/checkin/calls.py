"""Python calls per check-in, counted with cProfile, in process: a figure that does not move
with the machine's load, for comparing two versions of the hot path.

Run after ``run.py --db postgresql`` (it uses that run's database and request file; the
rotating codes are made anew, the access tokens must still be valid: within 15 minutes):

    .venv/bin/python bench/checkin/calls.py [--requests 800] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
DSN = "postgresql://postgres@127.0.0.1:5432/bench_checkin"
WARM_UP = 100


def _fresh_codes(lines: list[str], secrets: dict[int, bytes], step_seconds: int) -> list[str]:
    from app.checkin import codes

    step = codes.current_step(datetime.now(UTC), step_seconds)
    fresh = []
    for line in lines:
        path, token, raw = line.split("\t")
        activity_id = int(path.split("/")[4])
        body = json.loads(raw)
        body["token"] = codes.rotating_code(activity_id, secrets[activity_id], step)
        fresh.append("\t".join([path, token, json.dumps(body)]))
    return fresh


async def main(requests: int, concurrency: int) -> None:
    os.environ.update(
        APP_DATABASE_URL=DSN.replace("postgresql://", "postgresql+asyncpg://", 1),
        APP_REDIS_URL="redis://127.0.0.1:6379/15",
        APP_RATE_LIMIT_CHECKIN="1000000/minute",
        APP_RATE_LIMIT_CHECKIN_PER_IP="1000000/minute",
        APP_LOG_LEVEL="WARNING",
    )
    from app.config import Settings
    from app.main import create_app

    settings = Settings()
    connection = await asyncpg.connect(DSN)
    await connection.execute("TRUNCATE attendances RESTART IDENTITY")
    rows = await connection.fetch("SELECT id, checkin_secret FROM activities")
    await connection.close()
    lines = (HERE / "results" / "requests-postgresql-0.txt").read_text().splitlines()
    lines = _fresh_codes(
        lines[: WARM_UP + requests],
        {row["id"]: bytes(row["checkin_secret"]) for row in rows},
        settings.checkin_step_seconds,
    )
    app = create_app(settings)
    profile = cProfile.Profile()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as client,
    ):

        async def check_in(line: str) -> None:
            path, token, body = line.split("\t")
            headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
            response = await client.post(path, content=body, headers=headers)
            assert response.status_code == 201, response.text

        for line in lines[:WARM_UP]:
            await check_in(line)
        gate = asyncio.Semaphore(concurrency)

        async def gated(line: str) -> None:
            async with gate:
                await check_in(line)

        profile.enable()
        await asyncio.gather(*(gated(line) for line in lines[WARM_UP:]))
        profile.disable()
    calls = pstats.Stats(profile).total_calls
    print(f"{calls / requests:,.0f} Python calls per check-in ({requests} check-ins)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency))
