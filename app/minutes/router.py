from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Request, Response, status
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import ClientDisconnect

from app.attendance import service as attendance_service
from app.auth.dependencies import ActivitiesManager, CurrentPrincipal, MinutesReviewer
from app.auth.permissions import Permission
from app.auth.scope import Principal
from app.db import DbSession
from app.errors import BadRequest, ErrorBody, Unprocessable
from app.kit.storage import Storage
from app.kit.types import IdPath
from app.minutes import service
from app.minutes.schemas import (
    AccountRef,
    AttachmentRead,
    AttendanceSummary,
    MinutesRead,
    MinutesWrite,
)
from app.models import MinutesAttachment
from app.runtime import RuntimeDep

logger = logging.getLogger("app.minutes")

router = APIRouter(prefix="/api/v1/activities", tags=["minutes"])

UPLOAD_FIELD = "file"


def _attachment_read(attachment: MinutesAttachment) -> AttachmentRead:
    return AttachmentRead(
        id=attachment.id,
        activity_id=attachment.activity_id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size_bytes=attachment.size_bytes,
        uploaded_by_account_id=attachment.uploaded_by_account_id,
        created_at=attachment.created_at,
    )


async def _read(session: AsyncSession, caller: Principal, activity_id: int) -> MinutesRead:
    access = await service.get_readable(session, caller, activity_id)
    minutes = await service.get_minutes(session, access.activity.id)
    names = await service.names_of_accounts(
        session, [minutes.written_by_account_id, minutes.reviewed_by_account_id]
    )

    def ref(account_id: int | None) -> AccountRef | None:
        return (
            AccountRef(account_id=account_id, name=names.get(account_id))
            if account_id is not None
            else None
        )

    summary = await attendance_service.activity_summary(session, access.activity.id)
    return MinutesRead(
        activity_id=minutes.activity_id,
        content=minutes.content,
        decisions=minutes.decisions,
        written_by=ref(minutes.written_by_account_id),
        updated_at=minutes.updated_at,
        reviewed_at=minutes.reviewed_at,
        reviewed_by=ref(minutes.reviewed_by_account_id),
        editable=access.can_manage and minutes.reviewed_at is None,
        attendance=AttendanceSummary(**vars(summary)),
        attachments=[
            _attachment_read(a) for a in await service.attachments_of(session, access.activity.id)
        ],
    )


@router.get("/{activity_id}/minutes")
async def get_minutes(
    activity_id: IdPath, caller: CurrentPrincipal, session: DbSession
) -> MinutesRead:
    """The minutes of an activity, with its attendance figures and attachments."""
    return await _read(session, caller, activity_id)


@router.put("/{activity_id}/minutes")
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
        content=body.content,
        decisions=body.decisions,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return await _read(session, caller, activity_id)


@router.post("/{activity_id}/minutes/review")
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
    return await _read(session, caller, activity_id)


# --- attachments ------------------------------------------------------------------------------

# Room for the boundaries, part headers and the small form fields wx.uploadFile may add.
_MULTIPART_OVERHEAD = 64 * 1024
_MAX_PARTS = 16


@dataclass
class _ReceivedFile:
    filename: str | None
    content_type: str | None
    data: bytearray = field(default_factory=bytearray)


class _FileFieldReader:
    """Callbacks for python-multipart's streaming parser: keeps the first part named
    ``field`` that carries a file, never more than ``limit`` bytes of it; drops the rest."""

    def __init__(self, field: str, limit: int) -> None:
        self.field = field
        self.limit = limit
        self.file: _ReceivedFile | None = None
        self.complete = False
        self.too_large = False
        self.too_many_parts = False
        self._parts = 0
        self._headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._current: _ReceivedFile | None = None

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self._parts += 1
        self.too_many_parts = self.too_many_parts or self._parts > _MAX_PARTS
        self._headers = {}
        self._current = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        if (
            self.file is not None
            or options.get(b"name") != self.field.encode()
            or b"filename" not in options
        ):
            return
        content_type = self._headers.get(b"content-type")
        self.file = self._current = _ReceivedFile(
            filename=options[b"filename"].decode("utf-8", errors="replace"),
            content_type=content_type.decode("latin-1") if content_type is not None else None,
        )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current is None or self.too_large:
            return
        if len(self._current.data) + (end - start) > self.limit:
            self.too_large = True  # keep nothing more; the caller stops reading
            return
        self._current.data += data[start:end]

    def on_part_end(self) -> None:
        if self._current is not None:
            self.complete = True
            self._current = None


def _no_file() -> Unprocessable:
    return Unprocessable(
        "attachment.file_missing",
        "请以 multipart/form-data 的 file 字段上传文件",
        "Send the file as the multipart/form-data field `file`",
    )


async def _receive_file(request: Request, limit: int) -> _ReceivedFile:
    """Reads the upload as it streams in and stops as soon as it is too large: the request
    is never buffered whole, and no more than ``limit`` bytes of the file are held."""
    media_type, params = parse_options_header(request.headers.get("content-type"))
    boundary = params.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise _no_file()
    budget = limit + _MULTIPART_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > budget:
        raise service.attachment_too_large(limit)
    reader = _FileFieldReader(UPLOAD_FIELD, limit)
    received = 0
    try:
        parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
        async for chunk in request.stream():
            received += len(chunk)
            if received > budget:
                raise service.attachment_too_large(limit)
            parser.write(chunk)
            if reader.too_large:
                raise service.attachment_too_large(limit)
            if reader.too_many_parts:
                raise _no_file()
        parser.finalize()
    except (FormParserError, ValueError) as exc:
        raise Unprocessable(
            "attachment.malformed_upload", "上传数据格式有误", "Malformed multipart/form-data body"
        ) from exc
    except ClientDisconnect as exc:  # nobody is left to answer; not a server error either
        raise BadRequest(
            "attachment.upload_interrupted", "上传中断", "The upload was interrupted"
        ) from exc
    if reader.file is None or not reader.complete:
        raise _no_file()
    return reader.file


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
    responses={
        413: {
            "model": ErrorBody,
            "description": "The file is larger than the limit (`attachment.too_large`)",
        }
    },
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
    activity = await service.open_for_attachments(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    received = await _receive_file(request, runtime.settings.attachment_max_bytes)
    data = bytes(received.data)
    content_type = service.classify(received.filename, received.content_type, data)
    key = service.new_storage_key(activity.id)
    # Stored before the row: a failed commit leaves an orphaned object, never a row without one.
    await runtime.storage.put(key, data, content_type)
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
    return _attachment_read(attachment)


@router.get("/{activity_id}/attachments")
async def list_attachments(
    activity_id: IdPath, caller: CurrentPrincipal, session: DbSession
) -> list[AttachmentRead]:
    """The attachments of an activity's minutes, oldest first."""
    access = await service.get_readable(session, caller, activity_id)
    return [_attachment_read(a) for a in await service.attachments_of(session, access.activity.id)]


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
        200: {"description": "The file, with its stored content type", "content": _DOWNLOAD_TYPES}
    },
)
async def download_attachment(
    activity_id: IdPath,
    attachment_id: IdPath,
    caller: CurrentPrincipal,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """Download an attachment."""
    access = await service.get_readable(session, caller, activity_id)
    attachment = await service.get_attachment(session, access.activity.id, attachment_id)
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


@router.delete("/{activity_id}/attachments/{attachment_id}", status_code=status.HTTP_204_NO_CONTENT)
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
