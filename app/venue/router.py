"""The 六有 checklist of an organization's venue (场所, 设施, 标志, 党旗, 书报, 制度), its photo
evidence, and the committee's list of its subtree with the .xlsx sheet of it."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, Response, status

from app.auth.permissions import Permission
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit import multipart, sheet
from app.kit.pagination import InvalidCursor, PageParams, encode_cursor
from app.kit.storage import Storage, StorageError
from app.kit.types import INT32_MAX, Digits, IdPath
from app.kit.validation import QueryFlag
from app.models import VenuePhoto
from app.orgs import service as orgs_service
from app.orgs.errors import OrgNotFound
from app.runtime import RuntimeDep
from app.venue import service
from app.venue.dependencies import VenueReader, VenueWriter
from app.venue.errors import (
    MalformedUpload,
    NotAVenueOrg,
    PhotoEmpty,
    PhotoMissing,
    PhotoNotFound,
    PhotoTooLarge,
    PhotoTypeNotAllowed,
    TooManyPhotos,
    UnknownItem,
    UploadInterrupted,
)
from app.venue.schemas import (
    ChecklistPage,
    ChecklistRead,
    ChecklistRow,
    ItemRead,
    ItemWrite,
    PhotoRead,
)

logger = logging.getLogger("app.venue")

router = APIRouter(route_class=IdempotentRoute, tags=["venue"])
ORG = "/api/v1/orgs/{org_id}/venue"

UPLOAD_FIELD = "file"
UPLOAD_REFUSALS = multipart.UploadRefusals(
    missing=PhotoMissing,
    malformed=MalformedUpload,
    interrupted=UploadInterrupted,
    too_large=PhotoTooLarge,
)
BINARY = {"type": "string", "format": "binary"}
ItemPath = Annotated[
    str, Path(max_length=20, description="site, facilities, signage, party_flag, reading, rules")
]

CHECKLIST_DEFINITIONS = """

The 六有 of a party organization's activity venue: 有场所 (`site`), 有设施 (`facilities`),
有标志 (`signage`), 有党旗 (`party_flag`), 有书报 (`reading`), 有制度 (`rules`). The checklist
belongs to general branches, branches and joint branches (another kind: 422
`venue.not_applicable`). An item is **met** when its latest check says so; an item never
checked is not met. Reading takes `orgs:read` over the organization, writing `venue:write`;
an organization outside the scope answers 404 `org.not_found`."""


def _photo(photo: VenuePhoto) -> PhotoRead:
    return PhotoRead(
        id=photo.id,
        item=photo.item,
        filename=photo.filename,
        content_type=photo.content_type,
        size_bytes=photo.size_bytes,
        url=service.photo_url(photo),
        uploaded_by_account_id=photo.uploaded_by_account_id,
        created_at=photo.created_at,
    )


def _read(view: service.ChecklistView) -> ChecklistRead:
    return ChecklistRead(
        org_id=view.org.id,
        name=view.org.name,
        kind=view.org.kind,
        met_count=view.met_count,
        items=[
            ItemRead.model_validate(
                {**item.__dict__, "photos": [_photo(photo) for photo in item.photos]}
            )
            for item in view.items
        ],
    )


@router.get(
    ORG,
    responses=responses(OrgNotFound, NotAVenueOrg),
    description="The six items, each met or not with its note, who checked it and when, "
    "and its photos with their URLs." + CHECKLIST_DEFINITIONS,
)
async def get_checklist(org_id: IdPath, caller: VenueReader, session: ReadSession) -> ChecklistRead:
    """The 六有 checklist of an organization's venue."""
    org = await service.venue_org(session, caller.scope(Permission.ORGS_READ), org_id)
    return _read(await service.checklist(session, org))


@router.put(
    f"{ORG}/items/{{item}}",
    responses=responses(OrgNotFound, NotAVenueOrg, UnknownItem),
    description="Record an item met or not, with a note; the latest check replaces the "
    "earlier one and records who checked and when." + CHECKLIST_DEFINITIONS,
)
async def check_item(
    org_id: IdPath,
    item: ItemPath,
    body: ItemWrite,
    caller: VenueWriter,
    session: DbSession,
    runtime: RuntimeDep,
) -> ChecklistRead:
    """Check one item of the checklist."""
    org = await service.venue_org(session, caller.scope(Permission.VENUE_WRITE), org_id)
    chosen = service.item_of(item)
    await service.check_item(
        session,
        org,
        chosen,
        met=body.met,
        note=body.note or None,
        account_id=caller.account_id,
        now=runtime.clock.now(),
    )
    return _read(await service.checklist(session, org))


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
    f"{ORG}/items/{{item}}/photos",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_UPLOAD_BODY,
    responses=responses(
        OrgNotFound,
        NotAVenueOrg,
        UnknownItem,
        TooManyPhotos,
        PhotoMissing,
        MalformedUpload,
        UploadInterrupted,
        PhotoTooLarge,
        PhotoEmpty,
        PhotoTypeNotAllowed,
        StorageError,
    ),
    description="Upload a photo of an item: multipart/form-data field `file`, as "
    "wx.uploadFile sends it. Accepted: JPEG, PNG, WebP, up to the configured size "
    f"(attachment_max_bytes, 10 MiB by default); at most {service.MAX_PHOTOS_PER_ITEM} "
    "photos per item." + CHECKLIST_DEFINITIONS,
)
async def upload_photo(
    org_id: IdPath,
    item: ItemPath,
    request: Request,
    caller: VenueWriter,
    runtime: RuntimeDep,
    session: DbSession,
) -> PhotoRead:
    """Add a photo as evidence of an item."""
    scope = caller.scope(Permission.VENUE_WRITE)
    chosen = service.item_of(item)
    # Refused early through a read (an upload from a phone may take minutes, and the
    # writer's first statement takes SQLite's write lock); checked again by the writer.
    async with runtime.read_sessionmaker() as read:
        org = await service.venue_org(read, scope, org_id)
        await service.refuse_if_full(read, org.id, chosen)
    received = await multipart.receive_file(
        request,
        UPLOAD_FIELD,
        limit=runtime.settings.attachment_max_bytes,
        refusals=UPLOAD_REFUSALS,
    )
    data = bytes(received.data)
    content_type = service.classify(received.filename, received.content_type, data)
    key = service.new_storage_key(org_id)
    # Stored before the row: a failed commit leaves an orphaned object, never a row without one.
    await runtime.storage.put(key, data, content_type)
    try:
        org = await service.venue_org(session, scope, org_id)
        photo = await service.add_photo(
            session,
            org,
            chosen,
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
    return _photo(photo)


@router.get(
    f"{ORG}/photos/{{photo_id}}",
    response_class=Response,
    responses={
        200: {
            "description": "The photo, with its stored content type",
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}} for t in service.PHOTO_TYPES
            },
        },
        **responses(OrgNotFound, PhotoNotFound, StorageError),
    },
)
async def download_photo(
    org_id: IdPath,
    photo_id: IdPath,
    caller: VenueReader,
    session: ReadSession,
    runtime: RuntimeDep,
) -> Response:
    """Download a photo of the checklist."""
    org = await orgs_service.get_in_scope(session, caller.scope(Permission.ORGS_READ), org_id)
    photo = await service.get_photo(session, org.id, photo_id)
    # The read session's snapshot ends before the storage call: an object store may be slow.
    await session.close()
    data = await runtime.storage.get(photo.storage_key)
    return Response(
        content=data,
        media_type=photo.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )


async def _delete_stored(storage: Storage, key: str) -> None:
    try:
        await storage.delete(key)
    except Exception:
        logger.exception("could not delete stored venue photo %s; it is orphaned", key)


@router.delete(
    f"{ORG}/photos/{{photo_id}}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(OrgNotFound, PhotoNotFound),
)
async def delete_photo(
    org_id: IdPath,
    photo_id: IdPath,
    caller: VenueWriter,
    session: DbSession,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> Response:
    """Remove a photo of the checklist."""
    org = await orgs_service.get_in_scope(session, caller.scope(Permission.VENUE_WRITE), org_id)
    key = await service.delete_photo(session, org.id, photo_id)
    # After the commit: a rolled-back delete must still find its file.
    background.add_task(_delete_stored, runtime.storage, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- the subtree's list ---------------------------------------------------------------------

OrgQuery = Annotated[
    int,
    Query(ge=1, le=INT32_MAX, description="The organization whose subtree is listed"),
    Digits,
]
MissingQuery = Annotated[
    QueryFlag | None,
    Query(description="true: only those missing at least one item; false: those with all six"),
]
LIST_DEFINITIONS = """

Listed: the general branches, branches and joint branches of the subtree of `org_id` (the
organization itself included), an organization in the caller's `orgs:read` scope (another:
404 `org.not_found`), by id. **met_count** is how many of the six items (场所, 设施, 标志,
党旗, 书报, 制度) their latest check says are met; an item never checked is not met and
counts as missing. The totals count the whole subtree whatever `missing` says."""


@router.get(
    "/api/v1/venue/checklists",
    responses=responses(OrgNotFound, InvalidCursor),
    description="How many of the six items each organization of the subtree meets, a page "
    "at a time, with the subtree's totals." + LIST_DEFINITIONS,
)
async def list_checklists(
    org_id: OrgQuery,
    caller: VenueReader,
    session: ReadSession,
    page: PageParams,
    missing: MissingQuery = None,
) -> ChecklistPage:
    """The 六有 checklists of a subtree."""
    org = await orgs_service.get_in_scope(session, caller.scope(Permission.ORGS_READ), org_id)
    rows = await service.page(session, org.id, missing, after=page.after, limit=page.size + 1)
    shown = rows[: page.size]
    found = await service.totals(session, org.id)
    return ChecklistPage(
        org_id=org.id,
        name=org.name,
        organizations=found.organizations,
        complete=found.complete,
        incomplete=found.incomplete,
        items=[
            ChecklistRow(
                org_id=row.org_id,
                name=row.name,
                kind=row.kind,
                parent_name=row.parent_name,
                met_count=row.met_count,
                missing=service.missing_items(row),
                last_checked_at=row.last_checked_at,
            )
            for row in shown
        ],
        next_cursor=encode_cursor(shown[-1].org_id) if len(rows) > page.size else None,
    )


@router.get(
    "/api/v1/venue/checklists.xlsx",
    response_class=Response,
    responses={
        200: sheet.answer("党组织活动场所“六有”情况 (.xlsx)"),
        **responses(OrgNotFound),
    },
    description="The same organizations as an Excel sheet (党组织活动场所“六有”情况), every "
    "one, each item 是, 否 or 未检查, with the filters and the generation time at the top."
    + LIST_DEFINITIONS,
)
async def checklists_sheet(
    org_id: OrgQuery,
    caller: VenueReader,
    session: ReadSession,
    runtime: RuntimeDep,
    missing: MissingQuery = None,
) -> Response:
    """The 六有 checklists of a subtree, as an .xlsx sheet."""
    org = await orgs_service.get_in_scope(session, caller.scope(Permission.ORGS_READ), org_id)
    rows = await service.every(session, org.id, missing)
    found = await service.totals(session, org.id)
    filters = [f"组织：{org.name}"]
    if missing is not None:
        filters.append("范围：" + ("有未达标项的" if missing else "六有齐全的"))
    workbook = sheet.build(
        title="党组织活动场所“六有”情况",
        sheet_name="六有情况",
        filters=filters,
        generated_at=runtime.clock.now(),
        headings=service.HEADINGS,
        widths=service.WIDTHS,
        rows=service.sheet_rows(rows, sheet.local),
        footer=[
            f"共 {found.organizations} 个党组织，六有齐全 {found.complete} 个，"
            f"有未达标项 {found.incomplete} 个；本表列出 {len(rows)} 个",
            "六有：有场所、有设施、有标志、有党旗、有书报、有制度；未检查的项目按未达标计。",
        ],
    )
    return sheet.download(
        workbook, ascii_name=f"venue-{org.id}.xlsx", name=f"{org.name}-六有情况.xlsx"
    )
