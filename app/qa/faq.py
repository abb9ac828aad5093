"""The FAQ (issue 12, item 4) and what search shows of its hits (item 5).

An instructor or committee admin (qa:answer) publishes a question that has an accepted
answer to the FAQ of an organization in their scope; the question must be in their scope
too, routed there or asked from there. The entry's texts default to the question and its
accepted answer, the publisher may edit them, and the asker's name, wherever it appears in
them, becomes 某党员: an entry names nobody. Its search row is written in the same
transaction (``app.qa.search.index_faq``), and taken out when the entry is withdrawn.

Who sees an entry: a member, the entries of every organization above their relation and
their workplace (each its own ancestor), as news reaches them; staff with qa:answer, the
entries of their scope too, and those above it, which the members they serve see. A
withdrawn entry is nobody's.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Row,
    Select,
    false,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission
from app.auth.scope import Principal, Scope
from app.models import (
    FaqEntry,
    Member,
    OrgClosure,
    QaCategory,
    QaMessage,
    Question,
    SearchKind,
    Visibility,
)
from app.orgs import service as orgs_service
from app.qa import search as qa_search
from app.qa.faq_errors import (
    AlreadyInFaq,
    CategoryNotFound,
    FaqNotFound,
    NoAcceptedAnswer,
    QuestionNotFound,
)
from app.qa.faq_schemas import Asker, FaqPublish, FaqRead, FaqUpdate, SearchItem

# What an entry says instead of the asker's name.
ANONYMIZED = "某党员"
# A snippet: this many characters, starting a little before the first match.
SNIPPET_WIDTH = 80
SNIPPET_LEAD = 20


@dataclass(frozen=True, slots=True)
class Viewer:
    """Whose FAQ a caller reads and which questions they find, as lists of organizations:
    search intersects their index scans with the words' (app/qa/search.py)."""

    member_id: int | None
    # The organizations whose FAQ they see: every one above the member's relation and
    # workplace (none once the member has left), and for staff every one above and within
    # their qa:answer scope (what the members they serve see, and their own entries).
    org_ids: tuple[int, ...]
    # The organizations of their qa:answer scope: the questions routed there are theirs.
    served_org_ids: tuple[int, ...]
    staff: Scope  # qa:answer; everywhere for a system admin


def _viewer_orgs(
    member_id: int | None, roots: frozenset[int]
) -> Select[int, bool] | CompoundSelect[int, bool]:
    """(organization, whether the roots' scope holds it) for each organization above the
    member's and above the roots, and each one within the roots."""
    parts: list[Select[int, bool]] = []
    if member_id is not None:
        parts.append(
            select(OrgClosure.ancestor_id, false())
            .join(
                Member,
                OrgClosure.descendant_id.in_([Member.relation_org_id, Member.workplace_org_id]),
            )
            .where(Member.id == member_id, Member.current())
        )
    if roots:
        parts.append(
            select(OrgClosure.ancestor_id, false()).where(OrgClosure.descendant_id.in_(roots))
        )
        parts.append(
            select(OrgClosure.descendant_id, true()).where(OrgClosure.ancestor_id.in_(roots))
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)


async def viewer_of(session: AsyncSession, principal: Principal) -> Viewer:
    staff = principal.scope(Permission.QA_ANSWER)
    if principal.member_id is None and not staff.roots:
        return Viewer(principal.member_id, (), (), staff)
    rows = (await session.execute(_viewer_orgs(principal.member_id, staff.roots))).all()
    return Viewer(
        principal.member_id,
        org_ids=tuple(sorted({org_id for org_id, _ in rows})),
        served_org_ids=tuple(sorted({org_id for org_id, served in rows if served})),
        staff=staff,
    )


def _visible(viewer: Viewer) -> ColumnElement[bool]:
    seen = true() if viewer.staff.everywhere else FaqEntry.org_id.in_(viewer.org_ids)
    return FaqEntry.withdrawn_at.is_(None) & seen


def _entries(staff: Scope) -> Select[FaqEntry, str, bool]:
    """Entries with their category's name and whether ``staff`` manages them."""
    managed: ColumnElement[bool] = staff.covers(FaqEntry.org_id)
    return select(FaqEntry, QaCategory.name, managed.label("managed")).join(
        QaCategory, QaCategory.id == FaqEntry.category_id
    )


def _read(entry: FaqEntry, category_name: str, managed: bool) -> FaqRead:
    return FaqRead(
        id=entry.id,
        org_id=entry.org_id,
        category_id=entry.category_id,
        category_name=category_name,
        title=entry.title,
        question_text=entry.question_text,
        answer_text=entry.answer_text,
        published_at=entry.published_at,
        updated_at=entry.updated_at,
        managed=managed,
        question_id=entry.question_id if managed else None,
    )


def _row_read(row: Row[FaqEntry, str, bool]) -> FaqRead:
    entry, category_name, managed = row
    return _read(entry, category_name, bool(managed))


# --- reading ------------------------------------------------------------------------------


async def list_visible(
    session: AsyncSession,
    viewer: Viewer,
    *,
    org_id: int | None,
    category_id: int | None,
    after_id: int | None,
    limit: int,
) -> list[FaqRead]:
    """The entries the viewer sees, newest first; ``org_id``: those published to its
    subtree (an organization the viewer belongs under or manages, else org.not_found)."""
    query = _entries(viewer.staff).where(_visible(viewer))
    if org_id is not None:
        if org_id not in viewer.org_ids:
            await orgs_service.get_in_scope(session, viewer.staff, org_id)
        query = query.where(
            FaqEntry.org_id.in_(
                select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id == org_id)
            )
        )
    if category_id is not None:
        query = query.where(FaqEntry.category_id == category_id)
    if after_id is not None:
        query = query.where(FaqEntry.id < after_id)
    rows = (await session.execute(query.order_by(FaqEntry.id.desc()).limit(limit))).all()
    return [_row_read(row) for row in rows]


async def get_visible(session: AsyncSession, viewer: Viewer, faq_id: int) -> FaqRead:
    query = _entries(viewer.staff).where(FaqEntry.id == faq_id, _visible(viewer))
    row = (await session.execute(query)).first()
    if row is None:
        raise FaqNotFound()
    return _row_read(row)


# --- publishing and managing --------------------------------------------------------------


def _without_name(text: str, name: str | None) -> str:
    # A one-character name would blank that character everywhere; names have two or more.
    if name is None or len(name) < 2:
        return text
    return text.replace(name, ANONYMIZED)


async def _asker_name(session: AsyncSession, question_id: int | None) -> str | None:
    if question_id is None:
        return None
    return await session.scalar(
        select(Member.name)
        .join(Question, Question.asker_member_id == Member.id)
        .where(Question.id == question_id)
    )


async def _category_name(session: AsyncSession, category_id: int, org_id: int) -> str:
    """The name of a category an entry of ``org_id`` may have: everyone's, or one of a
    committee above it."""
    name = await session.scalar(
        select(QaCategory.name).where(
            QaCategory.id == category_id,
            or_(
                QaCategory.org_id.is_(None),
                QaCategory.org_id.in_(
                    select(OrgClosure.ancestor_id).where(OrgClosure.descendant_id == org_id)
                ),
            ),
        )
    )
    if name is None:
        raise CategoryNotFound()
    return name


async def _question_in_scope(session: AsyncSession, scope: Scope, question_id: int) -> Question:
    question = await session.scalar(
        select(Question)
        .where(
            Question.id == question_id,
            scope.covers(Question.routed_org_id) | scope.covers(Question.org_id),
        )
        .with_for_update()  # one publication of a question to an organization at a time
    )
    if question is None:
        raise QuestionNotFound()
    return question


async def publish(
    session: AsyncSession,
    scope: Scope,
    question_id: int,
    body: FaqPublish,
    *,
    account_id: int | None,
    now: datetime,
) -> FaqRead:
    question = await _question_in_scope(session, scope, question_id)
    await orgs_service.get_in_scope(session, scope, body.org_id)
    answer = await session.scalar(
        select(QaMessage.body).where(
            QaMessage.question_id == question.id,
            QaMessage.accepted_at.is_not(None),
            QaMessage.visibility == Visibility.VISIBLE,
        )
    )
    if answer is None:
        raise NoAcceptedAnswer()
    category_id = body.category_id or question.category_id
    category_name = await _category_name(session, category_id, body.org_id)
    published = await session.scalar(
        select(FaqEntry.id).where(
            FaqEntry.question_id == question.id,
            FaqEntry.org_id == body.org_id,
            FaqEntry.withdrawn_at.is_(None),
        )
    )
    if published is not None:
        raise AlreadyInFaq(details={"faq_id": published})
    name = await _asker_name(session, question.id)
    entry = FaqEntry(
        org_id=body.org_id,
        question_id=question.id,
        category_id=category_id,
        title=_without_name(body.title or question.title, name),
        question_text=_without_name(body.question_text or question.body, name),
        answer_text=_without_name(body.answer_text or answer, name),
        published_by_account_id=account_id,
        published_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    await session.flush()
    await qa_search.index_faq(session, entry)
    return _read(entry, category_name, managed=True)


async def _managed(session: AsyncSession, scope: Scope, faq_id: int) -> FaqEntry:
    entry = await session.scalar(
        select(FaqEntry)
        .where(
            FaqEntry.id == faq_id,
            FaqEntry.withdrawn_at.is_(None),
            scope.covers(FaqEntry.org_id),
        )
        .with_for_update()
    )
    if entry is None:
        raise FaqNotFound()
    return entry


async def update(
    session: AsyncSession, scope: Scope, faq_id: int, body: FaqUpdate, *, now: datetime
) -> FaqRead:
    """Edit an entry's texts or category; its search row follows."""
    entry = await _managed(session, scope, faq_id)
    changes = body.model_dump(exclude_none=True)
    category_id = changes.pop("category_id", entry.category_id)
    category_name = await _category_name(session, category_id, entry.org_id)
    if changes or category_id != entry.category_id:
        name = await _asker_name(session, entry.question_id)
        for field, text in changes.items():
            setattr(entry, field, _without_name(text, name))
        entry.category_id = category_id
        entry.updated_at = now
        await session.flush()
        await qa_search.index_faq(session, entry)
    return _read(entry, category_name, managed=True)


async def withdraw(session: AsyncSession, scope: Scope, faq_id: int, *, now: datetime) -> None:
    """Take an entry out of every list and search; the row stays, with ``withdrawn_at``."""
    entry = await _managed(session, scope, faq_id)
    entry.withdrawn_at = entry.updated_at = now
    await session.flush()
    await qa_search.remove(session, SearchKind.FAQ, entry.id)


# --- search -------------------------------------------------------------------------------


def _normalized(text: str) -> tuple[str, list[int]]:
    """``text`` as search's tokenizer sees it (NFKC, lower case), and for each of its
    characters the index of the character of ``text`` it came from."""
    parts: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        normal = unicodedata.normalize("NFKC", char).lower()
        parts.append(normal)
        origins.extend([index] * len(normal))
    return "".join(parts), origins


def snippet(texts: Sequence[str], terms: Sequence[str], width: int = SNIPPET_WIDTH) -> str:
    """``width`` characters of the first of ``texts`` that holds a term, from a little before
    the first term found in it (or the last ``width`` when that is near the end); the start of
    the first text when none holds one (the match was in the title). One line: runs of spaces
    and line breaks become one space."""
    lines = [" ".join(text.split()) for text in texts]
    for text in lines:
        normal, origins = _normalized(text)
        found = [at for term in terms if (at := normal.find(term)) >= 0]
        if found:
            start = max(0, origins[min(found)] - SNIPPET_LEAD)
            break
    else:
        text, start = (lines[0] if lines else ""), 0
    if start and len(text) - start < width:
        start = max(0, len(text) - width)
    cut = text[start : start + width]
    return ("…" if start else "") + cut + ("…" if start + width < len(text) else "")


async def find(session: AsyncSession, viewer: Viewer, query: str, limit: int) -> list[SearchItem]:
    """The FAQ entries the viewer sees, their own questions and the questions routed into
    their qa:answer scope that hold every term of ``query``, best first."""
    hits = await qa_search.search(
        session,
        query,
        faq_org_ids=viewer.org_ids,
        own_member_id=viewer.member_id,
        routed_org_ids=viewer.served_org_ids,
        everything=viewer.staff.everywhere,
        limit=limit,
    )
    terms = qa_search.query_tokens(query)
    faq_ids = [hit.ref_id for hit in hits if hit.kind is SearchKind.FAQ]
    question_ids = [hit.ref_id for hit in hits if hit.kind is SearchKind.QUESTION]
    items: dict[tuple[SearchKind, int], SearchItem] = {}
    if faq_ids:
        entries = await session.scalars(
            select(FaqEntry).where(FaqEntry.id.in_(faq_ids), FaqEntry.withdrawn_at.is_(None))
        )
        for entry in entries:
            items[SearchKind.FAQ, entry.id] = SearchItem(
                kind=SearchKind.FAQ,
                id=entry.id,
                title=entry.title,
                snippet=snippet([entry.question_text, entry.answer_text], terms),
                status=None,
                anonymous=None,
                asker=None,
            )
    if question_ids:
        staff = viewer.staff
        rows = await session.execute(
            select(
                Question,
                Member.name,
                (staff.covers(Question.routed_org_id) | staff.covers(Question.org_id)).label(
                    "staff"
                ),
            )
            .join(Member, Member.id == Question.asker_member_id)
            .where(Question.id.in_(question_ids))
        )
        for question, name, answers_it in rows:
            shown = bool(answers_it) or question.asker_member_id == viewer.member_id
            items[SearchKind.QUESTION, question.id] = SearchItem(
                kind=SearchKind.QUESTION,
                id=question.id,
                title=question.title,
                snippet=snippet([question.body], terms),
                status=question.status,
                anonymous=question.anonymous,
                asker=Asker(member_id=question.asker_member_id, name=name) if shown else None,
            )
    return [items[key] for hit in hits if (key := (hit.kind, hit.ref_id)) in items]
