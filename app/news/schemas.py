from __future__ import annotations

import enum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import Lax, Moment, MultiLine, NoControlChars, RequestModel, line
from app.models import ArticleStatus, BodyFormat, NewsCategory, PartyStatus
from app.orgs.audience import DEFAULT_STATUSES, AudienceOrgs, AudienceStatuses

MAX_TAGS = 5


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("cover_url must be an https URL")
    return value


def _unique(values: list[int]) -> list[int]:
    return list(dict.fromkeys(values))


Title = Annotated[str, line(100), NoControlChars]
Summary = Annotated[str, line(200), NoControlChars]
# A body keeps its line breaks and tabs, and its leading spaces (Markdown indents).
Body = Annotated[str, StringConstraints(min_length=1, max_length=100_000), MultiLine]
CoverUrl = Annotated[
    str, StringConstraints(max_length=500), NoControlChars, AfterValidator(_https_url)
]
Tag = Annotated[str, line(20), NoControlChars]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(lambda v: _unique(v))]


class ArticleCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    summary: Summary = Field(description="Shown in the feed and sent as the push text")
    body: Body
    body_format: Annotated[BodyFormat, Lax] = BodyFormat.MARKDOWN
    cover_url: CoverUrl | None = None
    category: Annotated[NewsCategory, Lax]
    tags: Tags = Field(default=[])
    org_id: DbId | None = Field(
        default=None, description="Publishing organization; default: the first audience org"
    )
    audience_org_ids: AudienceOrgs
    audience_statuses: AudienceStatuses = Field(
        default_factory=lambda: list(DEFAULT_STATUSES),
        description="Default: full and probationary members",
    )
    pinned: bool = False


class ArticleUpdate(RequestModel):
    """Text may change until retraction; the audience only before publishing."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    summary: Summary | None = None
    body: Body | None = None
    body_format: Annotated[BodyFormat, Lax] | None = None
    cover_url: CoverUrl | None = None
    category: Annotated[NewsCategory, Lax] | None = None
    tags: Tags | None = None
    audience_org_ids: AudienceOrgs | None = None
    audience_statuses: AudienceStatuses | None = None


class PublishRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    publish_at: Moment | None = Field(
        default=None, description="In the future: scheduled; absent or past: published now"
    )


class ReadReport(RequestModel):
    model_config = ConfigDict(extra="forbid")

    seconds: int = Field(ge=1, le=86_400, description="Reading time since the last report")


class ArticleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    title: str
    summary: str
    body: str | None = Field(
        description="The author's source, for those who write for the article's "
        "organization; null for readers, who get body_html"
    )
    body_format: BodyFormat
    body_html: str = Field(description="Sanitized HTML for the rich-text view")
    withdrawn_notice: str | None = Field(
        default=None,
        description="Set when the article was retracted after it was sent to the caller: "
        "show this instead of the article (summary, body and cover are then empty)",
    )
    cover_url: str | None
    category: NewsCategory
    tags: list[str]
    status: ArticleStatus
    pinned: bool
    publish_at: ShownTime | None
    published_at: ShownTime | None
    retracted_at: ShownTime | None
    audience_org_ids: list[int]
    audience_statuses: list[PartyStatus]
    created_at: ShownTime
    updated_at: ShownTime
    read_at: ShownTime | None = Field(default=None, description="The caller's first read")


class ArticleBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    title: str
    summary: str
    category: NewsCategory
    status: ArticleStatus
    pinned: bool
    publish_at: ShownTime | None
    published_at: ShownTime | None
    retracted_at: ShownTime | None
    updated_at: ShownTime


class FeedItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    summary: str
    cover_url: str | None
    category: NewsCategory
    tags: list[str]
    pinned: bool
    published_at: ShownTime
    read: bool


class ReadState(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    article_id: int
    first_read_at: ShownTime
    seconds: int


class UnreadMember(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    member_id: int = Field(validation_alias="id")  # read from the Member
    name: str
    relation_org_id: int | None
    workplace_org_id: int | None


class StatsSplit(enum.StrEnum):
    CHILD = "child"


class ChildStats(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    org_id: int
    name: str
    audience: int = Field(description="Audience members whose relation or workplace is in it")
    readers: int
    read_rate: float


class ArticleStats(BaseModel):
    article_id: int
    audience: int = Field(description="Audience members within the caller's scope")
    readers: int
    read_rate: float = Field(description="readers / audience, 0 when nobody is in it")
    total_seconds: int
    not_read: list[UnreadMember]
    next_cursor: str | None = None
    by_child: list[ChildStats] | None = Field(
        default=None,
        description="With by=child: the same figures per child organization (a member in "
        "two, by relation and by workplace, counts in both)",
    )
