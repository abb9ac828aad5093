"""会议记录: written by a manager of the activity once it has started, editable with its
attachments until a committee admin (minutes:review) marks it reviewed; read by either."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activities import service as activities_service
from app.activities.errors import ActivityNotFound
from app.attendance import service as attendance_service
from app.auth.permissions import Permission
from app.auth.scope import Principal, Scope
from app.config import Settings
from app.errors import Forbidden
from app.minutes.errors import (
    ActivityNotHeld,
    AttachmentNotFound,
    EmptyFile,
    MinutesNotFound,
    MinutesReviewed,
    TooEarly,
    TypeNotAllowed,
)
from app.minutes.schemas import MinutesWrite
from app.models import Activity, ActivityStatus, Member, Minutes, MinutesAttachment

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Content type -> (file extensions, how the file starts).
ALLOWED_TYPES: dict[str, tuple[tuple[str, ...], tuple[bytes, ...]]] = {
    "image/jpeg": ((".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    "image/png": ((".png",), (b"\x89PNG\r\n\x1a\n",)),
    "image/webp": ((".webp",), (b"RIFF",)),
    "application/pdf": ((".pdf",), (b"%PDF-",)),
    DOCX: ((".docx",), (b"PK\x03\x04",)),
    XLSX: ((".xlsx",), (b"PK\x03\x04",)),
}
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
# What clients send when they do not know: the extension decides then.
_UNKNOWN_TYPES = {"", "application/octet-stream", "binary/octet-stream"}
FILENAME_MAX = 200


# --- who may read -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    activity: Activity
    can_manage: bool
    can_review: bool


async def get_readable(session: AsyncSession, principal: Principal, activity_id: int) -> Access:
    """The activity, for a caller who manages it or reviews minutes over its organization."""
    manage = principal.scope(Permission.ACTIVITIES_MANAGE)
    review = principal.scope(Permission.MINUTES_REVIEW)
    if manage.is_empty and review.is_empty:
        raise Forbidden()
    can_manage = manage.covers(Activity.org_id)
    can_review = review.covers(Activity.org_id)
    row = (
        await session.execute(
            select(Activity, can_manage.label("can_manage"), can_review.label("can_review")).where(
                Activity.id == activity_id, or_(can_manage, can_review)
            )
        )
    ).one_or_none()
    if row is None:
        raise ActivityNotFound()
    return Access(row.Activity, bool(row.can_manage), bool(row.can_review))


async def get_minutes(session: AsyncSession, activity_id: int, *, lock: bool = False) -> Minutes:
    query = select(Minutes).where(Minutes.activity_id == activity_id)
    if lock:
        query = query.with_for_update()
    minutes = await session.scalar(query)
    if minutes is None:
        raise MinutesNotFound()
    return minutes


@dataclass(frozen=True)
class AccountName:
    account_id: int
    name: str | None  # of the member linked to the account, if any


@dataclass(frozen=True)
class MinutesView:
    """The minutes as a reader sees them, with the activity's figures and attachments."""

    minutes: Minutes
    written_by: AccountName | None
    reviewed_by: AccountName | None
    editable: bool  # the reader may still change them and their attachments
    attendance: attendance_service.RosterSummary
    attachments: Sequence[MinutesAttachment]


async def view(
    session: AsyncSession,
    principal: Principal,
    activity_id: int,
    *,
    settings: Settings,
    now: datetime,
) -> MinutesView:
    access = await get_readable(session, principal, activity_id)
    minutes = await get_minutes(session, access.activity.id)
    names = await _names_of_accounts(
        session, [minutes.written_by_account_id, minutes.reviewed_by_account_id]
    )

    def named(account_id: int | None) -> AccountName | None:
        return None if account_id is None else AccountName(account_id, names.get(account_id))

    return MinutesView(
        minutes=minutes,
        written_by=named(minutes.written_by_account_id),
        reviewed_by=named(minutes.reviewed_by_account_id),
        editable=access.can_manage and minutes.reviewed_at is None,
        attendance=await attendance_service.activity_figures(
            session, access.activity, settings=settings, now=now
        ),
        attachments=await attachments_of(session, access.activity.id),
    )


async def _names_of_accounts(
    session: AsyncSession, account_ids: Iterable[int | None]
) -> dict[int, str]:
    wanted = {i for i in account_ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Member.account_id, Member.name).where(Member.account_id.in_(wanted))
    )
    return {account_id: name for account_id, name in rows if account_id is not None}


# --- writing and reviewing --------------------------------------------------------------------


async def save(
    session: AsyncSession,
    manage_scope: Scope,
    activity_id: int,
    body: MinutesWrite,
    *,
    account_id: int,
    now: datetime,
) -> Minutes:
    """Create or replace the minutes of an activity that has started."""
    activity = await activities_service.get_in_scope(session, manage_scope, activity_id)
    if activity.status is not ActivityStatus.PUBLISHED:
        raise ActivityNotHeld()
    if now < activity.starts_at:
        raise TooEarly()
    minutes = await session.scalar(
        select(Minutes).where(Minutes.activity_id == activity.id).with_for_update()
    )
    if minutes is None:
        minutes = Minutes(activity_id=activity.id, content=body.content, created_at=now)
        session.add(minutes)
    elif minutes.reviewed_at is not None:
        raise MinutesReviewed()
    minutes.content = body.content
    minutes.decisions = body.decisions or None
    minutes.written_by_account_id = account_id
    minutes.updated_at = now
    await session.flush()
    return minutes


async def review(
    session: AsyncSession, review_scope: Scope, activity_id: int, *, account_id: int, now: datetime
) -> Minutes:
    activity = await activities_service.get_in_scope(session, review_scope, activity_id)
    minutes = await get_minutes(session, activity.id, lock=True)
    if minutes.reviewed_at is not None:
        raise MinutesReviewed()
    minutes.reviewed_at = minutes.updated_at = now
    minutes.reviewed_by_account_id = account_id
    await session.flush()
    return minutes


async def _refuse_if_reviewed(session: AsyncSession, activity_id: int, *, lock: bool) -> None:
    query = select(Minutes.reviewed_at).where(Minutes.activity_id == activity_id)
    if lock:
        # FOR SHARE: a review committing meanwhile waits for this change, or this for it.
        query = query.with_for_update(read=True)
    if await session.scalar(query) is not None:
        raise MinutesReviewed()


# --- attachments ------------------------------------------------------------------------------


async def attachments_of(session: AsyncSession, activity_id: int) -> Sequence[MinutesAttachment]:
    rows = await session.scalars(
        select(MinutesAttachment)
        .where(MinutesAttachment.activity_id == activity_id)
        .order_by(MinutesAttachment.id)
    )
    return rows.all()


async def list_attachments(
    session: AsyncSession, activity_id: int, *, after_id: int | None, limit: int
) -> Sequence[MinutesAttachment]:
    """A page of ``attachments_of``, oldest first."""
    query = select(MinutesAttachment).where(MinutesAttachment.activity_id == activity_id)
    if after_id is not None:
        query = query.where(MinutesAttachment.id > after_id)
    return (await session.scalars(query.order_by(MinutesAttachment.id).limit(limit))).all()


async def open_for_attachments(
    session: AsyncSession, manage_scope: Scope, activity_id: int, *, lock: bool = True
) -> Activity:
    """The activity, if the caller manages it and its minutes are not reviewed yet; ``lock``
    keeps it so until the transaction ends (a writer's), where a reader only looks."""
    activity = await activities_service.get_in_scope(session, manage_scope, activity_id)
    await _refuse_if_reviewed(session, activity.id, lock=lock)
    return activity


def new_storage_key(activity_id: int) -> str:
    return f"activities/{activity_id}/{secrets.token_hex(16)}"


def clean_filename(raw: str | None, content_type: str) -> str:
    """The last path component, without control characters, at most 200 characters with
    the extension kept; never empty."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C")).strip()
    if name in ("", ".", ".."):
        name = "附件" + ALLOWED_TYPES[content_type][0][0]
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 10:
            name = f"{stem[: FILENAME_MAX - len(extension) - 1]}.{extension}"
        else:
            name = name[:FILENAME_MAX]
    return name


def _type_not_allowed(declared: str) -> TypeNotAllowed:
    return TypeNotAllowed(
        details={"content_type": declared[:100], "allowed": sorted(ALLOWED_TYPES)}
    )


def classify(filename: str | None, declared_type: str | None, data: bytes) -> str:
    """The content type to store: the declared one (or, when the client did not know, the
    one the extension names), if allowed and the bytes start the way that type does."""
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    declared = _ALIASES.get(declared, declared)
    if not data:
        raise EmptyFile()
    if declared in ALLOWED_TYPES:
        content_type = declared
    elif declared in _UNKNOWN_TYPES:
        extension = (
            "." + (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
        )
        found = [t for t, (extensions, _) in ALLOWED_TYPES.items() if extension in extensions]
        if not found:
            raise _type_not_allowed(declared)
        content_type = found[0]
    else:
        raise _type_not_allowed(declared)
    signatures = ALLOWED_TYPES[content_type][1]
    if not data.startswith(signatures) or (content_type == "image/webp" and data[8:12] != b"WEBP"):
        raise _type_not_allowed(declared)
    return content_type


async def add_attachment(
    session: AsyncSession,
    activity: Activity,
    *,
    filename: str,
    content_type: str,
    size_bytes: int,
    storage_key: str,
    account_id: int,
    now: datetime,
) -> MinutesAttachment:
    attachment = MinutesAttachment(
        activity_id=activity.id,
        filename=filename,
        content_type=content_type,
        size_bytes=size_bytes,
        storage_key=storage_key,
        uploaded_by_account_id=account_id,
        created_at=now,
    )
    session.add(attachment)
    await session.flush()
    return attachment


async def get_attachment(
    session: AsyncSession, activity_id: int, attachment_id: int
) -> MinutesAttachment:
    attachment = await session.scalar(
        select(MinutesAttachment).where(
            MinutesAttachment.id == attachment_id, MinutesAttachment.activity_id == activity_id
        )
    )
    if attachment is None:
        raise AttachmentNotFound()
    return attachment


async def delete_attachment(
    session: AsyncSession, manage_scope: Scope, activity_id: int, attachment_id: int
) -> str:
    """Removes the row; returns the storage key, to delete once the transaction commits."""
    activity = await activities_service.get_in_scope(session, manage_scope, activity_id)
    attachment = await get_attachment(session, activity.id, attachment_id)
    await _refuse_if_reviewed(session, activity.id, lock=True)
    await session.delete(attachment)
    await session.flush()
    return attachment.storage_key
