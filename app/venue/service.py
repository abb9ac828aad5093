"""The 六有 checklist of an organization's venue: each item met or not with a note, who
checked it and when, and photo evidence; the committee's list of its subtree with how many
of six each organization meets, in one set-based query through ``org_closure``."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.scope import Scope
from app.kit.sql import insert_on_conflict
from app.models import (
    VENUE_ITEM_LABELS,
    Member,
    Organization,
    OrgClosure,
    OrgKind,
    VenueCheck,
    VenueItem,
    VenuePhoto,
)
from app.orgs import service as orgs_service
from app.venue.errors import (
    NotAVenueOrg,
    PhotoEmpty,
    PhotoNotFound,
    PhotoTypeNotAllowed,
    TooManyPhotos,
    UnknownItem,
)

# The organizations whose activity venue is checked: the party organizations that hold
# the meetings (a committee's own venue is not on its list; a social organization's venue is
# its branch's).
VENUE_KINDS = frozenset({OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.JOINT_BRANCH})
ITEMS: tuple[VenueItem, ...] = tuple(VenueItem)
MAX_PHOTOS_PER_ITEM = 9  # what wx.chooseMedia picks at once
FILENAME_MAX = 200

# Content type -> (file extensions, how the file starts).
PHOTO_TYPES: dict[str, tuple[tuple[str, ...], bytes]] = {
    "image/jpeg": ((".jpg", ".jpeg"), b"\xff\xd8\xff"),
    "image/png": ((".png",), b"\x89PNG\r\n\x1a\n"),
    "image/webp": ((".webp",), b"RIFF"),
}
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
_UNKNOWN_TYPES = {"", "application/octet-stream", "binary/octet-stream"}


def item_of(text: str) -> VenueItem:
    try:
        return VenueItem(text)
    except ValueError:
        raise UnknownItem(details={"allowed": [item.value for item in ITEMS]}) from None


def photo_url(photo: VenuePhoto) -> str:
    return f"/api/v1/orgs/{photo.org_id}/venue/photos/{photo.id}"


async def venue_org(session: AsyncSession, scope: Scope, org_id: int) -> Organization:
    """The organization, if in ``scope`` (404 ``org.not_found`` otherwise) and one whose venue
    is checked."""
    org = await orgs_service.get_in_scope(session, scope, org_id)
    if org.kind not in VENUE_KINDS:
        raise NotAVenueOrg(details={"kind": org.kind.value})
    return org


# --- one organization's checklist -----------------------------------------------------------


@dataclass(frozen=True)
class Checker:
    account_id: int
    name: str | None


@dataclass(frozen=True)
class ItemView:
    item: VenueItem
    label: str
    checked: bool
    met: bool
    note: str | None
    checked_by: Checker | None
    checked_at: datetime | None
    photos: list[VenuePhoto]


@dataclass(frozen=True)
class ChecklistView:
    org: Organization
    met_count: int
    items: list[ItemView]


async def checklist(session: AsyncSession, org: Organization) -> ChecklistView:
    checks = (
        await session.execute(
            select(VenueCheck, Member.name)
            .outerjoin(Member, Member.account_id == VenueCheck.checked_by_account_id)
            .where(VenueCheck.org_id == org.id)
        )
    ).all()
    by_item = {row.VenueCheck.item: row for row in checks}
    photos = (
        await session.scalars(
            select(VenuePhoto).where(VenuePhoto.org_id == org.id).order_by(VenuePhoto.id)
        )
    ).all()
    items = []
    for item in ITEMS:
        row = by_item.get(item)
        check: VenueCheck | None = row.VenueCheck if row else None
        items.append(
            ItemView(
                item=item,
                label=VENUE_ITEM_LABELS[item],
                checked=check is not None,
                met=bool(check and check.met),
                note=check.note if check else None,
                checked_by=(
                    Checker(check.checked_by_account_id, row.name)
                    if check and row and check.checked_by_account_id is not None
                    else None
                ),
                checked_at=check.checked_at if check else None,
                photos=[photo for photo in photos if photo.item is item],
            )
        )
    return ChecklistView(org, sum(view.met for view in items), items)


async def check_item(
    session: AsyncSession,
    org: Organization,
    item: VenueItem,
    *,
    met: bool,
    note: str | None,
    account_id: int,
    now: datetime,
) -> None:
    """Records the item met or not (a second check replaces the first: the latest holds)."""
    values = {"met": met, "note": note, "checked_by_account_id": account_id, "checked_at": now}
    await session.execute(
        insert_on_conflict(session, VenueCheck)
        .values(org_id=org.id, item=item, **values)
        .on_conflict_do_update(index_elements=["org_id", "item"], set_=values)
    )


# --- photos -----------------------------------------------------------------------------------


def new_storage_key(org_id: int) -> str:
    return f"venues/{org_id}/{secrets.token_hex(16)}"


def clean_filename(raw: str | None, content_type: str) -> str:
    """The last path component, without control characters, at most 200 characters with
    the extension kept; never empty."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C")).strip()
    if name in ("", ".", ".."):
        name = "照片" + PHOTO_TYPES[content_type][0][0]
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 10:
            name = f"{stem[: FILENAME_MAX - len(extension) - 1]}.{extension}"
        else:
            name = name[:FILENAME_MAX]
    return name


def _type_not_allowed(declared: str) -> PhotoTypeNotAllowed:
    return PhotoTypeNotAllowed(
        details={"content_type": declared[:100], "allowed": sorted(PHOTO_TYPES)}
    )


def classify(filename: str | None, declared_type: str | None, data: bytes) -> str:
    """The content type to store: the declared one (or, when the client did not know, the
    one the extension names), if a photo's and the bytes start the way that type does."""
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    declared = _ALIASES.get(declared, declared)
    if not data:
        raise PhotoEmpty()
    if declared in PHOTO_TYPES:
        content_type = declared
    elif declared in _UNKNOWN_TYPES:
        name = filename or ""
        extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        found = [t for t, (extensions, _) in PHOTO_TYPES.items() if extension in extensions]
        if not found:
            raise _type_not_allowed(declared)
        content_type = found[0]
    else:
        raise _type_not_allowed(declared)
    if not data.startswith(PHOTO_TYPES[content_type][1]) or (
        content_type == "image/webp" and data[8:12] != b"WEBP"
    ):
        raise _type_not_allowed(declared)
    return content_type


async def refuse_if_full(session: AsyncSession, org_id: int, item: VenueItem) -> None:
    count = await session.scalar(
        select(func.count())
        .select_from(VenuePhoto)
        .where(VenuePhoto.org_id == org_id, VenuePhoto.item == item)
    )
    if (count or 0) >= MAX_PHOTOS_PER_ITEM:
        raise TooManyPhotos(details={"max_photos": MAX_PHOTOS_PER_ITEM})


async def add_photo(
    session: AsyncSession,
    org: Organization,
    item: VenueItem,
    *,
    filename: str,
    content_type: str,
    size_bytes: int,
    storage_key: str,
    account_id: int,
    now: datetime,
) -> VenuePhoto:
    # The organization's row locked (PostgreSQL): two uploads at once count one after the
    # other, so the limit holds. SQLite has one writer at a time anyway.
    await session.execute(
        select(Organization.id).where(Organization.id == org.id).with_for_update()
    )
    await refuse_if_full(session, org.id, item)
    photo = VenuePhoto(
        org_id=org.id,
        item=item,
        filename=filename,
        content_type=content_type,
        size_bytes=size_bytes,
        storage_key=storage_key,
        uploaded_by_account_id=account_id,
        created_at=now,
    )
    session.add(photo)
    await session.flush()
    return photo


async def get_photo(session: AsyncSession, org_id: int, photo_id: int) -> VenuePhoto:
    photo = await session.scalar(
        select(VenuePhoto).where(VenuePhoto.id == photo_id, VenuePhoto.org_id == org_id)
    )
    if photo is None:
        raise PhotoNotFound()
    return photo


async def delete_photo(session: AsyncSession, org_id: int, photo_id: int) -> str:
    """Removes the row; returns the storage key, to delete once the transaction commits."""
    photo = await get_photo(session, org_id, photo_id)
    await session.delete(photo)
    await session.flush()
    return photo.storage_key


# --- the subtree's list -------------------------------------------------------------------------

# Per item: 0 never checked, 1 checked and not met, 2 met.
NOT_CHECKED, NOT_MET, MET = 0, 1, 2
STATE_LABELS = {NOT_CHECKED: "未检查", NOT_MET: "否", MET: "是"}


def _rows(root_id: int) -> Any:
    """One row per venue organization of the subtree: its parent, the state of each item,
    how many are met and when it was last checked."""
    parent = aliased(Organization)
    states = [
        func.max(
            case(
                (
                    VenueCheck.item == item,
                    case((VenueCheck.met.is_(True), literal(MET)), else_=literal(NOT_MET)),
                ),
                else_=literal(NOT_CHECKED),
            )
        ).label(item.value)
        for item in ITEMS
    ]
    met_count = func.count(VenueCheck.id).filter(VenueCheck.met.is_(True))
    return (
        select(
            Organization.id.label("org_id"),
            Organization.name,
            Organization.kind,
            parent.name.label("parent_name"),
            *states,
            met_count.label("met_count"),
            func.max(VenueCheck.checked_at).label("last_checked_at"),
        )
        .join(OrgClosure, OrgClosure.descendant_id == Organization.id)
        .outerjoin(parent, parent.id == Organization.parent_id)
        .outerjoin(VenueCheck, VenueCheck.org_id == Organization.id)
        .where(OrgClosure.ancestor_id == root_id, Organization.kind.in_(VENUE_KINDS))
        .group_by(Organization.id, Organization.name, Organization.kind, parent.name)
    )


def _filtered(root_id: int, missing: bool | None) -> Any:
    rows = _rows(root_id).subquery()
    query = select(rows)
    if missing is True:
        query = query.where(rows.c.met_count < len(ITEMS))
    elif missing is False:
        query = query.where(rows.c.met_count == len(ITEMS))
    return query, rows


async def page(
    session: AsyncSession, root_id: int, missing: bool | None, *, after: int | None, limit: int
) -> Sequence[Any]:
    query, rows = _filtered(root_id, missing)
    if after is not None:
        query = query.where(rows.c.org_id > after)
    return (await session.execute(query.order_by(rows.c.org_id).limit(limit))).all()


async def every(session: AsyncSession, root_id: int, missing: bool | None) -> Sequence[Any]:
    query, rows = _filtered(root_id, missing)
    return (await session.execute(query.order_by(rows.c.org_id))).all()


@dataclass(frozen=True)
class Totals:
    organizations: int
    complete: int
    incomplete: int


async def totals(session: AsyncSession, root_id: int) -> Totals:
    rows = _rows(root_id).subquery()
    found = (
        await session.execute(
            select(
                func.count().label("organizations"),
                func.count().filter(rows.c.met_count == len(ITEMS)).label("complete"),
            ).select_from(rows)
        )
    ).one()
    return Totals(found.organizations, found.complete, found.organizations - found.complete)


def missing_items(row: Any) -> list[VenueItem]:
    return [item for item in ITEMS if getattr(row, item.value) != MET]


KIND_LABELS = {
    OrgKind.GENERAL_BRANCH: "党总支",
    OrgKind.BRANCH: "党支部",
    OrgKind.JOINT_BRANCH: "联合党支部",
}
HEADINGS = (
    "组织编号",
    "组织名称",
    "类型",
    "上级组织",
    *(VENUE_ITEM_LABELS[item] for item in ITEMS),
    "已达标项数",
    "最近检查时间",
)
WIDTHS = (10, 30, 12, 24, 8, 8, 8, 8, 8, 8, 12, 18)


def sheet_rows(rows: Sequence[Any], local: Any) -> list[list[Any]]:
    return [
        [
            row.org_id,
            row.name,
            KIND_LABELS.get(OrgKind(row.kind), str(row.kind)),
            row.parent_name or "",
            *(STATE_LABELS[getattr(row, item.value)] for item in ITEMS),
            f"{row.met_count}/{len(ITEMS)}",
            local(row.last_checked_at),
        ]
        for row in rows
    ]
