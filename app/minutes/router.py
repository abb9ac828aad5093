from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.activities.errors import ActivityNotFound
from app.auth.dependencies import ActivitiesManager, CurrentPrincipal, MinutesReviewer
from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.db import DbSession, ReadSession
from app.errors import Forbidden, responses
from app.idempotency.route import IdempotentRoute
from app.kit import multipart
from app.kit.pagination import Page, PageParams, paginate
from app.kit.storage import Storage, StorageError
from app.kit.types import IdPath
from app.minutes import service
from app.minutes.errors import (
    ActivityNotHeld,
    AttachmentNotFound,
    AttachmentTooLarge,
    EmptyFile,
    FileMissing,
    MalformedUpload,
    MinutesNotFound,
    MinutesReviewed,
    TooEarly,
    TypeNotAllowed,
    UploadInterrupted,
)
from app.minutes.schemas import AttachmentRead, MinutesRead, MinutesWrite
from app.runtime import Runtime, RuntimeDep

logger = logging.getLogger("app.minutes")

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/activities", tags=["minutes"])

UPLOAD_FIELD = "file"
UPLOAD_REFUSALS = multipart.UploadRefusals(
    missing=FileMissing,
    malformed=MalformedUpload,
    interrupted=UploadInterrupted,
    too_large=AttachmentTooLarge,
)


async def _view(
    session: AsyncSession, caller: Principal, activity_id: int, runtime: Runtime
) -> service.MinutesView:
    # The figures say pending or absent as the attendance view does, by the same clock.
    return await service.view(
        session, caller, activity_id, settings=runtime.settings, now=runtime.clock.now()
    )


@router.get(
    "/{activity_id}/minutes",
    responses=responses(Forbidden, ActivityNotFound, MinutesNotFound),
)
async def get_minutes(
    activity_id: IdPath, caller: CurrentPrincipal, session: ReadSession, runtime: RuntimeDep
) -> MinutesRead:
    """The minutes of an activity, with its attendance figures and attachments."""
    return MinutesRead.model_validate(await _view(session, caller, activity_id, runtime))


@router.put(
    "/{activity_id}/minutes",
    responses=responses(ActivityNotFound, ActivityNotHeld, TooEarly, MinutesReviewed),
)
async def put_minutes(
    activity_id: IdPath,
    body: MinutesWrite,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> MinutesRead:
    """Write or replace the minutes once the activity has started, until they are reviewed."""
    await service.save(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        body,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return MinutesRead.model_validate(await _view(session, caller, activity_id, runtime))


@router.post(
    "/{activity_id}/minutes/review",
    responses=responses(ActivityNotFound, MinutesNotFound, MinutesReviewed),
)
async def review_minutes(
    activity_id: IdPath, caller: MinutesReviewer, session: DbSession, runtime: RuntimeDep
) -> MinutesRead:
    """Mark the minutes reviewed (committee admin); they and their attachments are then final."""
    await service.review(
        session,
        caller.scope(Permission.MINUTES_REVIEW),
        activity_id,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return MinutesRead.model_validate(await _view(session, caller, activity_id, runtime))


# --- attachments ------------------------------------------------------------------------------

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [UPLOAD_FIELD],
                    "properties": {UPLOAD_FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "/{activity_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_UPLOAD_BODY,
    responses=responses(
        ActivityNotFound,
        MinutesReviewed,
        FileMissing,
        MalformedUpload,
        UploadInterrupted,
        AttachmentTooLarge,
        EmptyFile,
        TypeNotAllowed,
        StorageError,
    ),
    description="Upload a photo or document: multipart/form-data field `file`, "
    "as wx.uploadFile sends it. "
    "Accepted: JPEG, PNG, WebP, PDF, DOCX, XLSX, up to the configured size (10 MiB by default). "
    "Refused once the minutes are reviewed.",
)
async def upload_attachment(
    activity_id: IdPath,
    request: Request,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> AttachmentRead:
    """Attach a photo or document to the activity's minutes."""
    scope = caller.scope(Permission.ACTIVITIES_MANAGE)
    # The writer's first statement takes SQLite's write lock, and an upload from a phone may
    # take minutes: refuse early through a read, receive and store the file, and only then
    # begin the writer, which checks again under its lock (the minutes may have been
    # reviewed meanwhile).
    async with runtime.read_sessionmaker() as read:
        await service.open_for_attachments(read, scope, activity_id, lock=False)
    received = await multipart.receive_file(
        request,
        UPLOAD_FIELD,
        limit=runtime.settings.attachment_max_bytes,
        refusals=UPLOAD_REFUSALS,
    )
    data = bytes(received.data)
    content_type = service.classify(received.filename, received.content_type, data)
    key = service.new_storage_key(activity_id)
    # Stored before the row: a failed commit leaves an orphaned object, never a row without one.
    await runtime.storage.put(key, data, content_type)
    try:
        activity = await service.open_for_attachments(session, scope, activity_id)
        attachment = await service.add_attachment(
            session,
            activity,
            filename=service.clean_filename(received.filename, content_type),
            content_type=content_type,
            size_bytes=len(data),
            storage_key=key,
            account_id=caller.account_id,
            now=runtime.clock.now(),
        )
    except Exception:
        await _delete_stored(runtime.storage, key)
        raise
    return AttachmentRead.model_validate(attachment)


@router.get("/{activity_id}/attachments", responses=responses(Forbidden, ActivityNotFound))
async def list_attachments(
    activity_id: IdPath, caller: CurrentPrincipal, session: ReadSession, page: PageParams
) -> Page[AttachmentRead]:
    """The attachments of an activity's minutes, oldest first."""
    access = await service.get_readable(session, caller, activity_id)
    attachments = await service.list_attachments(
        session, access.activity.id, after_id=page.after, limit=page.size + 1
    )
    return paginate(AttachmentRead, attachments, page)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the real (e.g. Chinese) name per RFC 5987."""
    fallback = "".join(ch if " " <= ch <= "~" and ch not in '"\\' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


_DOWNLOAD_TYPES = {
    media_type: {"schema": {"type": "string", "format": "binary"}}
    for media_type in service.ALLOWED_TYPES
}


@router.get(
    "/{activity_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {"description": "The file, with its stored content type", "content": _DOWNLOAD_TYPES},
        **responses(Forbidden, ActivityNotFound, AttachmentNotFound, StorageError),
    },
)
async def download_attachment(
    activity_id: IdPath,
    attachment_id: IdPath,
    caller: CurrentPrincipal,
    session: ReadSession,
    runtime: RuntimeDep,
) -> Response:
    """Download an attachment."""
    access = await service.get_readable(session, caller, activity_id)
    attachment = await service.get_attachment(session, access.activity.id, attachment_id)
    # The read session's snapshot ends before the storage call: an object store may be slow.
    await session.close()
    data = await runtime.storage.get(attachment.storage_key)
    return Response(
        content=data,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": content_disposition(attachment.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


async def _delete_stored(storage: Storage, key: str) -> None:
    try:
        await storage.delete(key)
    except Exception:
        logger.exception("could not delete stored attachment %s; it is orphaned", key)


@router.delete(
    "/{activity_id}/attachments/{attachment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ActivityNotFound, AttachmentNotFound, MinutesReviewed),
)
async def delete_attachment(
    activity_id: IdPath,
    attachment_id: IdPath,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> Response:
    """Remove an attachment before the minutes are reviewed."""
    key = await service.delete_attachment(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id, attachment_id
    )
    # After the commit: a rolled-back delete must still find its file.
    background.add_task(_delete_stored, runtime.storage, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
