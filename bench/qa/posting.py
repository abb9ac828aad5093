"""Q&A posting benchmark (issue 12): POST /api/v1/qa/questions through the app (one uvicorn
worker, real HTTP, the word-list content check) beside its raw-driver ceiling
(``posting_ceiling.py``: the same reads and writes on bare asyncpg behind FastAPI, one
uvicorn worker), on PostgreSQL, in the same run.

    .venv/bin/python bench/qa/posting.py
    .venv/bin/python bench/qa/posting.py --requests 4000

Recreates the database ``bench_qa_posting``, migrates it with the app's migrations and
seeds it (``posting_seed.py``: 100 branches under 10 streets, 2,000 members, one instructor
a street). Each request is a different member asking a clean question (titles and bodies
drawn from party-work phrases, none the word list holds), routed to their street's
instructor: the question, its review row, its assignment, its search row, the notification
and its deliveries. One request at a time over one keep-alive connection per server (what
one member waits), in blocks of 25 alternating between the app and the ceiling, so a slow
moment hits both. The question rate limits are raised for the run (a member may ask 10 an
hour), the limiter itself still runs.

Afterwards it checks that both wrote the same rows per question (the ceiling is a ceiling
of the same work, not of less), and prints p50, p99 and the throughput of one client, and
the ratio ceiling ÷ ours of the mean time (target issue 12: ≥ 50 %). Writes
``results/posting-<time>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))
sys.path.insert(2, str(ROOT))

import kit  # noqa: E402
import posting_seed  # noqa: E402
from kit import log  # noqa: E402

from app.auth.tokens import issue_access_token  # noqa: E402
from app.config import Settings  # noqa: E402

TARGET_RATIO = 0.5
BLOCK = 25
SUBJECTS = (
    "党费交纳标准", "组织关系转接", "流动党员管理", "预备党员转正", "入党积极分子培养",
    "三会一课安排", "主题党日活动", "党小组设置", "支部换届选举", "党员档案保管",
)  # fmt: skip
ASKS = (
    "请问{s}有什么具体要求？", "我们单位的{s}应该如何办理？", "关于{s}，需要准备哪些材料？",
    "{s}的时限是怎样规定的？", "退休后{s}还适用吗？",
)  # fmt: skip
TABLES = (
    "qa_questions", "content_reviews", "qa_assignments", "qa_search_entries", "notifications",
    "deliveries",
)  # fmt: skip


@dataclass(frozen=True)
class Post:
    account_id: int
    title: str
    body: str


def plan(count: int) -> list[Post]:
    rng = random.Random(12)
    members = list(range(1, posting_seed.MEMBERS + 1))
    rng.shuffle(members)
    posts = []
    for n in range(count):
        subject = rng.choice(SUBJECTS)
        body = rng.choice(ASKS).format(s=subject) + rng.choice(ASKS).format(s=rng.choice(SUBJECTS))
        posts.append(Post(members[n % len(members)], f"{subject}咨询", body))
    return posts


class Http:
    """One keep-alive connection to a server, as one member's phone."""

    def __init__(self, port: int, category_id: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.category_id = category_id

    def post(self, token: str, post: Post) -> tuple[float, int]:
        payload = json.dumps(
            {"category_id": self.category_id, "title": post.title, "body": post.body},
            ensure_ascii=False,
        ).encode()
        started = time.perf_counter()
        self.connection.request(
            "POST",
            "/api/v1/qa/questions",
            body=payload,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = self.connection.getresponse()
        response.read()
        return (time.perf_counter() - started) * 1000, response.status


@dataclass
class Side:
    requests: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    per_second: float
    non_201: int
    cpu_seconds: float

    @classmethod
    def of(cls, samples: list[float], failures: int, cpu: float) -> Side:
        ordered = sorted(samples)
        mean = statistics.mean(samples)
        return cls(
            requests=len(samples),
            p50_ms=round(statistics.median(samples), 2),
            p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            mean_ms=round(mean, 2),
            per_second=round(1000 / mean, 1),
            non_201=failures,
            cpu_seconds=round(cpu, 2),
        )


async def counts(dsn: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        return {t: await connection.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}
    finally:
        await connection.close()


def drive(
    ours: Http, ceiling: Http, posts: list[Post], tokens: dict[int, str], pids: tuple[int, int]
) -> tuple[list[float], int, list[float], int, float, float]:
    """Both servers, the same posts split between them block by block."""
    ours_ms: list[float] = []
    ceiling_ms: list[float] = []
    ours_failed = ceiling_failed = 0
    cpu_before = [kit.cpu_seconds(pid) for pid in pids]
    for start in range(0, len(posts), 2 * BLOCK):
        for post in posts[start : start + BLOCK]:
            elapsed, status = ours.post(tokens[post.account_id], post)
            ours_ms.append(elapsed)
            ours_failed += status != 201
        for post in posts[start + BLOCK : start + 2 * BLOCK]:
            elapsed, status = ceiling.post(tokens[post.account_id], post)
            ceiling_ms.append(elapsed)
            ceiling_failed += status != 201
    cpu_ours, cpu_ceiling = (
        kit.cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)
    )
    return ours_ms, ours_failed, ceiling_ms, ceiling_failed, cpu_ours, cpu_ceiling


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Q&A posting benchmark; see bench/README.md",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=3000, help="in all, half a side")
    parser.add_argument("--warm-up", type=int, default=200, help="in all, before measuring")
    parser.add_argument("--port", type=int, default=8772)
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-database", default="bench_qa_posting")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    started = datetime.now(UTC)
    server = args.pg_server.rstrip("/")
    dsn = f"{server}/{args.pg_database}"
    url = kit.asyncpg_url(dsn)
    log(f"recreating {dsn}, migrating and seeding it")
    asyncio.run(kit.recreate_postgres(server, args.pg_database))
    kit.migrate(url)
    category_id = asyncio.run(posting_seed.seed(dsn, started))

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    accounts = range(1, posting_seed.MEMBERS + 1)
    tokens = {a: issue_access_token(settings, a, datetime.now(UTC)) for a in accounts}
    raised = {
        "APP_RATE_LIMIT_QUESTION": "1000000/hour",
        "APP_RATE_LIMIT_QUESTION_PER_IP": "1000000/hour",
        "APP_CONTENT_CHECK_BACKEND": "wordlist",
    }
    ours_process = kit.start_server(
        "posting-ours", "app.main:create_app", ROOT, args.port,
        kit.clean_env({"APP_DATABASE_URL": url, **raised}), RESULTS,
    )  # fmt: skip
    ceiling_process = kit.start_server(
        "posting-ceiling", "posting_ceiling:create_app", HERE, args.port + 1,
        kit.clean_env({"CEILING_DSN": dsn}), RESULTS,
    )  # fmt: skip
    try:
        ours = Http(args.port, category_id)
        ceiling = Http(args.port + 1, category_id)
        posts = plan(args.warm_up + args.requests)
        log(f"warming up with {args.warm_up} posts")
        drive(ours, ceiling, posts[: args.warm_up], tokens, (ours_process.pid, ceiling_process.pid))
        before = asyncio.run(counts(dsn))
        log(f"measuring {args.requests} posts, {BLOCK} a block, alternating")
        ours_ms, ours_failed, ceiling_ms, ceiling_failed, cpu_ours, cpu_ceiling = drive(
            ours, ceiling, posts[args.warm_up :], tokens, (ours_process.pid, ceiling_process.pid)
        )
        after = asyncio.run(counts(dsn))
    finally:
        kit.stop_process(ours_process)
        kit.stop_process(ceiling_process)

    ours_side = Side.of(ours_ms, ours_failed, cpu_ours)
    ceiling_side = Side.of(ceiling_ms, ceiling_failed, cpu_ceiling)
    written = {t: after[t] - before[t] for t in TABLES}
    per_question = {t: round(n / args.requests, 3) for t, n in written.items()}
    ratio = round(ceiling_side.mean_ms / ours_side.mean_ms, 3)
    print(f"\n{'side':<8} {'n':>5} {'p50 ms':>7} {'p99 ms':>7} {'mean':>6} {'/s':>6} {'CPU s':>6}")
    for name, side in (("ours", ours_side), ("ceiling", ceiling_side)):
        print(
            f"{name:<8} {side.requests:>5} {side.p50_ms:>7.2f} {side.p99_ms:>7.2f} "
            f"{side.mean_ms:>6.2f} {side.per_second:>6.1f} {side.cpu_seconds:>6.2f}"
        )
    print(f"rows per question, both sides together: {per_question}")
    print(f"ratio ceiling ÷ ours (mean time): {ratio:.1%}; target ≥ {TARGET_RATIO:.0%}")
    report = {
        "started_at": started.isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/qa/posting.py", *sys.argv[1:]]),
        "cores": os.cpu_count(),
        "ours": asdict(ours_side),
        "ceiling": asdict(ceiling_side),
        "rows_per_question": per_question,
        "ratio": ratio,
    }
    out = RESULTS / f"posting-{started.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {out.relative_to(ROOT)}")
    failures = ours_side.non_201 + ceiling_side.non_201
    return 0 if ratio >= TARGET_RATIO and failures == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
