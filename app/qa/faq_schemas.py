"""Requests and answers of the FAQ (publish, read, edit, withdraw) and of search."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import MultiLine, RequestModel, Text100, line
from app.models import QuestionStatus, SearchKind

TEXT_MAX = 5000
SEARCH_MAX = 50  # characters of a query: a phrase, not a pasted paragraph
SEARCH_LIMIT_DEFAULT = 20
SEARCH_LIMIT_MAX = 50

# A question's or an answer's text as the publisher leaves it: lines kept, ends stripped.
FaqText = Annotated[str, line(TEXT_MAX), MultiLine]


class FaqPublish(RequestModel):
    """What goes to the FAQ. Absent texts come from the question (its title and body) and
    its accepted answer; wherever the asker's name appears in them it becomes 某党员."""

    model_config = ConfigDict(extra="forbid")

    org_id: DbId = Field(
        description="The organization whose subtree's members see the entry; in the "
        "publisher's qa:answer scope"
    )
    title: Text100 | None = Field(default=None, description="Default: the question's title")
    question_text: FaqText | None = Field(default=None, description="Default: the question's body")
    answer_text: FaqText | None = Field(
        default=None, description="Default: the accepted answer's text"
    )
    category_id: DbId | None = Field(
        default=None,
        description="Default: the question's category. Everyone's, or one of a committee "
        "above org_id",
    )


class FaqUpdate(RequestModel):
    """Absent (or null) fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: Text100 | None = None
    question_text: FaqText | None = None
    answer_text: FaqText | None = None
    category_id: DbId | None = None


class FaqRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    category_id: int
    category_name: str
    title: str
    question_text: str
    answer_text: str
    published_at: ShownTime
    updated_at: ShownTime
    managed: bool = Field(
        description="The caller may edit and withdraw it (qa:answer over its organization)"
    )
    question_id: int | None = Field(
        description="The question it was published from, for those who manage it; null to "
        "others and once the question is gone"
    )


class Asker(BaseModel):
    member_id: int
    name: str


class SearchItem(BaseModel):
    kind: SearchKind
    id: int = Field(description="The FAQ entry's or the question's id, by kind")
    title: str
    snippet: str = Field(description="Up to 80 characters of the text around the first match")
    status: QuestionStatus | None = Field(description="A question's; null for an FAQ entry")
    anonymous: bool | None = Field(description="A question's; null for an FAQ entry")
    asker: Asker | None = Field(
        description="Who asked a question: shown to its asker and to the instructors and "
        "admins it is routed to (anonymous or not), never to other members; null for an FAQ "
        "entry"
    )


class SearchResults(BaseModel):
    items: list[SearchItem] = Field(description="Best match first; at most `limit`")
