from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response, status

from app.activities.errors import ActivityNotFound
from app.auth.dependencies import ActivitiesManager, CurrentMember, CurrentPrincipal, StudyManager
from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit import multipart
from app.kit.pagination import Page, PageParams, decode_key, paginate
from app.kit.storage import Storage, StorageError
from app.kit.types import IdPath, IdQuery
from app.kit.validation import Lax, Text50
from app.models import MaterialKind, MaterialStatus, StudyMaterial
from app.orgs.errors import OrgNotFound
from app.runtime import RuntimeDep
from app.study import heartbeats, service, sessions
from app.study.errors import (
    EmptyFile,
    FieldNotForKind,
    FileMissing,
    FileTooLarge,
    FileTypeNotAllowed,
    MalformedUpload,
    MaterialArchived,
    MaterialIncomplete,
    MaterialNotArchivable,
    MaterialNotDeletable,
    MaterialNotDraft,
    MaterialNotFound,
    MaterialOutOfReach,
    NoStoredFile,
    NotAStudySession,
    PositionOutOfRange,
    RequiredExceedsLength,
    UploadInterrupted,
)
from app.study.schemas import (
    Heartbeat,
    HeartbeatAnswer,
    ManagedBrief,
    MaterialBrief,
    MaterialCreate,
    MaterialDetail,
    MaterialRead,
    MaterialUpdate,
    SessionMaterial,
    SessionMaterials,
    SessionMaterialsRead,
)

logger = logging.getLogger("app.study")

router = APIRouter(route_class=IdempotentRoute, tags=["study"])
MATERIALS = "/api/v1/study/materials"

UPLOAD_FIELD = "file"
UPLOAD_REFUSALS = multipart.UploadRefusals(
    missing=FileMissing,
    malformed=MalformedUpload,
    interrupted=UploadInterrupted,
    too_large=FileTooLarge,
)


def _read(material: StudyMaterial) -> MaterialRead:
    shown = MaterialRead.model_validate(material)
    return shown.model_copy(update={"has_file": material.storage_key is not None})


# --- managing ---------------------------------------------------------------------------------


@router.post(
    MATERIALS,
    status_code=status.HTTP_201_CREATED,
    responses=responses(OrgNotFound, RequiredExceedsLength),
)
async def create_material(
    body: MaterialCreate, caller: StudyManager, session: DbSession, runtime: RuntimeDep
) -> MaterialRead:
    """A draft material of an organization in the caller's scope; an article's body is stored
    sanitized as news's is."""
    material = await service.create(
        session,
        caller.scope(Permission.STUDY_MANAGE),
        body,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return _read(material)


@router.get(f"{MATERIALS}/managed")
async def list_managed(
    caller: StudyManager,
    session: ReadSession,
    page: PageParams,
    status: Annotated[MaterialStatus, Lax] | None = None,
    org_id: IdQuery = None,
) -> Page[ManagedBrief]:
    """The materials of the caller's scope, any status, newest first; ``org_id``: its subtree."""
    found = await service.list_managed(
        session,
        caller.scope(Permission.STUDY_MANAGE),
        status=status,
        org_id=org_id,
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(ManagedBrief, found, page)


@router.patch(
    f"{MATERIALS}/{{material_id}}",
    responses=responses(
        MaterialNotFound,
        MaterialArchived,
        FieldNotForKind,
        RequiredExceedsLength,
        MaterialIncomplete,
    ),
)
async def update_material(
    material_id: IdPath,
    body: MaterialUpdate,
    caller: StudyManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> MaterialRead:
    """Change a draft or a published material; the required time stays within the length."""
    material = await service.update(
        session, caller.scope(Permission.STUDY_MANAGE), material_id, body, now=runtime.clock.now()
    )
    return _read(material)


@router.post(
    f"{MATERIALS}/{{material_id}}/publish",
    responses=responses(MaterialNotFound, MaterialNotDraft, MaterialIncomplete),
)
async def publish_material(
    material_id: IdPath, caller: StudyManager, session: DbSession, runtime: RuntimeDep
) -> MaterialRead:
    """Open a draft to the members of its organization's subtree."""
    material = await service.publish(
        session, caller.scope(Permission.STUDY_MANAGE), material_id, now=runtime.clock.now()
    )
    return _read(material)


@router.post(
    f"{MATERIALS}/{{material_id}}/archive",
    responses=responses(MaterialNotFound, MaterialNotArchivable),
)
async def archive_material(
    material_id: IdPath, caller: StudyManager, session: DbSession, runtime: RuntimeDep
) -> MaterialRead:
    """Close a published material to study; those who studied it still see their progress."""
    material = await service.archive(
        session, caller.scope(Permission.STUDY_MANAGE), material_id, now=runtime.clock.now()
    )
    return _read(material)


async def _delete_stored(storage: Storage, key: str) -> None:
    try:
        await storage.delete(key)
    except Exception:
        logger.exception("could not delete stored study file %s; it is orphaned", key)


@router.delete(
    f"{MATERIALS}/{{material_id}}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(MaterialNotFound, MaterialNotDeletable),
)
async def delete_material(
    material_id: IdPath,
    caller: StudyManager,
    session: DbSession,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> Response:
    """Delete a draft (and its file)."""
    key = await service.delete(session, caller.scope(Permission.STUDY_MANAGE), material_id)
    if key is not None:  # after the commit: a rolled-back delete must still find its file
        background.add_task(_delete_stored, runtime.storage, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


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
    f"{MATERIALS}/{{material_id}}/file",
    openapi_extra=_UPLOAD_BODY,
    responses=responses(
        MaterialNotFound,
        MaterialArchived,
        FileMissing,
        MalformedUpload,
        UploadInterrupted,
        FileTooLarge,
        EmptyFile,
        FileTypeNotAllowed,
        StorageError,
    ),
    description="Upload a video's MP4 or a document's PDF: multipart/form-data field `file`, "
    "as wx.uploadFile sends it, up to the configured size (study_file_max_bytes). "
    "A second upload replaces the first.",
)
async def upload_file(
    material_id: IdPath,
    request: Request,
    caller: StudyManager,
    session: DbSession,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> MaterialRead:
    """Store the material's file."""
    scope = caller.scope(Permission.STUDY_MANAGE)
    # As the minutes' attachments: refuse early through a read, receive and store the file,
    # and only then begin the writer (on SQLite its first statement takes the write lock).
    async with runtime.read_sessionmaker() as read:
        found = await service.get_in_scope(read, scope, material_id)
        service.check_takes_file(found)
        kind = found.kind
    received = await multipart.receive_file(
        request,
        UPLOAD_FIELD,
        limit=runtime.settings.study_file_max_bytes,
        refusals=UPLOAD_REFUSALS,
    )
    data = bytes(received.data)
    content_type = service.classify(kind, received.filename, received.content_type, data)
    key = service.new_storage_key(material_id)
    # Stored before the row: a failed commit leaves an orphaned object, never a row without one.
    await runtime.storage.put(key, data, content_type)
    try:
        material, replaced = await service.attach_file(
            session,
            scope,
            material_id,
            key=key,
            filename=service.clean_filename(received.filename, content_type),
            content_type=content_type,
            size_bytes=len(data),
            now=runtime.clock.now(),
        )
    except Exception:
        await _delete_stored(runtime.storage, key)
        raise
    if replaced is not None:
        background.add_task(_delete_stored, runtime.storage, replaced)
    return _read(material)


def _content_disposition(filename: str) -> str:
    fallback = "".join(ch if " " <= ch <= "~" and ch not in '"\\' else "_" for ch in filename)
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get(
    f"{MATERIALS}/{{material_id}}/file",
    response_class=Response,
    responses={
        200: {
            "description": "The file, with its stored content type",
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in (service.MP4, service.PDF)
            },
        },
        **responses(MaterialNotFound, NoStoredFile, StorageError),
    },
)
async def download_file(
    material_id: IdPath, caller: CurrentPrincipal, session: ReadSession, runtime: RuntimeDep
) -> Response:
    """The material's stored video or PDF, for whoever may see the material."""
    seen = await service.get_seen(
        session, caller, caller.scope(Permission.STUDY_MANAGE), material_id
    )
    material = seen.material
    if material.storage_key is None or material.content_type is None:
        raise NoStoredFile()
    # The read session's snapshot ends before the storage call: an object store may be slow.
    await session.close()
    data = await runtime.storage.get(material.storage_key)
    return Response(
        content=data,
        media_type=material.content_type,
        headers={
            "Content-Disposition": _content_disposition(material.filename or "学习资料"),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


# --- studying ---------------------------------------------------------------------------------


@router.get(MATERIALS)
async def list_materials(
    caller: CurrentMember,
    session: ReadSession,
    page: PageParams,
    category: Annotated[Text50 | None, Query()] = None,
    kind: Annotated[MaterialKind, Lax] | None = None,
) -> Page[MaterialBrief]:
    """Published materials open to the caller, newest first, each with the caller's progress."""
    after = None if page.cursor is None else decode_key(page.cursor, service.MaterialKey)
    rows = await service.list_for_member(
        session, caller.member_id, category=category, kind=kind, after=after, limit=page.size + 1
    )
    return paginate(MaterialBrief, rows, page, key=service.material_key)


@router.get(f"{MATERIALS}/{{material_id}}", responses=responses(MaterialNotFound))
async def get_material(
    material_id: IdPath, caller: CurrentPrincipal, session: ReadSession
) -> MaterialDetail:
    """One material with the caller's ``credited_seconds``, ``required_seconds``,
    ``completed`` and ``position_seconds``: for a member it is open to (an archived one only
    for those who studied it), or, any status, for its managers."""
    seen = await service.get_seen(
        session, caller, caller.scope(Permission.STUDY_MANAGE), material_id
    )
    material = seen.material
    detail = MaterialDetail.model_validate(
        {
            **{name: getattr(material, name) for name in _DETAIL_FIELDS},
            **seen.progress.model_dump(),
            "has_file": material.storage_key is not None,
            "body": material.body if seen.managed else None,
        }
    )
    return detail


_DETAIL_FIELDS = (
    "id",
    "org_id",
    "kind",
    "title",
    "category",
    "summary",
    "length_seconds",
    "status",
    "published_at",
    "body_html",
    "video_url",
    "filename",
    "content_type",
)


@router.post(
    f"{MATERIALS}/{{material_id}}/heartbeats",
    responses=responses(MaterialNotFound, MaterialArchived, PositionOutOfRange),
)
async def heartbeat(
    material_id: IdPath,
    caller: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
    body: Heartbeat | None = None,
) -> HeartbeatAnswer:
    """About every 30 s while the material is open. The server credits, by its own clock,
    the time since the caller's previous beat on this material (at most 60 s; nothing after
    a gap over 90 s or a beat on another material), never past 1.5 × the length; answers
    the caller's total. Beats after completion are accepted and credit nothing."""
    credited = await heartbeats.beat(
        await session.connection(),
        member_id=caller.member_id,
        material_id=material_id,
        position=body.position_seconds if body is not None else None,
        clock_now=runtime.clock.now,
    )
    return HeartbeatAnswer(
        material_id=credited.material_id,
        credited_seconds=credited.credited_seconds,
        required_seconds=credited.required_seconds,
        completed=credited.completed,
    )


# --- in-person sessions -----------------------------------------------------------------------

SESSION_MATERIALS = "/api/v1/activities/{activity_id}/study-materials"


def _session_read(activity_id: int, materials: list[StudyMaterial]) -> SessionMaterialsRead:
    return SessionMaterialsRead(
        activity_id=activity_id,
        materials=[SessionMaterial.model_validate(m) for m in materials],
    )


@router.put(
    SESSION_MATERIALS,
    responses=responses(ActivityNotFound, NotAStudySession, MaterialOutOfReach),
)
async def put_session_materials(
    activity_id: IdPath, body: SessionMaterials, caller: ActivitiesManager, session: DbSession
) -> SessionMaterialsRead:
    """The materials a 集中学习 session names: each member's credited time (check-in to
    check-out, at most the session's length) counts toward them at their check-out."""
    activity, materials = await sessions.name_materials(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id, body.material_ids
    )
    return _session_read(activity.id, list(materials))


@router.get(SESSION_MATERIALS, responses=responses(ActivityNotFound))
async def get_session_materials(
    activity_id: IdPath, caller: ActivitiesManager, session: ReadSession
) -> SessionMaterialsRead:
    """The materials a session names."""
    activity, materials = await sessions.get_named(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id
    )
    return _session_read(activity.id, list(materials))
