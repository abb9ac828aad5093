"""Q&A search benchmark (issue 12, item 5): GET /api/v1/qa/search over 100,000 questions and
5,000 FAQ entries on PostgreSQL, through the app (one uvicorn worker, real HTTP), beside the
same SQL run bare on asyncpg (the ceiling), in the same run.

    .venv/bin/python bench/qa/search.py
    .venv/bin/python bench/qa/search.py --reuse-db --requests 400 --explain

Recreates the database ``bench_qa_search`` (``--reuse-db`` keeps a seeded one), migrates it
with the app's migrations and seeds it with asyncpg COPY: a city committee, 10 street
committees, 1,000 branches (100 a street), 20,000 members (20 a branch) each with a WeChat
account, one instructor per street; 100,000 questions (5 a member, each routed to its
street's instructors, one in ten anonymous) and 5,000 FAQ entries (500 of the city, 150 of
each street, 3 of each branch), their texts drawn from a vocabulary of party-work words
(Zipf-weighted, so 党费 or 转接 occur in thousands of rows) with a few rare words (敦煌,
量子通信: a handful of rows each); their search rows are written as the app writes them
(``app.qa.search.index_question`` / ``index_faq`` on each row, in one transaction a batch).

Then, for two kinds of caller (a member: the FAQ above them and their own questions; a
street's instructor: also the 10,000 questions routed to the street and the street's FAQ)
and two kinds of query (two-character words, longer words), ``--requests`` searches each,
cycling through callers and queries: one at a time over one keep-alive connection (latency,
not throughput), in blocks of 20 alternating with the ceiling. The ceiling replays, on one
bare asyncpg connection, the very statements the app ran for that request (captured once
per caller and query from the app in process: the principal, the caller's organizations,
the search, the rows of its hits). Prints p50 and p99 of both and their ratio; writes
``results/search-<time>.json``. ``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of the
search statement for each caller kind with 党费 and with 组织关系转接.

Target (issue 12): p99 < 50 ms for both kinds of query.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
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

from app.auth.tokens import issue_access_token  # noqa: E402
from app.config import Environment, Settings  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models import FaqEntry, Question, QuestionStatus, Role  # noqa: E402
from app.qa import search as qa_search  # noqa: E402

CITY = 1
STREETS = 10
BRANCHES_PER_STREET = 100
MEMBERS_PER_BRANCH = 20
QUESTIONS = 100_000
CITY_FAQ = 500
STREET_FAQ = 150
BRANCH_FAQ = 3
TARGET_P99_MS = 50.0
BLOCK = 20

BRANCHES = STREETS * BRANCHES_PER_STREET
FAQ_ENTRIES = CITY_FAQ + STREETS * STREET_FAQ + BRANCHES * BRANCH_FAQ
MEMBERS = BRANCHES * MEMBERS_PER_BRANCH
FIRST_BRANCH = CITY + STREETS + 1
FIRST_INSTRUCTOR = MEMBERS + 1  # members MEMBERS+1 .. MEMBERS+STREETS, one per street


def street_id(index: int) -> int:
    return CITY + 1 + index


def branch_id(index: int) -> int:
    return FIRST_BRANCH + index


def street_of_branch(branch: int) -> int:
    return street_id((branch - FIRST_BRANCH) // BRANCHES_PER_STREET)


def branch_of_member(member_id: int) -> int:
    return branch_id((member_id - 1) // MEMBERS_PER_BRANCH)


# Words of party work, most frequent first (drawn with weights 1/(rank + 20): the first one
# in about a fifth of the texts), and phrases members search for. A text is 8-16 of them.
VOCABULARY = (  # noqa: SIM905 - a word list reads better as text
    "党费 党员 组织关系 支部 转接 流动党员 学习 组织生活 党课 入党积极分子 三会一课 "
    "主题党日 预备党员 转正 发展党员 换届 党小组 书记 介绍信 社会组织 党建指导员 志愿服务 "
    "民主评议 组织生活会 党员大会 支部委员会 思想汇报 入党申请书 党员档案 党籍 党内统计 "
    "组织委员 宣传委员 纪检委员 廉洁自律 八项规定 理论学习 党史学习教育 主题教育 党章党规 "
    "党员先锋岗 示范岗 阵地建设 党群服务中心 年报 评估等级 统一社会信用代码 会费 工会 "
    "妇联 共青团 群团 慈善 基金会 社会团体 社会服务机构 登记管理 业务主管单位 属地管理 "
    "挂靠 托底 综合党委 街道工委 两新组织 联合党支部 党组织覆盖 工作覆盖 党建工作 负责人 "
    "从业人员 党员身份 材料 审批 备案 公示 考察 培养联系人 政治审查 入党介绍人 预备期 "
    "表决 谈话 承诺 交纳标准 交纳时间 补交 减免 收入 比例 工资 退休 学生党员 失联党员 "
    "出国 返乡 外省 流入地 流出地 信息系统 全国党员管理信息系统 线上 线下 会议记录 签到 "
    "请假 缺席 积分 学习时长 学习资料 视频 文章 答题 考试 培训 轮训 讲座 参观 "
    "红色教育基地 纪念馆 重温入党誓词 过政治生日 谈心谈话 批评与自我批评 整改 问题清单 "
    "检视 述职 考核 优秀党员 先进党组织 表彰 奖励 处分 警告 关怀帮扶 困难党员 慰问 老党员 "
    "党员教育 党员管理 党员服务 组织建设 制度建设 作风建设 廉政建设 规范化建设 标准化 "
    "星级评定 双强 六有 场所 设施 标志 党旗 书报 制度 年度计划 工作总结 季度 月度 通知 "
    "要求 规定 流程 程序 时限 办法 细则 意见 方案 "
).split()
RARE = ("敦煌", "量子通信", "澜沧江", "景德镇瓷器", "珠穆朗玛", "航天育种")
PARTICLES = ("的", "和", "与", "及", "关于", "如何", "需要", "按照", "对于", "有关")
ENDINGS = ("。", "？", "，", "；")
TITLE_ENDS = ("怎么办", "的问题", "如何办理", "有哪些规定", "需要什么材料", "咨询", "")
ANSWER_STARTS = ("根据有关规定，", "经研究答复如下：", "您好，", "")
RARE_RATE = 1 / 4000  # per text and rare word: ~25 of the 105,000 texts hold each
LONG_PHRASES = ("党费交纳标准", "预备党员转正程序", "组织关系转接流程")

QUERIES = {
    "two-character": ("党费", "转接", "流动", "党课", "换届", "支部", "敦煌"),
    "longer": (
        "组织关系转接",
        "入党积极分子",
        "三会一课",
        "预备党员转正",
        "党费交纳标准",
        "组织生活会",
        "量子通信",
    ),
}
CALLERS = ("member", "instructor")
_WEIGHTS = [1 / (rank + 20) for rank in range(len(VOCABULARY))]


class Texts:
    """Deterministic Chinese texts of party work."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def words(self, count: int) -> list[str]:
        return self.rng.choices(VOCABULARY, weights=_WEIGHTS, k=count)

    def _with_rare(self, text: str) -> str:
        for word in RARE:
            if self.rng.random() < RARE_RATE:
                text += f"涉及{word}。"
        return text

    def sentence(self, count: int) -> str:
        parts: list[str] = []
        for word in self.words(count):
            parts.append(word)
            parts.append(self.rng.choice(PARTICLES) if self.rng.random() < 0.6 else "")
            if self.rng.random() < 0.25:
                parts.append(self.rng.choice(ENDINGS))
        if self.rng.random() < 0.05:
            parts.append(self.rng.choice(LONG_PHRASES))
        return self._with_rare("".join(parts).rstrip("，；的和与及") + "？")

    def title(self) -> str:
        first, second = self.words(2)
        return f"{first}{second}{self.rng.choice(TITLE_ENDS)}"[:100]

    def answer(self) -> str:
        return self.rng.choice(ANSWER_STARTS) + self.sentence(self.rng.randint(12, 20))


# --- seeding ------------------------------------------------------------------------------


def _org_rows(now: datetime) -> tuple[list[tuple[Any, ...]], list[tuple[int, int, int]]]:
    orgs: list[tuple[Any, ...]] = [(CITY, None, "committee", "市社会组织综合党委", 0, now, now)]
    closure = [(CITY, CITY, 0)]
    for s in range(STREETS):
        street = street_id(s)
        orgs.append((street, CITY, "committee", f"第{s + 1}街道工委", 1, now, now))
        closure += [(street, street, 0), (CITY, street, 1)]
    for b in range(BRANCHES):
        branch, street = branch_id(b), street_of_branch(branch_id(b))
        orgs.append((branch, street, "branch", f"第{b + 1}党支部", 2, now, now))
        closure += [(branch, branch, 0), (street, branch, 1), (CITY, branch, 2)]
    return orgs, closure


def _people(now: datetime) -> dict[str, list[tuple[Any, ...]]]:
    people = MEMBERS + STREETS
    accounts = [(i, f"bench-qa-{i}", True, now, now) for i in range(1, people + 1)]
    members = [
        (m, m, f"党员{m}", "full_member", branch_of_member(m), False, False, now, now)
        for m in range(1, MEMBERS + 1)
    ]
    members += [
        (i, i, f"指导员{s + 1}", "full_member", None, False, False, now, now)
        for s, i in enumerate(range(FIRST_INSTRUCTOR, people + 1))
    ]
    roles = [
        (s + 1, FIRST_INSTRUCTOR + s, street_id(s), Role.INSTRUCTOR.value, now, now)
        for s in range(STREETS)
    ]
    return {"accounts": accounts, "members": members, "role_assignments": roles}


def _questions(texts: Texts, category: int, now: datetime) -> Iterator[Question]:
    statuses = (QuestionStatus.OPEN, QuestionStatus.ANSWERED, QuestionStatus.CLOSED)
    for q in range(1, QUESTIONS + 1):
        asker = 1 + (q * 7919) % MEMBERS
        branch = branch_of_member(asker)
        at = now - timedelta(minutes=QUESTIONS - q)
        yield Question(
            id=q,
            asker_member_id=asker,
            org_id=branch,
            category_id=category,
            title=texts.title(),
            body=texts.sentence(texts.rng.randint(8, 16)),
            anonymous=q % 10 == 0,
            status=texts.rng.choices(statuses, weights=(3, 6, 1))[0],
            routed_org_id=street_of_branch(branch),
            routed_role=Role.INSTRUCTOR,
            created_at=at,
            updated_at=at,
        )


def _faq(texts: Texts, category: int, now: datetime) -> Iterator[FaqEntry]:
    orgs = [CITY] * CITY_FAQ
    orgs += [street_id(s) for s in range(STREETS) for _ in range(STREET_FAQ)]
    orgs += [branch_id(b) for b in range(BRANCHES) for _ in range(BRANCH_FAQ)]
    for n, org in enumerate(orgs, start=1):
        yield FaqEntry(
            id=n,
            org_id=org,
            category_id=category,
            title=texts.title(),
            question_text=texts.sentence(texts.rng.randint(8, 16)),
            answer_text=texts.answer(),
            published_at=now,
            created_at=now,
            updated_at=now,
        )


QUESTION_COLUMNS = (
    "id", "asker_member_id", "org_id", "category_id", "title", "body", "anonymous", "status",
    "routed_org_id", "routed_role", "created_at", "updated_at",
)  # fmt: skip
FAQ_COLUMNS = (
    "id", "org_id", "category_id", "title", "question_text", "answer_text", "published_at",
    "created_at", "updated_at",
)  # fmt: skip
PEOPLE_COLUMNS = {
    "accounts": ("id", "openid", "is_active", "created_at", "updated_at"),
    "members": (
        "id", "account_id", "name", "party_status", "relation_org_id", "is_mobile",
        "is_lost_contact", "created_at", "updated_at",
    ),
    "role_assignments": ("id", "member_id", "org_id", "role", "created_at", "updated_at"),
}  # fmt: skip


def _record(row: Any, columns: tuple[str, ...]) -> tuple[Any, ...]:
    values = [getattr(row, name) for name in columns]
    return tuple(v.value if isinstance(v, (QuestionStatus, Role)) else v for v in values)


async def seed(dsn: str, url: str, now: datetime) -> dict[str, int]:
    """Every row by COPY but the search rows, which the app's own index functions write."""
    texts = Texts(seed=12)
    connection = await asyncpg.connect(dsn)
    try:
        category = await connection.fetchval("SELECT id FROM qa_categories WHERE name = '党费'")
        orgs, closure = _org_rows(now)
        await connection.copy_records_to_table(
            "organizations",
            records=orgs,
            columns=["id", "parent_id", "kind", "name", "depth", "created_at", "updated_at"],
        )
        await connection.copy_records_to_table(
            "org_closure", records=closure, columns=["ancestor_id", "descendant_id", "depth"]
        )
        for table, records in _people(now).items():
            await connection.copy_records_to_table(
                table, records=records, columns=list(PEOPLE_COLUMNS[table])
            )
        questions = list(_questions(texts, category, now))
        entries = list(_faq(texts, category, now))
        await connection.copy_records_to_table(
            "qa_questions",
            records=[_record(q, QUESTION_COLUMNS) for q in questions],
            columns=list(QUESTION_COLUMNS),
        )
        await connection.copy_records_to_table(
            "qa_faq_entries",
            records=[_record(e, FAQ_COLUMNS) for e in entries],
            columns=list(FAQ_COLUMNS),
        )
        for table in ("organizations", "accounts", "members", "role_assignments"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        for table in ("qa_questions", "qa_faq_entries"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    finally:
        await connection.close()
    await _index(url, questions, entries)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("VACUUM ANALYZE")
        counts = {
            "questions": await connection.fetchval("SELECT count(*) FROM qa_questions"),
            "faq_entries": await connection.fetchval("SELECT count(*) FROM qa_faq_entries"),
            "search_rows": await connection.fetchval("SELECT count(*) FROM qa_search_entries"),
        }
    finally:
        await connection.close()
    return counts


async def _index(url: str, questions: list[Question], entries: list[FaqEntry]) -> None:
    """The search rows, through ``index_question`` and ``index_faq`` as the services call
    them (detached objects carry every column they read), 5,000 a transaction."""
    app = create_app(_settings(url), configure_logs=False)
    async with app.router.lifespan_context(app):
        maker = app.state.runtime.sessionmaker
        for start in range(0, len(questions), 5000):
            async with maker.begin() as session:
                for question in questions[start : start + 5000]:
                    await qa_search.index_question(session, question)
        async with maker.begin() as session:
            for entry in entries:
                await qa_search.index_faq(session, entry)


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


# --- what each request runs -------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    caller: str  # member or instructor
    kind: str  # two-character or longer
    account_id: int
    query: str


def specs(caller: str, kind: str, count: int) -> list[Spec]:
    rng = random.Random(f"{caller}-{kind}")
    if caller == "member":
        accounts = rng.sample(range(1, MEMBERS + 1), 50)
    else:
        accounts = list(range(FIRST_INSTRUCTOR, FIRST_INSTRUCTOR + STREETS))
    queries = QUERIES[kind]
    return [
        Spec(caller, kind, accounts[i % len(accounts)], queries[i % len(queries)])
        for i in range(count)
    ]


async def capture(url: str, wanted: set[tuple[int, str]], tokens: dict[int, str]) -> dict[
    tuple[int, str], list[Statement]
]:  # fmt: skip
    """Each (account, query)'s statements, from one request to the app in process."""
    recorder = Recorder()
    event.listen(Engine, "before_cursor_execute", recorder)
    captured: dict[tuple[int, str], list[Statement]] = {}
    try:
        app = create_app(_settings(url), configure_logs=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for account_id, query in sorted(wanted):
                    recorder.statements = []
                    response = await client.get(
                        "/api/v1/qa/search",
                        params={"q": query},
                        headers={"Authorization": f"Bearer {tokens[account_id]}"},
                    )
                    assert response.status_code == 200, response.text
                    captured[account_id, query] = recorder.statements
                    recorder.statements = None
    finally:
        event.remove(Engine, "before_cursor_execute", recorder)
    return captured


# --- measuring ----------------------------------------------------------------------------


class Http:
    """One keep-alive connection to the server, as one member's phone."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port)

    def search(self, token: str, query: str) -> tuple[float, int, int]:
        started = time.perf_counter()
        self.connection.request(
            "GET",
            "/api/v1/qa/search?" + urlencode({"q": query}),
            headers={"Authorization": f"Bearer {token}"},
        )
        response = self.connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        items = len(json.loads(body)["items"]) if response.status == 200 else -1
        return elapsed, response.status, items


async def replay(connection: asyncpg.Connection, statements: list[Statement]) -> float:
    started = time.perf_counter()
    for sql, params in statements:
        await connection.fetch(sql, *params)
    return (time.perf_counter() - started) * 1000


@dataclass
class Figures:
    caller: str
    kind: str
    requests: int
    ours_p50_ms: float
    ours_p99_ms: float
    ours_max_ms: float
    ceiling_p50_ms: float
    ceiling_p99_ms: float
    ratio_p50: float  # ceiling ÷ ours
    ratio_p99: float
    mean_items: float
    statements: int
    non_200: int


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def measure(
    http: Http,
    connection: asyncpg.Connection,
    plan: list[Spec],
    tokens: dict[int, str],
    captured: dict[tuple[int, str], list[Statement]],
) -> Figures:
    ours: list[float] = []
    ceiling: list[float] = []
    items: list[int] = []
    failures = 0
    for start in range(0, len(plan), BLOCK):  # alternating blocks: a slow moment hits both
        block = plan[start : start + BLOCK]
        for spec in block:
            elapsed, status, found = http.search(tokens[spec.account_id], spec.query)
            ours.append(elapsed)
            failures += status != 200
            items.append(found)
        for spec in block:
            ceiling.append(await replay(connection, captured[spec.account_id, spec.query]))
    first = plan[0]
    return Figures(
        caller=first.caller,
        kind=first.kind,
        requests=len(plan),
        ours_p50_ms=round(statistics.median(ours), 2),
        ours_p99_ms=round(percentile(ours, 0.99), 2),
        ours_max_ms=round(max(ours), 2),
        ceiling_p50_ms=round(statistics.median(ceiling), 2),
        ceiling_p99_ms=round(percentile(ceiling, 0.99), 2),
        ratio_p50=round(statistics.median(ceiling) / statistics.median(ours), 3),
        ratio_p99=round(percentile(ceiling, 0.99) / percentile(ours, 0.99), 3),
        mean_items=round(statistics.mean(items), 1),
        statements=len(captured[first.account_id, first.query]),
        non_200=failures,
    )


async def hit_counts(dsn: str, captured: dict[tuple[int, str], list[Statement]]) -> Any:
    """Per query: the rows that hold it in the whole index, and in the scope of the first
    member and the first instructor (what the search ranks before it keeps the best 20)."""
    connection = await asyncpg.connect(dsn)
    counts: dict[str, dict[str, int]] = {}
    try:
        for query in (q for kind in QUERIES.values() for q in kind):
            terms = " & ".join(qa_search.query_tokens(query))
            total = await connection.fetchval(
                "SELECT count(*) FROM qa_search_entries "
                "WHERE to_tsvector('simple', tokens) @@ to_tsquery('simple', $1)",
                terms,
            )
            counts[query] = {"index": total}
            for caller, account in (("member", 1), ("instructor", FIRST_INSTRUCTOR)):
                sql, params = _search_statement(captured[account, query])
                unlimited, params = _without_limit(sql, params)
                counts[query][caller] = await connection.fetchval(
                    f"SELECT count(*) FROM ({unlimited}) AS hits",
                    *params,
                )
    finally:
        await connection.close()
    return counts


def _search_statement(statements: list[Statement]) -> Statement:
    return next(s for s in statements if "FROM qa_search_entries" in s[0])


_LIMIT = re.compile(r"\s+LIMIT \d+$")


def _without_limit(sql: str, params: tuple[Any, ...]) -> Statement:
    """The search statement without its LIMIT (a literal: app/qa/search.py writes its
    values into the statement)."""
    found = _LIMIT.search(sql)
    assert found is not None, sql
    return sql[: found.start()], params


async def explain(dsn: str, captured: dict[tuple[int, str], list[Statement]]) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        for caller, account in (("member", 1), ("instructor", FIRST_INSTRUCTOR)):
            for query in ("党费", "组织关系转接"):
                statements = captured.get((account, query))
                if not statements:
                    continue
                sql, params = _search_statement(statements)
                plan = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *params)
                print(f"\n--- {caller} {query}\n" + "\n".join(row[0] for row in plan))
    finally:
        await connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Q&A search benchmark; see bench/README.md",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=400, help="per caller and query kind")
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-database", default="bench_qa_search")
    parser.add_argument("--reuse-db", action="store_true", help="keep a database seeded before")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    started = datetime.now(UTC)
    server = args.pg_server.rstrip("/")
    dsn = f"{server}/{args.pg_database}"
    url = kit.asyncpg_url(dsn)
    counts: dict[str, int] = {}
    if not args.reuse_db:
        log(f"recreating {dsn} and migrating it")
        asyncio.run(kit.recreate_postgres(server, args.pg_database))
        kit.migrate(url)
        log(f"seeding {QUESTIONS:,} questions and {FAQ_ENTRIES:,} FAQ entries")
        counts = asyncio.run(seed(dsn, url, started))
        log(f"seeded: {counts}")

    plans = {
        (caller, kind): specs(caller, kind, args.requests) for caller in CALLERS for kind in QUERIES
    }
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    now = datetime.now(UTC)
    accounts = {spec.account_id for plan in plans.values() for spec in plan}
    accounts |= {1, FIRST_INSTRUCTOR}
    tokens = {a: issue_access_token(settings, a, now) for a in accounts}
    wanted = {(spec.account_id, spec.query) for plan in plans.values() for spec in plan}
    wanted |= {(a, q) for a in (1, FIRST_INSTRUCTOR) for kind in QUERIES.values() for q in kind}
    log(f"capturing the statements of {len(wanted)} (caller, query) pairs in process")
    captured = asyncio.run(capture(url, wanted, tokens))
    hits = asyncio.run(hit_counts(dsn, captured))
    for query, found in hits.items():
        log(f"{query}: {found}")
    if args.explain:
        asyncio.run(explain(dsn, captured))

    process = kit.start_server(
        "ours", "app.main:create_app", ROOT, args.port, kit.clean_env({"APP_DATABASE_URL": url}),
        RESULTS,
    )  # fmt: skip
    try:
        results = asyncio.run(_run(args.port, dsn, plans, tokens, captured))
    finally:
        kit.stop_process(process)

    print(
        f"\n{'caller':<10} {'query':<13} {'n':>4} {'ours p50':>9} {'p99':>7} {'ceil p50':>9} "
        f"{'p99':>7} {'ratio p50':>9} {'p99':>6} {'items':>5} {'stmts':>5}"
    )
    for f in results:
        print(
            f"{f.caller:<10} {f.kind:<13} {f.requests:>4} {f.ours_p50_ms:>9.2f} "
            f"{f.ours_p99_ms:>7.2f} {f.ceiling_p50_ms:>9.2f} {f.ceiling_p99_ms:>7.2f} "
            f"{f.ratio_p50:>9.1%} {f.ratio_p99:>6.1%} {f.mean_items:>5.1f} {f.statements:>5}"
        )
    met = {f"{f.caller} {f.kind}": f.ours_p99_ms < TARGET_P99_MS for f in results}
    print(
        f"\ntarget p99 < {TARGET_P99_MS:.0f} ms: "
        + ", ".join(f"{name} {'MET' if ok else 'NOT MET'}" for name, ok in met.items())
    )
    report = {
        "started_at": started.isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/qa/search.py", *sys.argv[1:]]),
        "cores": os.cpu_count(),
        "seeded": counts,
        "hits": hits,
        "results": [asdict(f) for f in results],
        "met": met,
    }
    out = RESULTS / f"search-{started.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {out.relative_to(ROOT)}")
    return 0 if all(met.values()) else 1


async def _run(
    port: int,
    dsn: str,
    plans: dict[tuple[str, str], list[Spec]],
    tokens: dict[int, str],
    captured: dict[tuple[int, str], list[Statement]],
) -> list[Figures]:
    http = Http(port)
    connection = await asyncpg.connect(dsn)
    try:
        for plan in plans.values():  # warm-up: every distinct request once on each side
            for spec in {(s.account_id, s.query): s for s in plan}.values():
                http.search(tokens[spec.account_id], spec.query)
                await replay(connection, captured[spec.account_id, spec.query])
        return [await measure(http, connection, plan, tokens, captured) for plan in plans.values()]
    finally:
        await connection.close()


if __name__ == "__main__":
    raise SystemExit(main())
