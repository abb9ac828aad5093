"""Search over the FAQ and a caller's questions (app/qa/search.py), on both databases: what
two-character and longer Chinese queries find and rank first, whose rows they never find, and
that the index follows each change of what it indexes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from sqlalchemy import func, insert, select, text

from app.models import (
    FaqEntry,
    QaCategory,
    QaSearchEntry,
    Question,
    QuestionStatus,
    Role,
    SearchKind,
)
from app.qa import search as qa_search
from tests.factories import Factory, build_world
from tests.fixtures.database import empty_all_tables

# name: (organization in the world, title, question text, answer text). F8 is another
# subtree's FAQ, which it would otherwise match.
FAQ = {
    "F1": (
        "street_a",
        "党费交纳标准",
        "党费按什么标准交纳？",
        "按月收入的比例交纳党费，标准见党费交纳规定。",
    ),
    "F2": (
        "street_a",
        "组织关系转接流程",
        "组织关系转接需要哪些材料？",
        "组织关系转接需开具介绍信，跨省转接通过全国党员管理信息系统办理。",
    ),
    "F3": (
        "city",
        "流动党员管理",
        "流动党员如何参加组织生活？",
        "流动党员参加流入地党组织的组织生活，按时交纳党费。",
    ),
    "F4": (
        "street_a",
        "入党积极分子的培养",
        "入党积极分子多久考察一次？",
        "由党小组每半年考察一次，确定两名培养联系人。",
    ),
    "F5": (
        "branch_a1",
        "三会一课制度",
        "三会一课包括哪些会议？",
        "支部党员大会、支部委员会、党小组会和党课。",
    ),
    "F6": (
        "branch_a1",
        "主题党日活动",
        "主题党日多久一次？",
        "每月开展一次主题党日，2026年起固定在每月第一周。",
    ),
    "F7": (
        "street_a",
        "预备党员转正",
        "预备党员转正需要什么程序？",
        "预备期满，本人提出书面转正申请，支部大会讨论通过后报上级党组织审批。",
    ),
    "F8": (
        "joint_b",
        "党费交纳标准（乙联合支部专属）",
        "党费标准是多少？流动党员怎么办？",
        "党费标准按乙街道规定；组织关系转接、三会一课、主题党日同上。",
    ),
}
# name: (asker, routed to, title, body). Q2 is another member's, Q3 routed elsewhere.
QUESTIONS = {
    "Q1": ("me", "branch_a1", "党费补交", "我出国三个月，党费可以回来后补交吗？"),
    "Q2": (
        "other",
        "branch_a1",
        "组织关系转到外省",
        "组织关系转到外省要多久？流动党员的党费怎么交？",
    ),
    "Q3": ("me", "street_b", "工作调动后怎么办", "工作调动到乙街道后，组织关系怎么转接？"),
}

# query: (what a member of 甲一支部 must find, what must rank first)
MEMBER_QUERIES: list[tuple[str, set[str], str | None]] = [
    ("党费", {"F1", "F3", "Q1"}, "F1"),
    ("转接", {"F2", "Q3"}, "F2"),
    ("流动", {"F3"}, "F3"),
    ("组织关系转接", {"F2"}, "F2"),
    ("入党积极分子", {"F4"}, "F4"),
    ("三会一课", {"F5"}, "F5"),
    ("主题党日", {"F6"}, "F6"),
    ("预备党员转正", {"F7"}, "F7"),
    ("党费 标准", {"F1"}, "F1"),
    ("课", {"F5"}, "F5"),
    ("2026", {"F6"}, "F6"),
    ("２０２６", {"F6"}, "F6"),  # full-width digits: NFKC makes them 2026
    ("党费 & | !", {"F1", "F3", "Q1"}, "F1"),
    ("'党费':* & !(", {"F1", "F3", "Q1"}, "F1"),
    ('("转接")*', {"F2", "Q3"}, "F2"),
    ('"转接" OR NOT', set(), None),  # three words, all required: or, not are words too
    ("房贷利率", set(), None),
    ("党费补交", {"Q1"}, "Q1"),
    ("组织生活", {"F3"}, "F3"),
    ("转正申请", {"F7"}, "F7"),
    ("介绍信", {"F2"}, "F2"),
    ("组织关系", {"F2", "Q3"}, "F2"),
    ("专属", set(), None),  # only F8, another subtree's
    ("外省", set(), None),  # only Q2, another member's question
    ("& | !", set(), None),
    ("", set(), None),
]


@dataclass
class Corpus:
    ids: dict[str, tuple[SearchKind, int]]
    me: int
    instructor: int
    faq_orgs: list[int]  # 甲一支部 and its ancestors
    branch_a1: int
    street_b: int

    def names(self, hits: list[qa_search.Hit]) -> list[str]:
        back = {value: name for name, value in self.ids.items()}
        return [back[(hit.kind, hit.ref_id)] for hit in hits]


async def _corpus(app: FastAPI, factory: Factory) -> Corpus:
    world = await build_world(factory)
    orgs = {name: getattr(world, name).id for name in ("city", "street_a", "street_b")}
    orgs |= {name: getattr(world, name).id for name in ("branch_a1", "joint_b")}
    members = {
        "me": (await factory.member(world.branch_a1)).id,
        "other": (await factory.member(world.branch_a1)).id,
        "instructor": (await factory.member(world.branch_a1)).id,
    }
    now = app.state.runtime.clock.now()
    ids: dict[str, tuple[SearchKind, int]] = {}
    async with app.state.runtime.sessionmaker.begin() as session:
        category = await session.scalar(select(QaCategory.id).where(QaCategory.name == "党费"))
        assert category is not None
        for name, (asker, routed, title, body) in QUESTIONS.items():
            question = Question(
                asker_member_id=members[asker],
                org_id=world.branch_a1.id,
                category_id=category,
                title=title,
                body=body,
                status=QuestionStatus.OPEN,
                routed_org_id=orgs[routed],
                routed_role=Role.INSTRUCTOR,
                created_at=now,
                updated_at=now,
            )
            session.add(question)
            await session.flush()
            await qa_search.index_question(session, question)
            ids[name] = (SearchKind.QUESTION, question.id)
        for name, (org, title, question_text, answer_text) in FAQ.items():
            entry = FaqEntry(
                org_id=orgs[org],
                category_id=category,
                title=title,
                question_text=question_text,
                answer_text=answer_text,
                published_at=now,
                created_at=now,
                updated_at=now,
            )
            session.add(entry)
            await session.flush()
            await qa_search.index_faq(session, entry)
            ids[name] = (SearchKind.FAQ, entry.id)
    return Corpus(
        ids,
        me=members["me"],
        instructor=members["instructor"],
        faq_orgs=[orgs["branch_a1"], orgs["street_a"], orgs["city"]],
        branch_a1=orgs["branch_a1"],
        street_b=orgs["street_b"],
    )


async def _as_member(app: FastAPI, corpus: Corpus, query: str) -> list[str]:
    async with app.state.runtime.sessionmaker() as session:
        hits = await qa_search.search(
            session,
            query,
            faq_org_ids=corpus.faq_orgs,
            own_member_id=corpus.me,
            routed_org_ids=None,
            limit=20,
        )
    return corpus.names(hits)


def test_tokens_are_characters_and_bigrams_and_words() -> None:
    assert qa_search.tokenize("党费ＡＢＣ 2026年") == ["党", "费", "党费", "abc", "2026", "年"]
    assert qa_search.query_tokens("组织关系") == ["组织", "织关", "关系"]
    assert qa_search.query_tokens("党 & 费用 x") == ["党", "费用", "x"]


async def test_each_query_finds_its_rows_and_ranks_the_best_first(
    app: FastAPI, factory: Factory
) -> None:
    corpus = await _corpus(app, factory)
    failures = []
    for query, found, first in MEMBER_QUERIES:
        names = await _as_member(app, corpus, query)
        ranked_first = names[:1] == [first] if first else names == []
        if set(names) != found or len(names) != len(found) or not ranked_first:
            failures.append((query, names, found, first))
    assert failures == []
    assert len(MEMBER_QUERIES) >= 15


async def test_an_instructor_finds_the_questions_routed_to_them_only(
    app: FastAPI, factory: Factory
) -> None:
    corpus = await _corpus(app, factory)
    async with app.state.runtime.sessionmaker() as session:
        hits = await qa_search.search(
            session,
            "组织关系",
            faq_org_ids=[],
            own_member_id=corpus.instructor,
            routed_org_ids=[corpus.branch_a1],
            limit=20,
        )
        assert corpus.names(hits) == ["Q2"]  # Q3 has the words but is routed to 乙街道
        hits = await qa_search.search(
            session,
            "党费",
            faq_org_ids=[],
            own_member_id=None,
            routed_org_ids=[corpus.branch_a1],
            limit=20,
        )
        assert sorted(corpus.names(hits)) == ["Q1", "Q2"]
        hits = await qa_search.search(
            session, "党费", faq_org_ids=[], own_member_id=None, routed_org_ids=[], limit=20
        )
        assert hits == []


async def test_the_limit_keeps_the_best(app: FastAPI, factory: Factory) -> None:
    corpus = await _corpus(app, factory)
    async with app.state.runtime.sessionmaker() as session:
        hits = await qa_search.search(
            session,
            "党费",
            faq_org_ids=corpus.faq_orgs,
            own_member_id=corpus.me,
            routed_org_ids=None,
            limit=1,
        )
    assert corpus.names(hits) == ["F1"]


async def test_a_removed_entry_is_no_longer_found(app: FastAPI, factory: Factory) -> None:
    corpus = await _corpus(app, factory)
    kind, ref_id = corpus.ids["F1"]
    async with app.state.runtime.sessionmaker.begin() as session:
        await qa_search.remove(session, kind, ref_id)
        await qa_search.remove(session, kind, ref_id)  # twice: nothing left to remove
    assert sorted(await _as_member(app, corpus, "党费")) == ["F3", "Q1"]
    assert await _as_member(app, corpus, "党费 标准") == []


async def test_a_withdrawn_faq_entry_is_no_longer_found(app: FastAPI, factory: Factory) -> None:
    corpus = await _corpus(app, factory)
    async with app.state.runtime.sessionmaker.begin() as session:
        entry = await session.get(FaqEntry, corpus.ids["F5"][1])
        assert entry is not None
        entry.withdrawn_at = app.state.runtime.clock.now()
        await qa_search.index_faq(session, entry)
    assert await _as_member(app, corpus, "三会一课") == []


async def test_a_changed_question_is_found_by_its_new_words_only(
    app: FastAPI, factory: Factory
) -> None:
    corpus = await _corpus(app, factory)
    async with app.state.runtime.sessionmaker.begin() as session:
        question = await session.get(Question, corpus.ids["Q1"][1])
        assert question is not None
        question.title = "志愿服务时长"
        question.body = "志愿服务时长怎么记录？"
        await qa_search.index_question(session, question)
    assert await _as_member(app, corpus, "补交") == []
    assert sorted(await _as_member(app, corpus, "党费")) == ["F1", "F3"]
    assert await _as_member(app, corpus, "志愿服务") == ["Q1"]
    async with app.state.runtime.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(QaSearchEntry))
    assert count == len(FAQ) + len(QUESTIONS)  # updated in place, not a second row


async def test_the_cleanup_empties_the_index_too(app: FastAPI, factory: Factory) -> None:
    """The tests' cleanup deletes qa_search_entries' rows; on SQLite the triggers take them
    out of the FTS table, so the next test's search finds none of them."""
    corpus = await _corpus(app, factory)
    assert await _as_member(app, corpus, "党费") != []
    await empty_all_tables(app.state.runtime.engine)
    async with app.state.runtime.sessionmaker() as session:
        if session.get_bind().dialect.name == "sqlite":
            left = await session.scalar(
                text("SELECT count(*) FROM qa_search_fts WHERE qa_search_fts MATCH '\"党费\"'")
            )
            assert left == 0
        hits = await qa_search.search(
            session,
            "党费",
            faq_org_ids=corpus.faq_orgs,
            own_member_id=corpus.me,
            routed_org_ids=None,
            limit=20,
        )
    assert hits == []


@pytest.mark.postgres_only
async def test_postgres_answers_from_the_gin_index(app: FastAPI, factory: Factory) -> None:
    """The search's WHERE is the indexed vector column, so the planner can use it (seq scans
    off: on a handful of rows it would rightly scan; by hand on 5,000 rows it chose the
    bitmap index scan unprompted)."""
    corpus = await _corpus(app, factory)
    async with app.state.runtime.sessionmaker.begin() as session:
        await session.execute(
            insert(QaSearchEntry),
            [
                {
                    "kind": SearchKind.FAQ,
                    "ref_id": 10_000 + n,
                    "org_id": corpus.faq_orgs[0],
                    "tokens": " ".join(qa_search.tokenize(f"第{n}条 志愿服务 学习")),
                }
                for n in range(3000)
            ],
        )
        await session.execute(text("ANALYZE qa_search_entries"))
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        compiled = qa_search._postgres(["党费"]).compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        plan = "\n".join((await session.execute(text(f"EXPLAIN {compiled}"))).scalars())
    assert "ix_qa_search_entries_vector" in plan
