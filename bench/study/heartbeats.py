"""Heartbeat benchmark: a study evening of 10,000 members, our route against a raw-asyncpg
ceiling running the same statements (heartbeats_ceiling.py), driven by wrk.

    .venv/bin/python bench/study/heartbeats.py --rounds 3

Recreates the database ``bench_study``, migrates it with the app's migrations and seeds one
committee with 50 branches of 200 members (each with a WeChat account), and 20 published
articles of an hour, open to all of them; every member studies one of them. Writes one
request file per wrk thread, the thread's own members with a freshly minted access token.
Then per round, for our app and for the ceiling: empty the study and point tables, start one
uvicorn worker, warm up (every member's first beat makes their presence row), run wrk for a
bounded time, stop the server. Each member starts with some credited time (the evening is
under way) and the warm-up is long enough for every member's first beat, which credits
nothing. Each thread goes round its members in turn, so a member's beats come as far apart
as 10,000 beats take (30 s at 333/s): every measured beat credits that gap, and about one
in ten reaches a new started unit and writes its point row.

Targets (issue 11): ours ≥ 60 % of the ceiling's beats/s, ≥ 333 beats/s, and a p99 no more
than twice the ceiling's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(1, str(HERE.parent / "checkin"))
sys.path.insert(2, str(ROOT))

import kit  # noqa: E402
import seed  # noqa: E402  (bench/checkin's bulk seed: committee, branches, members, accounts)
from kit import cpu_seconds, log, migrate, recreate_postgres  # noqa: E402

from app.auth.tokens import issue_access_token  # noqa: E402
from app.config import Settings  # noqa: E402

PLAN = seed.Plan(members=10_000, activities=0, branches=50)
MATERIALS = 20
LENGTH_SECONDS = 3600
TARGET_RATIO = 0.6
TARGET_RPS = 333.0
TARGET_P99_FACTOR = 2.0
STUDY_TABLES = ("study_presence", "study_progress", "study_daily", "point_entries")


@dataclass
class Result:
    name: str
    round: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    credited_seconds: int
    point_rows: int
    server_cpu_ms_per_request: float


async def seed_study(dsn: str, now: datetime) -> None:
    rows = seed.build_rows(PLAN, now)
    await seed.write_postgres(dsn, rows)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "study_materials",
            records=[
                (
                    i,
                    seed.COMMITTEE_ID,
                    "article",
                    f"学习资料{i}",
                    "理论学习",
                    "<p>正文</p>",
                    "<p>正文</p>",
                    LENGTH_SECONDS,
                    int(LENGTH_SECONDS * 0.8),
                    "published",
                    now,
                    now,
                    now,
                )
                for i in range(1, MATERIALS + 1)
            ],
            columns=[
                "id",
                "org_id",
                "kind",
                "title",
                "category",
                "body",
                "body_html",
                "length_seconds",
                "required_seconds",
                "status",
                "published_at",
                "created_at",
                "updated_at",
            ],
        )
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('study_materials', 'id'), $1)", MATERIALS
        )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def write_requests(now: datetime, threads: int, prefix: Path) -> None:
    """Members dealt round-robin to one file per thread: no two threads beat for one member."""
    settings = Settings(_env_file=None)
    files = [open(f"{prefix}-{t}.txt", "w", encoding="utf-8") for t in range(threads)]  # noqa: SIM115
    try:
        for member_id in range(1, PLAN.members + 1):
            material_id = (member_id - 1) % MATERIALS + 1
            token = issue_access_token(settings, member_id, now)
            path = f"/api/v1/study/materials/{material_id}/heartbeats"
            files[member_id % threads].write(f"{path}\t{token}\n")
    finally:
        for file in files:
            file.close()


async def _sql(dsn: str, statement: str) -> Any:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(statement)
    finally:
        await connection.close()


# Every member a third of the way into their material or less, off any unit boundary: the
# evening is under way, so a measured beat reaches a new unit (and writes a point row) about
# once in ten, as a member beating every 30 s does every 5 minutes, not on every first credit.
UNDER_WAY = """INSERT INTO study_progress
    (member_id, material_id, credited_seconds, first_studied_at)
SELECT id, (id - 1) % {materials} + 1, (id * 37) % 1000 + 1, now() FROM members"""


def reset(dsn: str) -> None:
    asyncio.run(_sql(dsn, f"TRUNCATE {', '.join(STUDY_TABLES)}"))
    asyncio.run(_sql(dsn, UNDER_WAY.format(materials=MATERIALS)))


def wrk(args: argparse.Namespace, prefix: Path, seconds: int, raw: Path | None) -> Any:
    return kit.run_wrk(
        HERE / "heartbeats.lua",
        f"http://127.0.0.1:{args.port}",
        threads=args.threads,
        connections=args.connections,
        seconds=seconds,
        script_args=[str(prefix)],
        raw=raw,
    )


def measure(
    name: str, target: str, app_dir: Path, env: dict[str, str], round_: int,
    args: argparse.Namespace, prefix: Path, dsn: str,
) -> Result:  # fmt: skip
    reset(dsn)
    process = kit.start_server(name, target, app_dir, args.port, env, RESULTS)
    try:
        log(f"{name}: warm-up {args.warmup}s")
        wrk(args, prefix, args.warmup, raw=None)
        time.sleep(2)  # wrk leaves without waiting for answers in flight
        log(f"{name}: wrk -t{args.threads} -c{args.connections} -d{args.duration}s")
        credited_before = asyncio.run(
            _sql(dsn, "SELECT coalesce(sum(credited_seconds), 0) FROM study_progress")
        )
        points_before = asyncio.run(_sql(dsn, "SELECT count(*) FROM point_entries"))
        cpu_before = cpu_seconds(process.pid)
        figures = wrk(args, prefix, args.duration, RESULTS / f"{name}-round{round_}-wrk.txt")
        cpu_used = cpu_seconds(process.pid) - cpu_before
        time.sleep(1)
        credited = asyncio.run(
            _sql(dsn, "SELECT coalesce(sum(credited_seconds), 0) FROM study_progress")
        )
        points = asyncio.run(_sql(dsn, "SELECT count(*) FROM point_entries"))
    finally:
        kit.stop_process(process)
    seconds = figures["duration_us"] / 1e6
    requests = figures["requests"]
    return Result(
        name=name,
        round=round_,
        requests=requests,
        seconds=round(seconds, 2),
        rps=round(requests / seconds, 1),
        p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        non_2xx=figures["status_errors"],
        socket_errors=kit.socket_errors(figures),
        credited_seconds=int(credited - credited_before),
        point_rows=int(points - points_before),
        server_cpu_ms_per_request=round(cpu_used * 1000 / max(requests, 1), 3),
    )


def median(results: list[Result], name: str) -> Result:
    mine = sorted((r for r in results if r.name == name), key=lambda r: r.rps)
    return mine[(len(mine) - 1) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Heartbeat benchmark; see bench/README.md",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds of measured load")
    parser.add_argument(
        "--warmup", type=int, default=45, help="seconds of load before (every member beats)"
    )
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-database", default="bench_study")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    RESULTS.mkdir(exist_ok=True)
    started = datetime.now(UTC)
    server = args.pg_server.rstrip("/")
    dsn = f"{server}/{args.pg_database}"
    url = kit.asyncpg_url(dsn)
    log(f"recreating {dsn} and migrating it")
    asyncio.run(recreate_postgres(server, args.pg_database))
    migrate(url)
    log(f"seeding {PLAN.members:,} members and {MATERIALS} materials")
    asyncio.run(seed_study(dsn, started))
    prefix = RESULTS / "heartbeats"
    write_requests(started, args.threads, prefix)
    targets = [
        ("ours", "app.main:create_app", ROOT, kit.clean_env({"APP_DATABASE_URL": url})),
        ("ceiling", "heartbeats_ceiling:create_app", HERE, kit.clean_env({"CEILING_DSN": dsn})),
    ]
    results = []
    for round_ in range(1, args.rounds + 1):
        for name, target, app_dir, env in targets:
            results.append(measure(name, target, app_dir, env, round_, args, prefix, dsn))
    print(f"\n{'server':<8} {'round':>5} {'beats/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'non-2xx':>7} {'credited s':>10} {'points':>6} {'cpu ms/beat':>11}")  # fmt: skip
    for r in results:
        print(f"{r.name:<8} {r.round:>5} {r.rps:>8.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
              f"{r.non_2xx:>7} {r.credited_seconds:>10} {r.point_rows:>6} "
              f"{r.server_cpu_ms_per_request:>11.3f}")  # fmt: skip
    ratios = [
        o.rps / c.rps
        for o, c in zip(
            (r for r in results if r.name == "ours"),
            (r for r in results if r.name == "ceiling"),
            strict=True,
        )
    ]
    ours, ceiling = median(results, "ours"), median(results, "ceiling")
    ratio = statistics.median(ratios)
    met = {
        "ratio": ratio >= TARGET_RATIO,
        "rps": ours.rps >= TARGET_RPS,
        "p99": ours.p99_ms <= TARGET_P99_FACTOR * ceiling.p99_ms,
    }
    print(
        f"\nours {ours.rps:.0f} beats/s (target ≥ {TARGET_RPS:.0f}), p50 {ours.p50_ms:.1f} ms, "
        f"p99 {ours.p99_ms:.1f} ms; ceiling {ceiling.rps:.0f} beats/s, p50 "
        f"{ceiling.p50_ms:.1f} ms, p99 {ceiling.p99_ms:.1f} ms; ratio {ratio:.1%} "
        f"(target ≥ {TARGET_RATIO:.0%}), p99 ×{ours.p99_ms / ceiling.p99_ms:.2f} (target ≤ 2): "
        + ", ".join(f"{k} {'MET' if v else 'NOT MET'}" for k, v in met.items())
    )
    report = {
        "started_at": started.isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/study/heartbeats.py", *sys.argv[1:]]),
        "cores": os.cpu_count(),
        "members": PLAN.members,
        "results": [asdict(r) for r in results],
        "ratio": round(ratio, 3),
        "met": met,
    }
    out = RESULTS / f"heartbeats-{started.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {out.relative_to(ROOT)}")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
