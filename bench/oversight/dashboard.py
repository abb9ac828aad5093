"""Oversight dashboard benchmark (issue 13): a city committee's figures over 10,000 social
organizations, 100,000 members and 1,000,000 attendance rows on PostgreSQL, through the app
(one uvicorn worker, real HTTP), beside the same SQL run bare on asyncpg (the ceiling).

    .venv/bin/python bench/oversight/dashboard.py --explain
    .venv/bin/python bench/oversight/dashboard.py --reuse-db --requests 50

Recreates the database ``bench_oversight`` (``--reuse-db`` keeps a seeded one), migrates it
with the app's migrations and seeds it with asyncpg COPY (``seed.py`` says what). Then, for
the city committee's admin (a real access token), each figure of the dashboard is asked
``--requests`` times (the .xlsx export ``--exports`` times) over one keep-alive connection,
one request at a time, in blocks alternating with the ceiling: the very statements the app
sent for that request (captured once in process with a ``before_cursor_execute`` recorder:
the principal, the organization, the figure's statements) replayed on one bare asyncpg
connection. Prints p50 and p99 of both; writes ``results/dashboard-<time>.json``.
``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of each figure's slowest statement.

Targets (issue 13): each figure p99 < 500 ms; the compliance export < 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
from sqlalchemy import Engine, event

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(1, str(ROOT))

import kit  # noqa: E402
from kit import Recorder, Statement, log  # noqa: E402
from oversight import seed as dataset  # noqa: E402

from app.auth.tokens import issue_access_token  # noqa: E402
from app.config import Environment, Settings  # noqa: E402
from app.kit.time import DISPLAY_ZONE  # noqa: E402
from app.main import create_app  # noqa: E402
from app.oversight.periods import quarter_of  # noqa: E402

TARGET_P99_MS = 500.0
TARGET_EXPORT_MS = 10_000.0
BLOCK = 5
API = "/api/v1/oversight"


@dataclass(frozen=True)
class Figure:
    name: str
    path: str
    params: dict[str, str]
    export: bool = False

    @property
    def url(self) -> str:
        return f"{self.path}?{urlencode(self.params)}"


def figures(period: str) -> list[Figure]:
    city = {"org_id": str(dataset.CITY)}
    return [
        Figure("coverage", f"{API}/coverage", city),
        Figure("coverage/orgs", f"{API}/coverage/orgs", city),
        Figure(
            "coverage/orgs uncovered", f"{API}/coverage/orgs", {**city, "category": "uncovered"}
        ),
        Figure("rating-cap", f"{API}/rating-cap", city),
        Figure("headcount", f"{API}/headcount", city),
        Figure("compliance", f"{API}/compliance", {**city, "period": period}),
        Figure("compliance.xlsx", f"{API}/compliance.xlsx", {**city, "period": period}, True),
    ]


def _settings(url: str) -> Settings:
    return Settings(
        env=Environment.DEVELOPMENT,
        database_url=url,
        log_level="WARNING",
        log_json=False,
        redis_url=None,
        notify_worker_in_process=False,
        _env_file=None,  # type: ignore[call-arg]
    )


async def capture(
    url: str, token: str, wanted: list[Figure], answers: dict[str, Any]
) -> dict[str, list[Statement]]:
    """Each figure's statements, from one request to the app in process; its answer
    without the items (the figures themselves) in ``answers``."""
    recorder = Recorder()
    event.listen(Engine, "before_cursor_execute", recorder)
    captured: dict[str, list[Statement]] = {}
    try:
        app = create_app(_settings(url), configure_logs=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for figure in wanted:
                    recorder.statements = []
                    response = await client.get(
                        figure.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
                    )
                    assert response.status_code == 200, (figure.name, response.text[:500])
                    captured[figure.name] = recorder.statements
                    recorder.statements = None
                    if figure.export:
                        answers[figure.name] = {"bytes": len(response.content)}
                    else:
                        body = response.json()
                        answers[figure.name] = {
                            **{k: v for k, v in body.items() if k != "items"},
                            "items": len(body.get("items", [])),
                        }
    finally:
        event.remove(Engine, "before_cursor_execute", recorder)
    return captured


class Http:
    """One keep-alive connection to the server, as one committee admin's browser."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self.connection.request("GET", url, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        return (time.perf_counter() - started) * 1000, response.status, body


async def replay(connection: asyncpg.Connection, statements: list[Statement]) -> list[float]:
    """Each statement's milliseconds, fetched in full."""
    times: list[float] = []
    for sql, params in statements:
        started = time.perf_counter()
        await connection.fetch(sql, *params)
        times.append((time.perf_counter() - started) * 1000)
    return times


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


@dataclass
class Result:
    figure: str
    url: str
    requests: int
    ours_p50_ms: float
    ours_p99_ms: float
    ours_max_ms: float
    ceiling_p50_ms: float
    ceiling_p99_ms: float
    ratio_p50: float  # ceiling ÷ ours
    statements: int
    slowest_statement_ms: float  # median over the repetitions
    body_bytes: int
    non_200: int
    target_ms: float
    met: bool


async def measure(
    http: Http, connection: asyncpg.Connection, figure: Figure, statements: list[Statement], n: int
) -> Result:
    ours: list[float] = []
    ceiling: list[float] = []
    per_statement: list[list[float]] = []
    failures = 0
    size = 0
    done = 0
    while done < n:  # alternating blocks: a slow moment hits both
        block = min(BLOCK, n - done)
        for _ in range(block):
            elapsed, status, body = http.get(figure.url)
            ours.append(elapsed)
            failures += status != 200
            size = len(body)
        for _ in range(block):
            times = await replay(connection, statements)
            ceiling.append(sum(times))
            per_statement.append(times)
        done += block
    slowest = max(
        range(len(statements)), key=lambda i: statistics.median(t[i] for t in per_statement)
    )
    target = TARGET_EXPORT_MS if figure.export else TARGET_P99_MS
    p99 = percentile(ours, 0.99)
    return Result(
        figure=figure.name,
        url=figure.url,
        requests=n,
        ours_p50_ms=round(statistics.median(ours), 1),
        ours_p99_ms=round(p99, 1),
        ours_max_ms=round(max(ours), 1),
        ceiling_p50_ms=round(statistics.median(ceiling), 1),
        ceiling_p99_ms=round(percentile(ceiling, 0.99), 1),
        ratio_p50=round(statistics.median(ceiling) / statistics.median(ours), 3),
        statements=len(statements),
        slowest_statement_ms=round(statistics.median(t[slowest] for t in per_statement), 1),
        body_bytes=size,
        non_200=failures,
        target_ms=target,
        met=failures == 0 and p99 < target,
    )


async def explain(dsn: str, captured: dict[str, list[Statement]]) -> dict[str, str]:
    plans: dict[str, str] = {}
    connection = await asyncpg.connect(dsn)
    try:
        for name, statements in captured.items():
            await replay(connection, statements)  # warm
            times = await replay(connection, statements)
            slowest = max(range(len(statements)), key=times.__getitem__)
            # In its place among the others: after the SET jit = off the app sends before it.
            await replay(connection, statements[:slowest])
            sql, params = statements[slowest]
            rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *params)
            await replay(connection, statements[slowest + 1 :])
            plans[name] = "\n".join(row[0] for row in rows)
            print(f"\n--- {name}: {sql[:160]}…\n{plans[name]}", flush=True)
    finally:
        await connection.close()
    return plans


async def counts(dsn: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        return {
            table: await connection.fetchval(f"SELECT count(*) FROM {table}")
            for table in (
                "organizations", "members", "activities", "activity_expected", "attendances",
                "activity_minutes", "roster_changes",
            )
        }  # fmt: skip
    finally:
        await connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Oversight dashboard benchmark; see bench/README.md",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=50, help="per figure")
    parser.add_argument("--exports", type=int, default=5, help="of the compliance .xlsx")
    parser.add_argument("--port", type=int, default=8772)
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-database", default="bench_oversight")
    parser.add_argument("--reuse-db", action="store_true", help="keep a database seeded before")
    parser.add_argument("--only", nargs="*", help="figure names to measure")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    started = datetime.now(UTC)
    server = args.pg_server.rstrip("/")
    dsn = f"{server}/{args.pg_database}"
    url = kit.asyncpg_url(dsn)
    seeded: dict[str, Any] = {}
    if not args.reuse_db:
        log(f"recreating {dsn} and migrating it")
        asyncio.run(kit.recreate_postgres(server, args.pg_database))
        kit.migrate(url)
        log("seeding (COPY)")
        began = time.perf_counter()
        seeded = asyncio.run(dataset.seed(dsn, started))
        seeded["seconds"] = round(time.perf_counter() - began, 1)
        log(f"seeded: {seeded}")
    rows = asyncio.run(counts(dsn))
    log(f"rows: {rows}")

    period = quarter_of(started.astimezone(DISPLAY_ZONE).date()).name
    wanted = [f for f in figures(period) if not args.only or f.name in args.only]
    token = issue_access_token(Settings(_env_file=None), dataset.ADMIN, datetime.now(UTC))  # type: ignore[call-arg]
    log(f"capturing the statements of {len(wanted)} figures in process")
    answers: dict[str, Any] = {}
    captured = asyncio.run(capture(url, token, wanted, answers))
    for name, answer in answers.items():
        log(f"{name}: {json.dumps(answer, ensure_ascii=False)[:300]}")
    plans = asyncio.run(explain(dsn, captured)) if args.explain else {}

    process = kit.start_server(
        "ours", "app.main:create_app", ROOT, args.port, kit.clean_env({"APP_DATABASE_URL": url}),
        RESULTS,
    )  # fmt: skip
    try:
        load_before = os.getloadavg()
        results = asyncio.run(_run(args, dsn, token, wanted, captured))
        load_after = os.getloadavg()
    finally:
        kit.stop_process(process)

    print(
        f"\n{'figure':<24} {'n':>3} {'ours p50':>9} {'p99':>8} {'ceil p50':>9} {'p99':>8} "
        f"{'ratio':>6} {'stmts':>5} {'slowest':>8} {'target':>7}"
    )
    for r in results:
        print(
            f"{r.figure:<24} {r.requests:>3} {r.ours_p50_ms:>9.1f} {r.ours_p99_ms:>8.1f} "
            f"{r.ceiling_p50_ms:>9.1f} {r.ceiling_p99_ms:>8.1f} {r.ratio_p50:>6.1%} "
            f"{r.statements:>5} {r.slowest_statement_ms:>8.1f} "
            f"{'MET' if r.met else 'NOT MET':>7}"
        )
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"\nload average before/after: {load_before} / {load_after}; {uptime}")
    report = {
        "started_at": started.isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/oversight/dashboard.py", *sys.argv[1:]]),
        "cores": os.cpu_count(),
        "load_average": {"before": load_before, "after": load_after},
        "period": period,
        "seeded": seeded,
        "rows": rows,
        "answers": answers,
        "results": [asdict(r) for r in results],
        "statements": {name: [s for s, _ in found] for name, found in captured.items()},
        "plans": plans,
    }
    out = RESULTS / f"dashboard-{started.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {out.relative_to(ROOT)}")
    return 0 if all(r.met for r in results) else 1


async def _run(
    args: argparse.Namespace,
    dsn: str,
    token: str,
    wanted: list[Figure],
    captured: dict[str, list[Statement]],
) -> list[Result]:
    http = Http(args.port, token)
    connection = await asyncpg.connect(dsn)
    try:
        results: list[Result] = []
        for figure in wanted:
            http.get(figure.url)  # warm-up, both sides
            await replay(connection, captured[figure.name])
            n = args.exports if figure.export else args.requests
            results.append(await measure(http, connection, figure, captured[figure.name], n))
            log(f"{figure.name}: ours p99 {results[-1].ours_p99_ms} ms")
        return results
    finally:
        await connection.close()


if __name__ == "__main__":
    raise SystemExit(main())
