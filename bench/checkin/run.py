"""Check-in benchmark: our endpoint against a raw-asyncpg ceiling, driven by wrk.

    .venv/bin/python bench/checkin/run.py --db postgresql
    .venv/bin/python bench/checkin/run.py --db sqlite

PostgreSQL: recreates the database ``bench_checkin``, migrates it with the app's own
migrations, seeds 100,000 members (each with a WeChat account) and 1,000 published
activities whose check-in window is open, and writes one request file per wrk thread: every
line a distinct (activity, member) pair the member is expected at, with a freshly minted
access token and the activity's valid rotating code (APP_CHECKIN_STEP_SECONDS=3600, so it
stays valid for the whole run). Then, back to back, for our app and for ``ceiling.py``:
empty ``attendances``, start one uvicorn worker, warm up, empty ``attendances`` again, run
wrk for a bounded time, stop the server. Prints requests/s, p50 and p99 of both and the
ratio; writes the figures to ``bench/checkin/results/``.

SQLite: the same against the app on a SQLite file, with 10,000 members and 100 activities,
and ``ceiling_sqlite.py`` (the same statements through the sqlite3 module, on the event loop)
as its ceiling.

Rate limits stay on, raised through APP_RATE_LIMIT_CHECKIN(_PER_IP): kept in Redis for the
PostgreSQL run, as the production stack (docker-compose.yml) keeps them, and in memory for
the SQLite run, as ``make run`` does; ``--limiter`` picks the other.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import redis

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))
sys.path.insert(2, str(ROOT))

import kit  # noqa: E402
import seed  # noqa: E402
from kit import cpu_seconds, log, migrate, recreate_postgres  # noqa: E402
from kit import stop_process as stop_server  # noqa: E402

from app.auth.tokens import issue_access_token  # noqa: E402
from app.checkin import codes  # noqa: E402
from app.config import Settings  # noqa: E402

STEP_SECONDS = 3600
TARGET_RATIO = 0.5
TARGET_P99_PG_MS = 100.0
TARGET_RPS_SQLITE = 500.0
TARGET_P99_SQLITE_MS = 200.0


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
    rows_inserted: int
    server_cpu_ms_per_request: float


# -- the database ---------------------------------------------------------------------------


async def _postgres(dsn: str, *statements: str) -> Any:
    connection = await asyncpg.connect(dsn)
    try:
        result = None
        for statement in statements:
            result = await connection.fetchval(statement)
        return result
    finally:
        await connection.close()


def _sqlite(path: str, *statements: str) -> Any:
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        result = None
        for statement in statements:
            row = connection.execute(statement).fetchone()
            result = row[0] if row else None
        return result
    finally:
        connection.close()


# -- the requests ---------------------------------------------------------------------------


def write_requests(
    plan: seed.Plan,
    rows: seed.Rows,
    now: datetime,
    *,
    count: int,
    threads: int,
    prefix: Path,
) -> int:
    """Shuffled distinct pairs, dealt round-robin to one file per wrk thread."""
    pairs = list(seed.expected_pairs(plan))
    random.Random(20261125).shuffle(pairs)
    pairs = pairs[:count]
    # Valid well past the run (the servers only check the signature and the expiry).
    token_settings = Settings(access_token_minutes=180)
    step = codes.current_step(now, STEP_SECONDS)
    rotating = {a: codes.rotating_code(a, secret, step) for a, secret in rows.secrets.items()}
    tokens: dict[int, str] = {}
    files = [open(f"{prefix}-{n}.txt", "w", encoding="utf-8") for n in range(threads)]  # noqa: SIM115
    try:
        for i, (activity_id, member_id) in enumerate(pairs):
            token = tokens.get(member_id)
            if token is None:
                # Seeded accounts share their member's id.
                token = tokens[member_id] = issue_access_token(token_settings, member_id, now)
            nonce = f"bench-{activity_id:06d}-{member_id:07d}"
            body = json.dumps(
                {"token": rotating[activity_id], "client_nonce": nonce}, separators=(",", ":")
            )
            path = f"/api/v1/activities/{activity_id}/check-ins"
            files[i % threads].write(f"{path}\t{token}\t{body}\n")
    finally:
        for file in files:
            file.close()
    return len(pairs)


# -- servers and wrk ------------------------------------------------------------------------


def server_env(args: argparse.Namespace, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "TEST_", "CEILING_"))}
    env.update(
        {
            "APP_ENV": "development",
            "APP_LOG_LEVEL": "WARNING",
            "APP_CHECKIN_STEP_SECONDS": str(STEP_SECONDS),
            # Every request is another member, but all come from one client address.
            "APP_RATE_LIMIT_CHECKIN": "1000000/minute",
            "APP_RATE_LIMIT_CHECKIN_PER_IP": "1000000/minute",
        }
    )
    if args.limiter == "redis":
        env["APP_REDIS_URL"] = args.redis_url
    env.update(extra)
    for pair in args.env:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--env wants KEY=VALUE, not {pair!r}")
        env[key] = value
    return env


def start_server(
    name: str, target: str, app_dir: Path, port: int, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    return kit.start_server(name, target, app_dir, port, env, RESULTS)


def run_wrk(
    args: argparse.Namespace, prefix: Path, seconds: int, raw: Path | None
) -> dict[str, Any]:
    return kit.run_wrk(
        HERE / "checkin.lua",
        f"http://127.0.0.1:{args.port}",
        threads=args.threads,
        connections=args.connections,
        seconds=seconds,
        script_args=[str(prefix)],
        raw=raw,
    )


@dataclass
class Target:
    name: str
    uvicorn_target: str
    app_dir: Path
    env: dict[str, str]


def measure(
    target: Target,
    round_: int,
    args: argparse.Namespace,
    prefix: Path,
    reset: Callable[[], None],
    count_rows: Callable[[], int],
) -> Result:
    reset()
    process = start_server(
        f"{args.db}-{target.name}", target.uvicorn_target, target.app_dir, args.port, target.env
    )
    try:
        log(f"{target.name}: warm-up {args.warmup}s")
        run_wrk(args, prefix, args.warmup, raw=None)
        # wrk leaves without waiting for answers in flight: let the server finish them.
        time.sleep(3)
        reset()
        log(f"{target.name}: wrk -t{args.threads} -c{args.connections} -d{args.duration}s")
        cpu_before = cpu_seconds(process.pid)
        raw = RESULTS / f"{args.db}-{target.name}-round{round_}-wrk.txt"
        figures = run_wrk(args, prefix, args.duration, raw=raw)
        cpu_used = cpu_seconds(process.pid) - cpu_before
        time.sleep(1)
        rows = count_rows()
    finally:
        stop_server(process)
    seconds = figures["duration_us"] / 1e6
    requests = figures["requests"]
    return Result(
        name=target.name,
        round=round_,
        requests=requests,
        seconds=round(seconds, 2),
        rps=round(requests / seconds, 1),
        p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        non_2xx=figures["status_errors"],
        socket_errors=sum(
            figures[k] for k in ("connect_errors", "read_errors", "write_errors", "timeout_errors")
        ),
        rows_inserted=rows,
        server_cpu_ms_per_request=round(cpu_used * 1000 / max(requests, 1), 3),
    )


def run_rounds(
    targets: list[Target],
    args: argparse.Namespace,
    prefix: Path,
    reset: Callable[[], None],
    count_rows: Callable[[], int],
) -> list[Result]:
    results = []
    for round_ in range(1, args.rounds + 1):
        if args.rounds > 1:
            log(f"round {round_} of {args.rounds}")
        for target in targets:
            if args.limiter == "redis":
                redis.Redis.from_url(args.redis_url).flushdb()  # the bench's own database
            results.append(measure(target, round_, args, prefix, reset, count_rows))
    return results


def median_result(results: list[Result], name: str) -> Result:
    """The round with the median requests/s (the middle one of an odd number of rounds)."""
    mine = sorted((r for r in results if r.name == name), key=lambda r: r.rps)
    return mine[(len(mine) - 1) // 2]


def paired_ratios(results: list[Result]) -> list[float]:
    """Ours over the ceiling, round by round (each pair ran back to back)."""
    return [
        o.rps / c.rps
        for o, c in zip(
            (r for r in results if r.name == "ours"),
            (r for r in results if r.name == "ceiling"),
            strict=True,
        )
    ]


def paired_ratio(results: list[Result]) -> float:
    return statistics.median(paired_ratios(results))


def print_table(results: list[Result]) -> None:
    print()
    print(
        f"{'server':<9} {'round':>5} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
        f"{'non-2xx':>7} {'rows':>7} {'cpu ms/req':>10}"
    )
    for r in results:
        print(
            f"{r.name:<9} {r.round:>5} {r.rps:>8.1f} {r.p50_ms:>8.2f} {r.p90_ms:>8.2f} "
            f"{r.p99_ms:>8.2f} {r.non_2xx:>7} {r.rows_inserted:>7} "
            f"{r.server_cpu_ms_per_request:>10.3f}"
        )


# -- the two runs ---------------------------------------------------------------------------


def run_postgresql(args: argparse.Namespace) -> dict[str, Any]:
    server = args.pg_server.rstrip("/")
    dsn = f"{server}/{args.pg_database}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    plan = seed.POSTGRES_PLAN
    log(f"recreating {dsn} and migrating it")
    asyncio.run(recreate_postgres(server, args.pg_database))
    migrate(url)
    now = datetime.now(UTC)
    log(
        f"seeding {plan.members:,} members, {plan.activities:,} activities, "
        f"{plan.expected_pairs:,} expected pairs"
    )
    rows = seed.build_rows(plan, now)
    asyncio.run(seed.write_postgres(dsn, rows))
    prefix = RESULTS / "requests-postgresql"
    count = write_requests(
        plan, rows, now, count=args.requests, threads=args.threads, prefix=prefix
    )
    log(f"wrote {count:,} distinct check-ins for {args.threads} wrk threads")

    def reset() -> None:
        sql = (
            "TRUNCATE attendances, point_entries RESTART IDENTITY",
            "VACUUM ANALYZE attendances",
            "VACUUM ANALYZE point_entries",
        )
        asyncio.run(_postgres(dsn, *sql))

    def count_rows() -> int:
        count: int = asyncio.run(_postgres(dsn, "SELECT count(*) FROM attendances"))
        return count

    targets = [
        Target("ours", "app.main:create_app", ROOT, server_env(args, {"APP_DATABASE_URL": url})),
        Target("ceiling", "ceiling:create_app", HERE, server_env(args, {"CEILING_DSN": dsn})),
    ]
    results = run_rounds(targets, args, prefix, reset, count_rows)
    print_table(results)
    ours, ceiling = median_result(results, "ours"), median_result(results, "ceiling")
    ratios = paired_ratios(results)
    ratio = statistics.median(ratios)
    ok = (
        ratio >= TARGET_RATIO
        and ours.p99_ms < TARGET_P99_PG_MS
        and all(r.non_2xx == 0 and r.socket_errors == 0 for r in results)
    )
    label = "median " if args.rounds > 1 else ""
    print(
        f"\nours {ours.rps:.0f} req/s p50 {ours.p50_ms:.1f} ms p99 {ours.p99_ms:.1f} ms; "
        f"ceiling {ceiling.rps:.0f} req/s p50 {ceiling.p50_ms:.1f} ms p99 {ceiling.p99_ms:.1f} ms"
        f"\n{label}ratio ours/ceiling: {ratio:.1%} (target >= {TARGET_RATIO:.0%}); "
        f"ours p99 {ours.p99_ms:.1f} ms (target < {TARGET_P99_PG_MS:.0f} ms): "
        f"{'MET' if ok else 'NOT MET'}"
    )
    return {
        "results": [asdict(r) for r in results],
        "ratios": [round(r, 3) for r in ratios],
        "ratio": round(ratio, 3),
        "met": ok,
    }


def run_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    path = Path(args.sqlite_path).resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{path}"
    plan = seed.SQLITE_PLAN
    log(f"creating {path} and migrating it")
    migrate(url)
    now = datetime.now(UTC)
    log(
        f"seeding {plan.members:,} members, {plan.activities:,} activities, "
        f"{plan.expected_pairs:,} expected pairs"
    )
    rows = seed.build_rows(plan, now)
    seed.write_sqlite(str(path), rows)
    prefix = RESULTS / "requests-sqlite"
    count = write_requests(
        plan, rows, now, count=args.requests, threads=args.threads, prefix=prefix
    )
    log(f"wrote {count:,} distinct check-ins for {args.threads} wrk threads")

    def reset() -> None:
        _sqlite(
            str(path),
            "DELETE FROM attendances",
            "DELETE FROM point_entries",
            "PRAGMA wal_checkpoint(TRUNCATE)",
        )

    def count_rows() -> int:
        count: int = _sqlite(str(path), "SELECT count(*) FROM attendances")
        return count

    targets = [
        Target("ours", "app.main:create_app", ROOT, server_env(args, {"APP_DATABASE_URL": url})),
        Target(
            "ceiling",
            "ceiling_sqlite:create_app",
            HERE,
            server_env(args, {"CEILING_SQLITE_PATH": str(path)}),
        ),
    ]
    results = run_rounds(targets, args, prefix, reset, count_rows)
    print_table(results)
    result, ceiling = median_result(results, "ours"), median_result(results, "ceiling")
    ratio = paired_ratio(results)
    ok = (
        result.rps >= TARGET_RPS_SQLITE
        and result.p99_ms < TARGET_P99_SQLITE_MS
        and all(r.non_2xx == 0 and r.socket_errors == 0 for r in results)
    )
    label = "median " if args.rounds > 1 else ""
    print(
        f"\nSQLite: {result.rps:.0f} check-ins/s (target >= {TARGET_RPS_SQLITE:.0f}), "
        f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms "
        f"(target < {TARGET_P99_SQLITE_MS:.0f} ms): {'MET' if ok else 'NOT MET'}"
        f"\nceiling (sqlite3 on the event loop) {ceiling.rps:.0f} req/s, "
        f"p50 {ceiling.p50_ms:.1f} ms, p99 {ceiling.p99_ms:.1f} ms; "
        f"{label}ratio ours/ceiling: {ratio:.1%}"
    )
    return {"results": [asdict(r) for r in results], "ratio": round(ratio, 3), "met": ok}


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Check-in benchmark; see bench/README.md",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--db", choices=["postgresql", "sqlite"], required=True)
    parser.add_argument("--duration", type=int, default=20, help="seconds of measured load")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load before")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="measure each server this often")
    parser.add_argument(
        "--requests",
        type=int,
        help="distinct check-ins to prepare (default 160,000 on PostgreSQL, 40,000 on SQLite)",
    )
    parser.add_argument(
        "--limiter",
        choices=["redis", "memory"],
        help="where rate-limit counters live (default: redis for postgresql, memory for sqlite)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-database", default="bench_checkin")
    parser.add_argument("--sqlite-path", default=str(RESULTS / "bench_checkin.db"))
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="more environment for the servers (e.g. APP_DATABASE_POOL_SIZE=16); repeatable",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    if args.requests is None:
        args.requests = 160_000 if args.db == "postgresql" else 40_000
    if args.limiter is None:
        args.limiter = "redis" if args.db == "postgresql" else "memory"
    RESULTS.mkdir(exist_ok=True)
    started = datetime.now(UTC)
    outcome = run_postgresql(args) if args.db == "postgresql" else run_sqlite(args)
    report = {
        "db": args.db,
        "started_at": started.isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/checkin/run.py", *sys.argv[1:]]),
        "cores": os.cpu_count(),
        "limiter": args.limiter,
        "wrk": {
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
        },
        **outcome,
    }
    out = RESULTS / f"{args.db}-{started.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {out.relative_to(ROOT)}")
    return 0 if outcome["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
