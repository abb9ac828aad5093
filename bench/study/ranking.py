"""Points ranking benchmark: a 10,000-member committee ranked for one month over
1,000,000 ledger rows, through the app's own service function and as bare SQL on asyncpg.

    .venv/bin/python bench/study/ranking.py
    .venv/bin/python bench/study/ranking.py --repeat 30 --explain

Recreates the database ``bench_ranking``, migrates it with the app's migrations, and fills
it in SQL with generate_series (seconds, not minutes): one committee, 100 branches under
it, 100 members in each, and 1,000,000 point entries spread over December 2026 (every
member ~100 rows, 1–3 points each). Then, after ANALYZE and a warm-up, times ``repeat``
runs of the ranking's first page (``app.points.rankings.page``, 20 rows, the committee's
whole subtree, period 2026-12) through the app's engine and session, and the same SQL as
compiled by the app, run bare on one asyncpg connection: the ceiling. Prints the median
and p90 of both and their ratio; ``--explain`` prints EXPLAIN (ANALYZE, BUFFERS).
Target (issue 11): under 300 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.dialects import postgresql  # noqa: E402

from app.config import Settings  # noqa: E402
from app.db import create_engine, create_read_sessionmaker, read_engine  # noqa: E402
from app.models import OrgKind  # noqa: E402
from app.points import periods, rankings  # noqa: E402

BRANCHES = 100
PER_BRANCH = 100
ENTRIES = 1_000_000
COMMITTEE_ID = 1
PERIOD = "2026-12"
PAGE = 20


async def recreate(server: str, database: str) -> None:
    connection = await asyncpg.connect(f"{server}/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


def migrate(url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    env["APP_DATABASE_URL"] = url
    subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


FILL = [
    f"""INSERT INTO organizations (id, parent_id, kind, name, depth, created_at, updated_at)
    VALUES ({COMMITTEE_ID}, NULL, 'committee', '综合党委', 0, now(), now())""",
    f"""INSERT INTO organizations (id, parent_id, kind, name, depth, created_at, updated_at)
    SELECT 1 + b, {COMMITTEE_ID}, 'branch', '第' || b || '党支部', 1, now(), now()
    FROM generate_series(1, {BRANCHES}) b""",
    f"""INSERT INTO org_closure (ancestor_id, descendant_id, depth)
    SELECT id, id, 0 FROM organizations
    UNION ALL SELECT {COMMITTEE_ID}, id, 1 FROM organizations WHERE id <> {COMMITTEE_ID}""",
    f"""INSERT INTO members (id, name, party_status, relation_org_id, is_mobile,
        is_lost_contact, created_at, updated_at)
    SELECT m, '党员' || m, 'full_member', 2 + (m - 1) / {PER_BRANCH}, false, false, now(), now()
    FROM generate_series(1, {BRANCHES * PER_BRANCH}) m""",
    f"""INSERT INTO point_entries (member_id, kind, source, reversal, requested, points, day,
        rule_org_id, created_at)
    SELECT 1 + (g::bigint * 7919) % {BRANCHES * PER_BRANCH}, 'study_time', 'bench:' || g, false,
        1 + g % 3, 1 + g % 3, DATE '2026-12-01' + (g % 31), NULL, now()
    FROM generate_series(1, {ENTRIES}) g""",
    "SELECT setval(pg_get_serial_sequence('organizations', 'id'), 1000)",
    "SELECT setval(pg_get_serial_sequence('members', 'id'), 100000)",
    "VACUUM ANALYZE",
]


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.9) - 1]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-database", default="bench_ranking")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    dsn = f"{args.pg_server}/{args.pg_database}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)

    started = time.perf_counter()
    await recreate(args.pg_server, args.pg_database)
    migrate(url)
    raw = await asyncpg.connect(dsn)
    for statement in FILL:
        await raw.execute(statement)
    print(
        f"built in {time.perf_counter() - started:.1f} s: {BRANCHES * PER_BRANCH} members, "
        f"{ENTRIES} entries"
    )

    period = periods.parse(PERIOD)
    org = rankings.Ranked(COMMITTEE_ID, OrgKind.COMMITTEE)
    engine = create_engine(Settings(database_url=url))
    sessionmaker = create_read_sessionmaker(read_engine(engine))

    async def ours() -> list[object]:
        async with sessionmaker() as session:
            return list(await rankings.page(session, org, period, after=None, limit=PAGE + 1))

    statement = rankings.page_statement(org, period, after=None, limit=PAGE + 1)
    compiled = statement.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[attr-defined]
    sql = str(compiled)
    params = [compiled.params[name] for name in compiled.positiontup or ()]

    async def ceiling() -> list[object]:
        return list(await raw.fetch(sql, *params))

    first_ours, first_ceiling = await ours(), await ceiling()
    assert [tuple(r)[:5] for r in first_ours] == [tuple(r)[:5] for r in first_ceiling]
    if args.explain:
        plan = await raw.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *params)
        print("\n".join(row[0] for row in plan))

    timings: dict[str, list[float]] = {"ours": [], "ceiling": []}
    for _ in range(args.repeat):  # interleaved, so that a slow moment hits both
        for name, run in (("ours", ours), ("ceiling", ceiling)):
            at = time.perf_counter()
            await run()
            timings[name].append((time.perf_counter() - at) * 1000)
    await raw.close()
    await engine.dispose()
    ours_median, ours_p90 = stats(timings["ours"])
    ceiling_median, ceiling_p90 = stats(timings["ceiling"])
    print(f"ours    median {ours_median:7.1f} ms  p90 {ours_p90:7.1f} ms")
    print(f"ceiling median {ceiling_median:7.1f} ms  p90 {ceiling_p90:7.1f} ms")
    print(
        f"ratio ceiling/ours {ceiling_median / ours_median:.1%}; target < 300 ms: "
        f"{'met' if ours_median < 300 else 'NOT MET'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
