"""Search over the FAQ and the caller's questions (issue 12, item 5)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import CurrentPrincipal
from app.db import ReadSession
from app.idempotency.route import IdempotentRoute
from app.kit.types import Digits
from app.kit.validation import NoControlChars, line
from app.qa import faq as service
from app.qa.faq_schemas import SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, SEARCH_MAX, SearchResults

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/qa", tags=["qa"])

SearchWords = Annotated[str, line(SEARCH_MAX), NoControlChars]
SearchQuery = Annotated[
    SearchWords, Query(description="Words to find, e.g. 党费, 组织关系转接; every one must occur")
]


@router.get("/search")
async def search(
    q: SearchQuery,
    caller: CurrentPrincipal,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=SEARCH_LIMIT_MAX), Digits] = SEARCH_LIMIT_DEFAULT,
) -> SearchResults:
    """Find FAQ entries and questions, best match first.

    What the caller may see: the FAQ entries of the organizations above their relation and
    workplace, their own questions, and for instructors and committee admins (qa:answer)
    the FAQ entries of their scope and the questions routed into it. Two-character words
    (党费) and longer ones (组织关系转接) are found anywhere in a title or a text. Not
    paged: the best ``limit`` matches (default 20, at most 50); a narrower query finds the
    rest. ``q``: 1–50 characters after trimming (422 otherwise)."""
    viewer = await service.viewer_of(session, caller)
    return SearchResults(items=await service.find(session, viewer, q, limit))
