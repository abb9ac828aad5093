"""Notification and news benchmarks (issue 4) on PostgreSQL.

    .venv/bin/python bench/notify/run.py                  # all three
    .venv/bin/python bench/notify/run.py --only publish   # or dispatch, or feed; repeatable
    .venv/bin/python bench/notify/run.py --only feed --reuse-db

Recreates the database ``bench_notify`` (unless ``--reuse-db`` and it is already seeded),
migrates it with the app's own migrations and seeds it in bulk (see ``seeding.py``: 1,000
organizations, 100,000 members with accounts and phones, 100,000 published articles).

publish
    The app's ``app.news.service.publish`` of one article aimed at the city committee's
    subtree for all four statuses (every one of the 100,000 members), in one transaction,
    timed from BEGIN to COMMIT, with the default channels (inbox + console: two delivery
    rows a member). Then, in the same run, the ceiling: the very rows it wrote (same
    columns) read back, the table truncated, and COPY of them into ``deliveries`` in one
    transaction, BEGIN to COMMIT. Repeated ``--publish-reps`` times, alternating; target:
    median(ours) <= 2 x median(COPY).

dispatch
    A fake Aliyun SMS gateway (``fake_sms.py``) on 127.0.0.1; ``--deliveries`` pending sms
    deliveries of one notification to as many members; two ``python -m app worker``
    processes with APP_SMS_ENDPOINT pointing at the fake and APP_NOTIFY_LEASE_SECONDS=5.
    Phase "steady": both run to the end; deliveries/s from the first to the last message
    the gateway received (target >= 2,000/s). Phase "kill": the same with a fresh
    notification, but one worker is SIGKILLed once 40% have arrived and a new one started.
    Each phase checks every delivery row is delivered and the gateway got each message
    exactly once, and reports any duplicate.

feed
    One uvicorn worker serving the app; wrk GET /api/v1/news/feed rotating through the
    access tokens of ``--feed-members`` members; requests/s, p50, p99 (targets >= 1,500/s,
    p99 < 50 ms).

Figures print as they come and go to ``bench/notify/results/notify-<time>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))
sys.path.insert(2, str(ROOT))

import kit  # noqa: E402
import seeding  # noqa: E402
from kit import clean_env, cpu_seconds, log, migrate, stop_process  # noqa: E402
from kit import recreate_postgres as recreate  # noqa: E402

from app.auth.scope import Scope  # noqa: E402
from app.auth.tokens import issue_access_token  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import create_engine, create_sessionmaker  # noqa: E402
from app.news import service as news_service  # noqa: E402

PUBLISH_ARTICLE = seeding.ARTICLES + 1
TARGET_PUBLISH_RATIO = 2.0
TARGET_DISPATCH_RATE = 2_000.0
TARGET_FEED_RPS = 1_500.0
TARGET_FEED_P99_MS = 50.0
LEASE_SECONDS = 5
DELIVERY_COLUMNS = (
    "notification_id",
    "member_id",
    "channel",
    "dedupe_key",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


# -- the database ---------------------------------------------------------------------------


async def is_seeded(server: str, database: str) -> bool:
    try:
        connection = await asyncpg.connect(f"{server}/{database}")
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'news_articles'"
        )
        if not count:
            return False
        articles: int = await connection.fetchval("SELECT count(*) FROM news_articles")
        return articles >= seeding.ARTICLES
    finally:
        await connection.close()


def prepare_database(args: argparse.Namespace) -> tuple[str, str]:
    server = args.pg_server.rstrip("/")
    dsn = f"{server}/{args.pg_database}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    if args.reuse_db and asyncio.run(is_seeded(server, args.pg_database)):
        log(f"reusing {dsn}")
        return dsn, url
    log(f"recreating {dsn} and migrating it")
    asyncio.run(recreate(server, args.pg_database))
    migrate(url)
    log("seeding 1,000 orgs, 100,000 members and accounts, 100,000 articles (COPY)")
    started = time.perf_counter()
    rows = seeding.build_rows(datetime.now(UTC), random.Random(20261125))
    asyncio.run(seeding.write(dsn, rows))
    log(f"seeded in {time.perf_counter() - started:.1f}s")
    return dsn, url


async def reset_outbox(connection: asyncpg.Connection) -> None:
    await connection.execute(
        "TRUNCATE deliveries, inbox_messages, notifications RESTART IDENTITY; "
        "DELETE FROM org_daily_sends"
    )
    await connection.execute("VACUUM ANALYZE deliveries")
    await connection.execute("VACUUM ANALYZE notifications")


# -- publish --------------------------------------------------------------------------------


async def _publish_reset(connection: asyncpg.Connection, now: datetime) -> None:
    await reset_outbox(connection)
    await connection.execute("DELETE FROM news_articles WHERE id = $1", PUBLISH_ARTICLE)
    await connection.execute(
        "INSERT INTO news_articles (id, org_id, title, summary, body_format, body, body_html,"
        " category, tags, status, pinned, created_at, updated_at) VALUES ($1, $2, '全市通知',"
        " '致全体党员', 'markdown', '正文', '<p>正文</p>', 'notice', '[]', 'draft', false,"
        " $3, $3)",
        PUBLISH_ARTICLE,
        seeding.ROOT_ORG,
        now,
    )
    await connection.executemany(
        "INSERT INTO news_audience (article_id, org_id, party_status, category, pinned)"
        " VALUES ($1, $2, $3, 'notice', false)",
        [(PUBLISH_ARTICLE, seeding.ROOT_ORG, s) for s in seeding.STATUSES],
    )
    await connection.execute("CHECKPOINT")


async def publish_bench(dsn: str, url: str, reps: int) -> dict[str, Any]:
    settings = Settings(database_url=url, log_level="WARNING")
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    connection = await asyncpg.connect(dsn)
    ours: list[float] = []
    ceiling: list[float] = []
    rows_written = 0
    try:
        async with sessionmaker() as session:  # the pool's connection, made before timing
            await session.connection()
        for rep in range(1, reps + 1):
            now = datetime.now(UTC)
            await _publish_reset(connection, now)
            started = time.perf_counter()
            async with sessionmaker.begin() as session:
                await news_service.publish(
                    session,
                    settings,
                    Scope(everywhere=True),
                    PUBLISH_ARTICLE,
                    publish_at=None,
                    now=now,
                )
            ours.append(time.perf_counter() - started)
            records = await connection.fetch(
                f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM deliveries ORDER BY id"
            )
            rows_written = len(records)
            channels = await connection.fetch(
                "SELECT channel, count(*) FROM deliveries GROUP BY channel ORDER BY channel"
            )
            # The ceiling: the same rows into the same (emptied) table, one transaction.
            await connection.execute("TRUNCATE deliveries")
            await connection.execute("VACUUM ANALYZE deliveries")
            await connection.execute("CHECKPOINT")
            started = time.perf_counter()
            async with connection.transaction():
                await connection.copy_records_to_table(
                    "deliveries", records=records, columns=list(DELIVERY_COLUMNS)
                )
            ceiling.append(time.perf_counter() - started)
            log(
                f"publish rep {rep}: ours {ours[-1]:.3f}s, COPY {ceiling[-1]:.3f}s "
                f"({ours[-1] / ceiling[-1]:.2f}x), {rows_written:,} rows "
                f"({', '.join(f'{c}: {n:,}' for c, n in channels)})"
            )
        await reset_outbox(connection)
    finally:
        await connection.close()
        await engine.dispose()
    ratio = statistics.median(ours) / statistics.median(ceiling)
    met = ratio <= TARGET_PUBLISH_RATIO
    log(
        f"publish: median ours {statistics.median(ours):.3f}s, median COPY "
        f"{statistics.median(ceiling):.3f}s, ratio {ratio:.2f}x "
        f"(target <= {TARGET_PUBLISH_RATIO:.0f}x): {'MET' if met else 'NOT MET'}"
    )
    return {
        "rows": rows_written,
        "ours_s": [round(x, 4) for x in ours],
        "copy_s": [round(x, 4) for x in ceiling],
        "median_ours_s": round(statistics.median(ours), 4),
        "median_copy_s": round(statistics.median(ceiling), 4),
        "ratio": round(ratio, 3),
        "met": met,
    }


# -- dispatch -------------------------------------------------------------------------------


async def load_deliveries(dsn: str, count: int, source: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        await reset_outbox(connection)
        now = datetime.now(UTC)
        notification_id: int = await connection.fetchval(
            "INSERT INTO notifications (kind, source, org_id, title, body, page, data, critical,"
            " created_at) VALUES ('news_published', $1, $2, '全市通知', '致全体党员',"
            " 'pages/news/detail?id=1', '{}', false, $3) RETURNING id",
            source,
            seeding.ROOT_ORG,
            now,
        )
        due = now - timedelta(seconds=1)
        records = [
            (notification_id, m, "sms", f"n{notification_id}:sms:{m}", "pending", 0, due, now)
            for m in range(1, count + 1)
        ]
        await connection.copy_records_to_table(
            "deliveries", records=records, columns=list(DELIVERY_COLUMNS)
        )
        await connection.execute("VACUUM ANALYZE deliveries")
        return notification_id
    finally:
        await connection.close()


async def delivery_states(dsn: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("SELECT status, count(*) FROM deliveries GROUP BY status")
        states = {row["status"]: row["count"] for row in rows}
        states["reclaimed"] = await connection.fetchval(
            "SELECT count(*) FROM deliveries WHERE attempts > 1"
        )
        return states
    finally:
        await connection.close()


def dispatch_phase(
    dsn: str, url: str, args: argparse.Namespace, *, kill: bool, phase: str
) -> dict[str, Any]:
    count = args.deliveries
    notification_id = asyncio.run(load_deliveries(dsn, count, f"bench:dispatch:{phase}"))
    gateway = f"http://127.0.0.1:{args.sms_port}"
    httpx.post(f"{gateway}/reset", timeout=5)
    env = clean_env(
        {
            "APP_DATABASE_URL": url,
            "APP_NOTIFY_CHANNELS": '["inbox","sms"]',
            "APP_NOTIFY_LEASE_SECONDS": str(LEASE_SECONDS),
            "APP_SMS_ENDPOINT": gateway,
            "APP_SMS_ACCESS_KEY_ID": "bench-key",
            "APP_SMS_ACCESS_KEY_SECRET": "bench-secret",
            "APP_SMS_SIGN_NAME": "党建平台",
            "APP_SMS_TEMPLATE_CODE": "SMS_000000001",
            # The fake gateway listens on loopback, which the outbound guard refuses otherwise.
            "APP_OUTBOUND_ALLOW_PRIVATE": "true",
            **dict(e.split("=", 1) for e in args.worker_env),
        }
    )
    command = [sys.executable, "-m", "app", "worker"]
    log(f"dispatch {phase}: {count:,} sms deliveries, two workers")
    workers = [kit.start_process(f"worker-{phase}-{n}", command, env, RESULTS) for n in (1, 2)]
    started = time.time()
    killed: dict[str, Any] | None = None
    killed_cpu = 0.0
    deadline = started + args.dispatch_timeout
    try:
        while time.time() < deadline:
            time.sleep(0.5)
            received = httpx.get(f"{gateway}/count", timeout=10).json()["messages"]
            if kill and killed is None and received >= count * 0.4:
                victim = workers[0]
                killed_cpu = cpu_seconds(victim.pid)
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                killed = {"at_received": received, "at_s": round(time.time() - started, 2)}
                log(f"dispatch {phase}: SIGKILL worker pid {victim.pid} at {received:,} received")
                workers.append(kit.start_process(f"worker-{phase}-3", command, env, RESULTS))
            if received < count or (kill and killed is None):
                continue
            states = asyncio.run(delivery_states(dsn))
            if sum(states.get(s, 0) for s in ("delivered", "dead", "skipped")) >= count:
                break
        finished = time.time()
        cpu = {
            "workers_s": round(
                killed_cpu + sum(cpu_seconds(w.pid) for w in workers if w.poll() is None), 2
            ),
            "gateway_s": round(cpu_seconds(args.gateway_pid), 2),
        }
    finally:
        for worker in workers:
            stop_process(worker)
    states = asyncio.run(delivery_states(dsn))
    stats = httpx.get(f"{gateway}/stats", timeout=30).json()
    counts: dict[str, int] = stats["counts"]
    expected = {f"{notification_id}:{seeding.phone_of(m)}" for m in range(1, count + 1)}
    missing = len(expected - counts.keys())
    unexpected = len(counts.keys() - expected)
    duplicates = {k: v for k, v in counts.items() if v > 1}
    extra_sends = sum(v - 1 for v in duplicates.values())
    span = (stats["last"] or 0) - (stats["first"] or 0)
    rate = count / span if span > 0 else 0.0
    exactly_once = (
        missing == 0 and unexpected == 0 and not duplicates and states.get("delivered") == count
    )
    result = {
        "phase": phase,
        "deliveries": count,
        "states": states,
        "gateway_requests": stats["requests"],
        "gateway_bad_requests": stats["bad"],
        "missing": missing,
        "unexpected": unexpected,
        "duplicated_messages": len(duplicates),
        "extra_sends": extra_sends,
        "first_to_last_s": round(span, 3),
        "deliveries_per_s": round(rate, 1),
        "start_to_all_delivered_s": round(finished - started, 2),
        "killed": killed,
        "exactly_once": exactly_once,
        "cpu": cpu,
        "worker_cpu_ms_per_delivery": round(cpu["workers_s"] * 1000 / count, 3),
    }
    log(
        f"dispatch {phase}: {rate:,.0f} deliveries/s first to last ({span:.2f}s); "
        f"{finished - started:.1f}s from worker start; workers' CPU "
        f"{result['worker_cpu_ms_per_delivery']} ms/delivery; states {states}; gateway requests "
        f"{stats['requests']:,}, missing {missing}, duplicated {len(duplicates)} "
        f"(+{extra_sends} sends): {'exactly once' if exactly_once else 'NOT exactly once'}"
    )
    return result


def dispatch_bench(dsn: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    gateway = kit.start_process(
        "fake-sms",
        [sys.executable, str(HERE / "fake_sms.py"), "--port", str(args.sms_port)],
        clean_env({}),
        RESULTS,
    )
    args.gateway_pid = gateway.pid
    try:
        kit.wait_http(f"http://127.0.0.1:{args.sms_port}/stats", gateway, "fake-sms", RESULTS)
        steady = dispatch_phase(dsn, url, args, kill=False, phase="steady")
        killed = dispatch_phase(dsn, url, args, kill=True, phase="kill") if not args.no_kill else {}
    finally:
        stop_process(gateway)
        asyncio.run(_reset(dsn))
    met = steady["deliveries_per_s"] >= TARGET_DISPATCH_RATE and steady["exactly_once"]
    log(
        f"dispatch: {steady['deliveries_per_s']:,.0f}/s (target >= {TARGET_DISPATCH_RATE:,.0f}/s)"
        f", steady exactly once: {steady['exactly_once']}: {'MET' if met else 'NOT MET'}; "
        f"kill-and-restart: missing {killed.get('missing')}, duplicated "
        f"{killed.get('duplicated_messages')}"
    )
    return {"steady": steady, "kill": killed, "met": met}


async def _reset(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await reset_outbox(connection)
    finally:
        await connection.close()


# -- feed -----------------------------------------------------------------------------------


def write_tokens(members: int, threads: int, prefix: Path) -> list[str]:
    chosen = random.Random(4).sample(range(1, seeding.MEMBERS + 1), members)
    settings = Settings(access_token_minutes=180)
    now = datetime.now(UTC)
    tokens = [issue_access_token(settings, m, now) for m in chosen]  # account id = member id
    for n in range(threads):
        (RESULTS / f"{prefix.name}-{n}.txt").write_text(
            "".join(f"{t}\n" for t in tokens[n::threads]), encoding="utf-8"
        )
    return tokens


def run_wrk(port: int, prefix: Path, args: argparse.Namespace, seconds: int) -> dict[str, Any]:
    figures = kit.run_wrk(
        HERE / "feed.lua",
        f"http://127.0.0.1:{port}",
        threads=args.threads,
        connections=args.connections,
        seconds=seconds,
        script_args=[str(prefix)],
        raw=RESULTS / "feed-wrk.txt",
    )
    return figures


def run_wrk_plain(url: str, args: argparse.Namespace, seconds: int) -> float:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", url]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("Requests/sec:"))
    return float(line.split()[1])


def _measure_feed(
    name: str,
    command: list[str],
    env: dict[str, str],
    prefix: Path,
    tokens: list[str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One server: check a sample of pages, warm up, measure, then /healthz for scale."""
    server = kit.start_process(f"feed-{name}", command, env, RESULTS)
    try:
        kit.wait_http(f"http://127.0.0.1:{args.port}/healthz", server, f"feed-{name}", RESULTS)
        sizes = []
        for token in tokens[:50]:
            answer = httpx.get(
                f"http://127.0.0.1:{args.port}/api/v1/news/feed",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            answer.raise_for_status()
            sizes.append(len(answer.json()["items"]))
        log(f"feed {name}: sample of 50 members, page sizes min {min(sizes)} max {max(sizes)}")
        run_wrk(args.port, prefix, args, args.warmup)
        time.sleep(2)
        log(f"feed {name}: wrk -t{args.threads} -c{args.connections} -d{args.duration}s")
        cpu_before = cpu_seconds(server.pid)
        figures = run_wrk(args.port, prefix, args, args.duration)
        cpu_used = cpu_seconds(server.pid) - cpu_before
        time.sleep(2)
        floor = run_wrk_plain(f"http://127.0.0.1:{args.port}/healthz", args, 10)
    finally:
        stop_process(server)
    seconds = figures["duration_us"] / 1e6
    result = {
        "rps": round(figures["requests"] / seconds, 1),
        "p50_ms": figures["p50_us"] / 1000,
        "p90_ms": figures["p90_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "max_ms": figures["max_us"] / 1000,
        "requests": figures["requests"],
        "non_2xx": figures["status_errors"],
        "socket_errors": sum(
            figures[k] for k in ("connect_errors", "read_errors", "write_errors", "timeout_errors")
        ),
        "server_cpu_ms_per_request": round(cpu_used * 1000 / max(figures["requests"], 1), 3),
        "healthz_rps_same_server": round(floor, 1),
        "page_sizes": [min(sizes), max(sizes)],
        "wrk": figures["command"],
    }
    log(
        f"feed {name}: {result['rps']:,.0f} req/s, p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, non-2xx {result['non_2xx']}, server CPU "
        f"{result['server_cpu_ms_per_request']} ms/req; GET /healthz on it: {floor:,.0f} req/s"
    )
    return result


def feed_bench(url: str, dsn: str, args: argparse.Namespace) -> dict[str, Any]:
    """Our feed and its ceiling (feed_ceiling.py: the same two queries over raw asyncpg),
    back to back, each under one uvicorn worker, the same members' tokens."""
    prefix = RESULTS / "feed-tokens"
    tokens = write_tokens(args.feed_members, args.threads, prefix)
    uvicorn = [sys.executable, "-m", "uvicorn", "--factory", "--host", "127.0.0.1"]
    uvicorn += ["--port", str(args.port), "--log-level", "warning", "--no-access-log"]
    ours = _measure_feed(
        "ours",
        [*uvicorn, "app.main:create_app"],
        clean_env({"APP_DATABASE_URL": url, **dict(e.split("=", 1) for e in args.env)}),
        prefix,
        tokens,
        args,
    )
    ceiling = _measure_feed(
        "ceiling",
        [*uvicorn, "--app-dir", str(HERE), "feed_ceiling:create_app"],
        clean_env({"CEILING_DSN": dsn}),
        prefix,
        tokens,
        args,
    )
    ratio = ours["rps"] / ceiling["rps"] if ceiling["rps"] else 0.0
    met = ours["rps"] >= TARGET_FEED_RPS and ours["p99_ms"] < TARGET_FEED_P99_MS
    met = met and ours["non_2xx"] == 0
    log(
        f"feed: ours {ours['rps']:,.0f} req/s p99 {ours['p99_ms']:.1f} ms; ceiling "
        f"{ceiling['rps']:,.0f} req/s p99 {ceiling['p99_ms']:.1f} ms; ratio {ratio:.1%} "
        f"(targets >= {TARGET_FEED_RPS:,.0f}/s, p99 < {TARGET_FEED_P99_MS:.0f} ms): "
        f"{'MET' if met else 'NOT MET'}"
    )
    return {
        "ours": ours,
        "ceiling": ceiling,
        "ratio": round(ratio, 3),
        "members": args.feed_members,
        "met": met,
    }


# -- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", action="append", choices=["publish", "dispatch", "feed"])
    parser.add_argument("--reuse-db", action="store_true", help="keep an already seeded DB")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-database", default="bench_notify")
    parser.add_argument("--publish-reps", type=int, default=3)
    parser.add_argument("--deliveries", type=int, default=40_000)
    parser.add_argument("--dispatch-timeout", type=int, default=300)
    parser.add_argument("--no-kill", action="store_true", help="dispatch: steady phase only")
    parser.add_argument(
        "--worker-env", action="append", default=[], metavar="KEY=VALUE", help="workers' env"
    )
    parser.add_argument("--sms-port", type=int, default=8790)
    parser.add_argument("--port", type=int, default=8791, help="the feed's server")
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--feed-members", type=int, default=10_000)
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="feed server env"
    )
    args = parser.parse_args()
    only = args.only or ["publish", "dispatch", "feed"]
    if "feed" in only and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    RESULTS.mkdir(exist_ok=True)
    started = datetime.now(UTC)
    dsn, url = prepare_database(args)
    report: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/notify/run.py", *sys.argv[1:]]),
        "cores": os.cpu_count(),
    }
    if "publish" in only:
        report["publish"] = asyncio.run(publish_bench(dsn, url, args.publish_reps))
    if "dispatch" in only:
        report["dispatch"] = dispatch_bench(dsn, url, args)
    if "feed" in only:
        report["feed"] = feed_bench(url, dsn, args)
    out = RESULTS / f"notify-{started.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {out.relative_to(ROOT)}")
    return 0 if all(report[k]["met"] for k in only) else 1


if __name__ == "__main__":
    raise SystemExit(main())
