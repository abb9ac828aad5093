"""Search over the FAQ and a caller's questions (issue 12, item 5), on PostgreSQL and SQLite.

Chinese has no spaces, and members search with two-character words (党费, 转接, 流动). The
ready-made indexes miss those: pg_trgm builds no usable trigram out of a two-character CJK
query, and FTS5's trigram tokenizer ignores queries under three characters. jieba would be
a new dependency whose dictionary cuts text differently from how members type (组织关系转接
may become 组织 / 关系 / 转接, or not, depending on its dictionary), so a query could miss a
text that contains it. So one tokenizer here, in Python, writes the same tokens to both
databases: after NFKC and lower case, every run of CJK characters gives each character and
each bigram, and every run of Latin letters or digits gives the whole word. A query is cut
the same way, but a CJK run of two or more characters asks for its bigrams only, all of
them (AND): every substring of two or more characters is then found wherever it occurs (its
bigrams all occur; a rare false hit needs them all elsewhere in the same text), and a lone
character is found by its unigram.

Each database indexes the tokens with its own engine, and the engine is a plain word index:
PostgreSQL the stored ``to_tsvector('simple', tokens)`` ('simple': no stemming, no stop
words; a generated column, migration 0018) with a GIN index, ranked by ts_rank; SQLite an
FTS5 table (``unicode61``: words are split at spaces, which the tokens already are), ranked
by bm25(). A title's tokens are written twice, so a match in the title outranks one only in
the body on both. Both ranks are returned as "higher is better".

The scope is lists of organization ids and a member id, each with an index of its own: on
PostgreSQL their bitmaps are intersected with the words' before a row is read, so a word in
30,000 rows costs what the caller's few hundred cost (bench/README.md, Q&A search).

The caller keeps the index in step: ``index_question`` / ``index_faq`` after each write of
the text or of the routing, ``remove`` when a question or an entry is gone or withdrawn.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import column, table, text
from sqlalchemy.types import TypeEngine

from app.models import FaqEntry, QaSearchEntry, Question, SearchKind

# Han ideographs (the unified block, extension A, compatibility ideographs, and the
# supplementary planes' extensions), the characters that come without spaces between words.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUNS = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>(?:(?![{_CJK}])[^\W_])+)")
# A query longer than this many tokens is cut: a pasted paragraph still finds its start.
_MAX_QUERY_TOKENS = 32
# SQLite's FTS5 table (migration 0014), not in the models: only its rowid is joined.
_FTS = table("qa_search_fts", column("rowid"))


@dataclass(frozen=True, slots=True)
class Hit:
    kind: SearchKind
    ref_id: int
    rank: float  # higher is better; comparable within one search only


def _runs(value: str) -> list[tuple[bool, str]]:
    normal = unicodedata.normalize("NFKC", value).lower()
    return [(match.lastgroup == "cjk", match.group()) for match in _RUNS.finditer(normal)]


def tokenize(value: str) -> list[str]:
    """The index terms of a text, in order, repeats kept (they weigh in the ranks)."""
    tokens: list[str] = []
    for cjk, run in _runs(value):
        if not cjk:
            tokens.append(run)
            continue
        tokens.extend(run)
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def query_tokens(query: str) -> list[str]:
    """The terms a query asks for, all of them: a CJK run's bigrams, or its one character."""
    terms: list[str] = []
    for cjk, run in _runs(query):
        if cjk and len(run) > 1:
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            terms.append(run)
    return list(dict.fromkeys(terms))[:_MAX_QUERY_TOKENS]


def query_cover(query: str) -> list[str]:
    """Fewer of ``query_tokens``' terms that still touch every character of the query: a
    CJK run's bigrams two by two and its last one (组织关系转接: 组织, 关系, 转接). Bigrams
    of one word nearly always come together, and PostgreSQL, taking them as independent,
    multiplies their frequencies: for all five of 入党积极分子 it expected 66 rows where
    21,057 hold them, and read them all; for three, it intersects with the caller's scope."""
    terms = set(query_tokens(query))
    cover: list[str] = []
    for cjk, run in _runs(query):
        if not (cjk and len(run) > 1):
            cover.append(run)
            continue
        starts = list(range(0, len(run) - 1, 2))
        if starts[-1] != len(run) - 2:
            starts.append(len(run) - 2)
        cover.extend(run[i : i + 2] for i in starts)
    return [term for term in dict.fromkeys(cover) if term in terms]


def _document(title: str, *texts: str) -> str:
    return " ".join(tokenize(title) * 2 + [t for part in texts for t in tokenize(part)])


_CHANGED = ("org_id", "routed_org_id", "asker_member_id", "tokens")


@functools.cache
def _upsert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (kind, ref_id) DO UPDATE, its values given at execution: built
    once per dialect, where building it per row cost a tenth of posting a question."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(QaSearchEntry)
    changed = {key: statement.excluded[key] for key in _CHANGED}
    return statement.on_conflict_do_update(index_elements=["kind", "ref_id"], set_=changed)


async def _upsert(
    session: AsyncSession,
    kind: SearchKind,
    ref_id: int,
    *,
    org_id: int,
    routed_org_id: int | None,
    asker_member_id: int | None,
    tokens: str,
) -> None:
    values = {
        "kind": kind,
        "ref_id": ref_id,
        "org_id": org_id,
        "routed_org_id": routed_org_id,
        "asker_member_id": asker_member_id,
        "tokens": tokens,
    }
    statement = _upsert_statement(session.get_bind().dialect.name)
    await session.execute(statement, values)


async def index_question(session: AsyncSession, question: Question) -> None:
    await _upsert(
        session,
        SearchKind.QUESTION,
        question.id,
        org_id=question.org_id,
        routed_org_id=question.routed_org_id,
        asker_member_id=question.asker_member_id,
        tokens=_document(question.title, question.body),
    )


async def index_faq(session: AsyncSession, entry: FaqEntry) -> None:
    if entry.withdrawn_at is not None:  # a withdrawn entry is no longer anyone's FAQ
        await remove(session, SearchKind.FAQ, entry.id)
        return
    await _upsert(
        session,
        SearchKind.FAQ,
        entry.id,
        org_id=entry.org_id,
        routed_org_id=None,
        asker_member_id=None,
        tokens=_document(entry.title, entry.question_text, entry.answer_text),
    )


async def remove(session: AsyncSession, kind: SearchKind, ref_id: int) -> None:
    entry = await session.scalar(
        select(QaSearchEntry).where(QaSearchEntry.kind == kind, QaSearchEntry.ref_id == ref_id)
    )
    if entry is not None:
        await session.delete(entry)
        await session.flush()


def _inline(value: object, type_: TypeEngine[Any]) -> BindParameter[Any]:
    """``value`` written into the statement when it runs, not sent as a parameter. As
    parameters, asyncpg's prepared statement went to PostgreSQL's generic plan after its
    fifth run, which neither folds the tsquery into a constant nor intersects the scope's
    bitmaps: 1.1 s for an instructor's 党费 against 20 ms (bench/README.md, Q&A search).
    The values are ids and the query's terms, which are letters and digits only."""
    return bindparam(None, value, type_=type_, literal_execute=True)


def _ids(values: Sequence[int]) -> BindParameter[Any]:
    return bindparam(None, list(values), type_=Integer(), expanding=True, literal_execute=True)


def _kind_is(kind: SearchKind) -> ColumnElement[bool]:
    return QaSearchEntry.kind == literal_column(f"'{kind.value}'")


def _scope(
    faq_org_ids: Sequence[int],
    own_member_id: int | None,
    routed_org_ids: Sequence[int] | None,
    everything: bool,
) -> ColumnElement[bool]:
    """Lists of ids, never subqueries: each part is then an index scan PostgreSQL can
    intersect with the words' (a BitmapAnd), instead of reading every row that holds them."""
    if everything:
        return true()
    parts: list[ColumnElement[bool]] = []
    if faq_org_ids:
        parts.append(and_(_kind_is(SearchKind.FAQ), QaSearchEntry.org_id.in_(_ids(faq_org_ids))))
    if own_member_id is not None:
        parts.append(
            and_(
                _kind_is(SearchKind.QUESTION),
                QaSearchEntry.asker_member_id == _inline(own_member_id, Integer()),
            )
        )
    if routed_org_ids:
        parts.append(
            and_(
                _kind_is(SearchKind.QUESTION),
                QaSearchEntry.routed_org_id.in_(_ids(routed_org_ids)),
            )
        )
    return or_(*parts) if parts else false()


# PostgreSQL's stored tsvector (migration 0018), not in the models: its GIN index answers
# the match and ts_rank reads it, where re-parsing ``tokens`` cost ~65 µs a matching row.
_VECTOR: ColumnElement[str] = literal_column("qa_search_entries.vector")


def _tsquery(terms: list[str]) -> ColumnElement[str]:
    # Each term a quoted lexeme ('' doubles a quote, \\ escapes a backslash): tsquery's own
    # syntax (& | ! ( ) : *) inside a term is then text, never an operator.
    quoted = " & ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)
    return func.to_tsquery(literal_column("'simple'"), _inline(quoted, String()))


def _postgres(
    terms: list[str], cover: list[str], scope: ColumnElement[bool]
) -> Select[SearchKind, int, float]:
    """The rows of the scope that hold the cover's terms, then those that hold them all: the
    planner plans the inner query alone (OFFSET 0 keeps it from merging the two), so it
    estimates the cover, not the product of every bigram, and intersects the words' bitmap
    with the scope's."""
    words = _tsquery(terms)
    candidates = (
        select(
            QaSearchEntry.kind,
            QaSearchEntry.ref_id,
            QaSearchEntry.id,
            func.ts_rank(_VECTOR, words, type_=Float).label("rank"),
            _VECTOR.bool_op("@@")(words).label("exact"),
        )
        .where(_VECTOR.bool_op("@@")(_tsquery(cover)), scope)
        .offset(_inline(0, Integer()))
        .subquery("candidates")
    )
    return (
        select(candidates.c.kind, candidates.c.ref_id, candidates.c.rank)
        .where(candidates.c.exact)
        .order_by(candidates.c.rank.desc(), candidates.c.id)
    )


def _sqlite(terms: list[str], scope: ColumnElement[bool]) -> Select[SearchKind, int, float]:
    # Each term an FTS5 string ("" doubles a quote), so AND/OR/NOT, * and ^ are text.
    match = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
    rank: ColumnElement[float] = literal_column("-bm25(qa_search_fts)", Float)  # lower: better
    return (
        select(QaSearchEntry.kind, QaSearchEntry.ref_id, rank)
        .select_from(QaSearchEntry)
        .join(_FTS, _FTS.c.rowid == QaSearchEntry.id)
        .where(text("qa_search_fts MATCH :match").bindparams(match=match), scope)
        .order_by(rank.desc(), QaSearchEntry.id)
    )


async def search(
    session: AsyncSession,
    query: str,
    *,
    faq_org_ids: Sequence[int],
    own_member_id: int | None,
    routed_org_ids: Sequence[int] | None,
    everything: bool = False,
    limit: int,
) -> list[Hit]:
    """The FAQ entries of ``faq_org_ids`` (the caller's organizations and their ancestors,
    and the organizations an instructor serves), the questions ``own_member_id`` asked and
    those routed to one of ``routed_org_ids`` (the organizations of an instructor's scope),
    or with ``everything`` (a system admin) every entry and question, that contain every
    term of the query, best first."""
    terms = query_tokens(query)
    if not terms or limit <= 0:
        return []
    scope = _scope(faq_org_ids, own_member_id, routed_org_ids, everything)
    if session.get_bind().dialect.name == "postgresql":
        statement = _postgres(terms, query_cover(query), scope)
    else:
        statement = _sqlite(terms, scope)
    rows = (await session.execute(statement.limit(_inline(limit, Integer())))).all()
    return [Hit(SearchKind(kind), int(ref_id), float(rank)) for kind, ref_id, rank in rows]
