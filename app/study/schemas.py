from __future__ import annotations

from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import (
    Lax,
    MultiLine,
    NoControlChars,
    RequestModel,
    Text50,
    Text100,
    Text200,
)
from app.models import MaterialKind, MaterialStatus

MAX_LENGTH_SECONDS = 86_400
MAX_SESSION_MATERIALS = 20


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("video_url must be an https URL")
    return value


def _unique(values: list[int]) -> list[int]:
    return list(dict.fromkeys(values))


# As news's article body: lines, tabs and leading spaces kept; sanitized before it is shown.
Body = Annotated[str, StringConstraints(min_length=1, max_length=100_000), MultiLine]
VideoUrl = Annotated[
    str, StringConstraints(max_length=500), NoControlChars, AfterValidator(_https_url)
]
Seconds = Annotated[int, Field(ge=1, le=MAX_LENGTH_SECONDS)]


class MaterialCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    kind: Annotated[MaterialKind, Lax]
    org_id: DbId = Field(description="The owning organization; its subtree's members study it")
    title: Text100
    category: Text50 = Field(description="Free text, e.g. 党章党规, 理论学习")
    summary: Text200 | None = None
    body: Body | None = Field(default=None, description="An article's HTML; required for one")
    video_url: VideoUrl | None = Field(
        default=None, description="A video's https URL (or upload its file)"
    )
    length_seconds: Seconds = Field(description="Reading or running time")
    required_seconds: Seconds | None = Field(
        default=None, description="Credited time that makes it done; default 80 % of the length"
    )

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        if self.kind is MaterialKind.ARTICLE and self.body is None:
            raise ValueError("an article needs a body")
        if self.kind is not MaterialKind.ARTICLE and self.body is not None:
            raise ValueError("only an article has a body")
        if self.kind is not MaterialKind.VIDEO and self.video_url is not None:
            raise ValueError("only a video has a video_url")
        return self


class MaterialUpdate(RequestModel):
    """Absent fields stay; ``summary`` and ``video_url`` may be set to null to clear them."""

    model_config = ConfigDict(extra="forbid")

    title: Text100 | None = None
    category: Text50 | None = None
    summary: Text200 | None = None
    body: Body | None = None
    video_url: VideoUrl | None = None
    length_seconds: Seconds | None = None
    required_seconds: Seconds | None = None


class MaterialRead(BaseModel):
    """A material as its managers see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    kind: MaterialKind
    title: str
    category: str
    summary: str | None
    body: str | None = Field(description="The author's source; managers only")
    body_html: str | None = Field(description="Sanitized HTML for the rich-text view")
    video_url: str | None
    has_file: bool = False
    filename: str | None
    content_type: str | None
    size_bytes: int | None
    length_seconds: int
    required_seconds: int
    status: MaterialStatus
    published_at: ShownTime | None
    archived_at: ShownTime | None
    created_at: ShownTime
    updated_at: ShownTime


class Progress(BaseModel):
    """The caller's own figures on one material."""

    model_config = ConfigDict(from_attributes=True)

    credited_seconds: int = 0
    required_seconds: int
    completed: bool = False
    position_seconds: int | None = None


class MaterialBrief(Progress):
    """A material in a member's list, with the caller's progress."""

    id: int
    org_id: int
    kind: MaterialKind
    title: str
    category: str
    summary: str | None
    length_seconds: int
    status: MaterialStatus
    published_at: ShownTime | None


class MaterialDetail(MaterialBrief):
    """A material as a member studies it (``body`` is left out: ``body_html`` is shown)."""

    body_html: str | None
    body: str | None = Field(default=None, description="The source, for its managers only")
    video_url: str | None
    has_file: bool = False
    filename: str | None
    content_type: str | None


class ManagedBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    kind: MaterialKind
    title: str
    category: str
    length_seconds: int
    required_seconds: int
    status: MaterialStatus
    published_at: ShownTime | None
    updated_at: ShownTime


class Heartbeat(RequestModel):
    """Nothing here is trusted for time: the server's clock alone credits it. Any other
    field (a client time, a duration) is refused."""

    model_config = ConfigDict(extra="forbid")

    position_seconds: int | None = Field(
        default=None,
        ge=0,
        le=MAX_LENGTH_SECONDS,
        description="Where the video is, for resuming (0..length)",
    )


class HeartbeatAnswer(BaseModel):
    material_id: int
    credited_seconds: int = Field(description="The caller's total on this material")
    required_seconds: int
    completed: bool


class SessionMaterials(RequestModel):
    model_config = ConfigDict(extra="forbid")

    material_ids: Annotated[
        list[DbId], Field(max_length=MAX_SESSION_MATERIALS), AfterValidator(_unique)
    ]


class SessionMaterial(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: MaterialKind
    title: str
    category: str
    length_seconds: int
    required_seconds: int
    status: MaterialStatus


class SessionMaterialsRead(BaseModel):
    activity_id: int
    materials: list[SessionMaterial]
