"""Study materials (学习资料): written by the study managers (secretary, instructor,
committee admin) of the owning organization, draft → published → archived, and read by the
members whose relation or workplace lies in that organization's subtree."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, exists, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.activities.service import in_org_subtree
from app.auth.scope import Principal, Scope
from app.kit.pagination import CursorKey
from app.kit.types import DbId
from app.kit.validation import Moment
from app.models import (
    MaterialKind,
    MaterialStatus,
    Member,
    OrgClosure,
    StudyMaterial,
    StudyProgress,
)
from app.news.sanitize import sanitize
from app.orgs import service as orgs_service
from app.study.errors import (
    EmptyFile,
    FieldNotForKind,
    FileTypeNotAllowed,
    MaterialArchived,
    MaterialIncomplete,
    MaterialNotArchivable,
    MaterialNotDeletable,
    MaterialNotDraft,
    MaterialNotFound,
    RequiredExceedsLength,
)
from app.study.schemas import MaterialCreate, MaterialUpdate, Progress

DEFAULT_REQUIRED_SHARE = 0.8
FILENAME_MAX = 200
# Content type -> (extensions, a check of how the file starts), per kind that takes a file.
MP4 = "video/mp4"
PDF = "application/pdf"
FILE_TYPES: dict[MaterialKind, dict[str, tuple[tuple[str, ...], Any]]] = {
    MaterialKind.VIDEO: {MP4: ((".mp4",), lambda data: data[4:8] == b"ftyp")},
    MaterialKind.DOCUMENT: {PDF: ((".pdf",), lambda data: data.startswith(b"%PDF-"))},
}
_UNKNOWN_TYPES = {"", "application/octet-stream", "binary/octet-stream"}


def default_required(length_seconds: int) -> int:
    return max(1, min(length_seconds, round(DEFAULT_REQUIRED_SHARE * length_seconds)))


def _check_required(length: int, required: int) -> None:
    if required > length:
        raise RequiredExceedsLength(
            details={"length_seconds": length, "required_seconds": required}
        )


def is_complete(material: StudyMaterial) -> bool:
    if material.kind is MaterialKind.VIDEO:
        return material.video_url is not None or material.storage_key is not None
    if material.kind is MaterialKind.DOCUMENT:
        return material.storage_key is not None
    return material.body_html is not None


def open_to(member_id: int) -> ColumnElement[bool]:
    """SQL: the member (a current one) has their relation or workplace in the subtree of the
    material's organization."""
    return exists(
        select(Member.id).where(
            Member.id == member_id, Member.current(), in_org_subtree(StudyMaterial.org_id)
        )
    )


def _studied_by(member_id: int) -> ColumnElement[bool]:
    return exists().where(
        StudyProgress.member_id == member_id, StudyProgress.material_id == StudyMaterial.id
    )


# --- managing ---------------------------------------------------------------------------------


async def get_in_scope(
    session: AsyncSession, scope: Scope, material_id: int, *, lock: bool = False
) -> StudyMaterial:
    query = select(StudyMaterial).where(
        StudyMaterial.id == material_id, scope.covers(StudyMaterial.org_id)
    )
    if lock:
        query = query.with_for_update()
    material = await session.scalar(query)
    if material is None:
        raise MaterialNotFound()
    return material


async def create(
    session: AsyncSession,
    scope: Scope,
    body: MaterialCreate,
    *,
    account_id: int | None,
    now: datetime,
) -> StudyMaterial:
    await orgs_service.get_in_scope(session, scope, body.org_id)
    required = body.required_seconds or default_required(body.length_seconds)
    _check_required(body.length_seconds, required)
    material = StudyMaterial(
        org_id=body.org_id,
        kind=body.kind,
        title=body.title,
        category=body.category,
        summary=body.summary,
        body=body.body,
        body_html=sanitize(body.body) if body.body is not None else None,
        video_url=body.video_url,
        length_seconds=body.length_seconds,
        required_seconds=required,
        status=MaterialStatus.DRAFT,
        created_by_account_id=account_id,
        created_at=now,
        updated_at=now,
    )
    session.add(material)
    await session.flush()
    return material


def _refuse_for_kind(material: StudyMaterial, changes: dict[str, Any]) -> None:
    wrong = None
    if "body" in changes and material.kind is not MaterialKind.ARTICLE:
        wrong = "body"
    elif "video_url" in changes and material.kind is not MaterialKind.VIDEO:
        wrong = "video_url"
    if wrong is not None:
        raise FieldNotForKind(details={"field": wrong, "kind": material.kind.value})


async def update(
    session: AsyncSession, scope: Scope, material_id: int, body: MaterialUpdate, *, now: datetime
) -> StudyMaterial:
    changes = body.model_dump(exclude_unset=True)
    material = await get_in_scope(session, scope, material_id, lock=True)
    if material.status is MaterialStatus.ARCHIVED:
        raise MaterialArchived()
    _refuse_for_kind(material, changes)
    for name in ("title", "category", "length_seconds", "required_seconds"):
        if changes.get(name) is not None:
            setattr(material, name, changes[name])
    for name in ("summary", "video_url"):  # null clears these
        if name in changes:
            setattr(material, name, changes[name])
    if changes.get("body") is not None:
        material.body = changes["body"]
        material.body_html = sanitize(changes["body"])
    _check_required(material.length_seconds, material.required_seconds)
    if material.status is MaterialStatus.PUBLISHED and not is_complete(material):
        raise MaterialIncomplete()
    if changes:
        material.updated_at = now
    await session.flush()
    return material


async def publish(
    session: AsyncSession, scope: Scope, material_id: int, *, now: datetime
) -> StudyMaterial:
    material = await get_in_scope(session, scope, material_id, lock=True)
    if material.status is not MaterialStatus.DRAFT:
        raise MaterialNotDraft()
    if not is_complete(material):
        raise MaterialIncomplete()
    material.status = MaterialStatus.PUBLISHED
    material.published_at = material.updated_at = now
    await session.flush()
    return material


async def archive(
    session: AsyncSession, scope: Scope, material_id: int, *, now: datetime
) -> StudyMaterial:
    material = await get_in_scope(session, scope, material_id, lock=True)
    if material.status is not MaterialStatus.PUBLISHED:
        raise MaterialNotArchivable()
    material.status = MaterialStatus.ARCHIVED
    material.archived_at = material.updated_at = now
    await session.flush()
    return material


async def delete(session: AsyncSession, scope: Scope, material_id: int) -> str | None:
    """Removes a draft; returns its stored file's key, to delete once the transaction commits."""
    material = await get_in_scope(session, scope, material_id, lock=True)
    if material.status is not MaterialStatus.DRAFT:
        raise MaterialNotDeletable()
    key = material.storage_key
    await session.delete(material)
    await session.flush()
    return key


async def list_managed(
    session: AsyncSession,
    scope: Scope,
    *,
    status: MaterialStatus | None,
    org_id: int | None,
    after_id: int | None,
    limit: int,
) -> Sequence[StudyMaterial]:
    """Newest first, any status; ``org_id``: that organization's subtree."""
    query = select(StudyMaterial).where(scope.covers(StudyMaterial.org_id))
    if status is not None:
        query = query.where(StudyMaterial.status == status)
    if org_id is not None:
        subtree = select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id == org_id)
        query = query.where(StudyMaterial.org_id.in_(subtree))
    if after_id is not None:
        query = query.where(StudyMaterial.id < after_id)
    return (await session.scalars(query.order_by(StudyMaterial.id.desc()).limit(limit))).all()


# --- files ------------------------------------------------------------------------------------


def check_takes_file(material: StudyMaterial) -> None:
    if material.status is MaterialStatus.ARCHIVED:
        raise MaterialArchived()
    if material.kind not in FILE_TYPES:
        raise FileTypeNotAllowed(details={"content_type": "", "allowed": []})


def classify(
    kind: MaterialKind, filename: str | None, declared_type: str | None, data: bytes
) -> str:
    """The content type to store: the declared one (or, when the client did not know, the
    one the extension names), if this kind takes it and the bytes look like it."""
    allowed = FILE_TYPES.get(kind, {})
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    refused = FileTypeNotAllowed(
        details={"content_type": declared[:100], "allowed": sorted(allowed)}
    )
    if not data:
        raise EmptyFile()
    if declared in allowed:
        content_type = declared
    elif declared in _UNKNOWN_TYPES:
        name = (filename or "").lower()
        found = [t for t, (extensions, _) in allowed.items() if name.endswith(extensions)]
        if not found:
            raise refused
        content_type = found[0]
    else:
        raise refused
    if not allowed[content_type][1](data):
        raise refused
    return content_type


def new_storage_key(material_id: int) -> str:
    return f"study/{material_id}/{secrets.token_hex(16)}"


def clean_filename(raw: str | None, content_type: str) -> str:
    """As an attachment's (app/minutes/service.py): the last path component, no control
    characters, at most 200 characters with the extension kept; never empty."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C")).strip()
    if name in ("", ".", ".."):
        name = "学习资料" + (".mp4" if content_type == MP4 else ".pdf")
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 10:
            name = f"{stem[: FILENAME_MAX - len(extension) - 1]}.{extension}"
        else:
            name = name[:FILENAME_MAX]
    return name


async def attach_file(
    session: AsyncSession,
    scope: Scope,
    material_id: int,
    *,
    key: str,
    filename: str,
    content_type: str,
    size_bytes: int,
    now: datetime,
) -> tuple[StudyMaterial, str | None]:
    """Stores the file's row on the material; returns the key of the file it replaced."""
    material = await get_in_scope(session, scope, material_id, lock=True)
    check_takes_file(material)
    replaced = material.storage_key
    material.storage_key = key
    material.filename = filename
    material.content_type = content_type
    material.size_bytes = size_bytes
    material.updated_at = now
    await session.flush()
    return material, replaced


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """A material as one caller may see it, with their progress (if they are a member)."""

    material: StudyMaterial
    progress: Progress
    managed: bool


def _progress_of(material: StudyMaterial, row: StudyProgress | None) -> Progress:
    if row is None:
        return Progress(required_seconds=material.required_seconds)
    return Progress(
        credited_seconds=row.credited_seconds,
        required_seconds=material.required_seconds,
        completed=row.completed_at is not None,
        position_seconds=row.position_seconds,
    )


async def _own_progress(
    session: AsyncSession, member_id: int | None, material_id: int
) -> StudyProgress | None:
    if member_id is None:
        return None
    return await session.get(StudyProgress, (member_id, material_id))


async def get_seen(
    session: AsyncSession, principal: Principal, manage_scope: Scope, material_id: int
) -> Seen:
    """For a manager in scope: any status. For a member: a published material open to them,
    or an archived one they studied. 404 for anyone else."""
    material = None
    managed = False
    if not manage_scope.is_empty:
        material = await session.scalar(
            select(StudyMaterial).where(
                StudyMaterial.id == material_id, manage_scope.covers(StudyMaterial.org_id)
            )
        )
        managed = material is not None
    member_id = principal.member_id
    if material is None and member_id is not None:
        material = await session.scalar(
            select(StudyMaterial).where(
                StudyMaterial.id == material_id,
                open_to(member_id),
                (StudyMaterial.status == MaterialStatus.PUBLISHED)
                | and_(StudyMaterial.status == MaterialStatus.ARCHIVED, _studied_by(member_id)),
            )
        )
    if material is None:
        raise MaterialNotFound()
    progress = await _own_progress(session, member_id, material.id)
    return Seen(material, _progress_of(material, progress), managed)


class MaterialKey(CursorKey):
    """Where a member's page ends: (published_at, id), newest first."""

    at: Moment
    id: DbId


ListRow = Row[Any]


def material_key(row: ListRow) -> MaterialKey:
    return MaterialKey(at=row.published_at, id=row.id)


async def list_for_member(
    session: AsyncSession,
    member_id: int,
    *,
    category: str | None,
    kind: MaterialKind | None,
    after: MaterialKey | None,
    limit: int,
) -> Sequence[Any]:
    """Published materials open to the member, newest first, with their progress."""
    query = (
        select(
            StudyMaterial.id,
            StudyMaterial.org_id,
            StudyMaterial.kind,
            StudyMaterial.title,
            StudyMaterial.category,
            StudyMaterial.summary,
            StudyMaterial.length_seconds,
            StudyMaterial.required_seconds,
            StudyMaterial.status,
            StudyMaterial.published_at,
            func.coalesce(StudyProgress.credited_seconds, 0).label("credited_seconds"),
            StudyProgress.completed_at.is_not(None).label("completed"),
            StudyProgress.position_seconds,
        )
        .outerjoin(
            StudyProgress,
            and_(
                StudyProgress.material_id == StudyMaterial.id,
                StudyProgress.member_id == member_id,
            ),
        )
        .where(StudyMaterial.status == MaterialStatus.PUBLISHED, open_to(member_id))
    )
    if category is not None:
        query = query.where(StudyMaterial.category == category)
    if kind is not None:
        query = query.where(StudyMaterial.kind == kind)
    if after is not None:
        query = query.where(
            tuple_(StudyMaterial.published_at, StudyMaterial.id)
            < tuple_(
                literal(after.at, StudyMaterial.published_at.type),
                literal(after.id, StudyMaterial.id.type),
            )
        )
    order = (StudyMaterial.published_at.desc(), StudyMaterial.id.desc())
    return (await session.execute(query.order_by(*order).limit(limit))).all()
