"""The 六有 checklist of a party organization's activity venue (党组织活动场所): 有场所、
有设施、有标志、有党旗、有书报、有制度.

``venue_items``
    One row per organization and item once someone checked it: met or not, a note, who
    checked it and when. An item never checked has no row (and is not met).

``venue_photos``
    Photo evidence of an item, the file in storage (app/kit/storage.py) under a random key;
    the row is the only index of the key.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, str_enum


class VenueItem(enum.StrEnum):
    SITE = "site"  # 有场所
    FACILITIES = "facilities"  # 有设施
    SIGNAGE = "signage"  # 有标志
    PARTY_FLAG = "party_flag"  # 有党旗
    READING = "reading"  # 有书报
    RULES = "rules"  # 有制度


VENUE_ITEM_LABELS: dict[VenueItem, str] = {
    VenueItem.SITE: "场所",
    VenueItem.FACILITIES: "设施",
    VenueItem.SIGNAGE: "标志",
    VenueItem.PARTY_FLAG: "党旗",
    VenueItem.READING: "书报",
    VenueItem.RULES: "制度",
}


class VenueCheck(Base):
    __tablename__ = "venue_items"
    __table_args__ = (UniqueConstraint("org_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    item: Mapped[VenueItem] = mapped_column(str_enum(VenueItem, "venue_item"))
    met: Mapped[bool]
    note: Mapped[str | None] = mapped_column(String(500))
    checked_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    checked_at: Mapped[datetime]


class VenuePhoto(Base):
    __tablename__ = "venue_photos"
    __table_args__ = (Index("ix_venue_photos_org_id_item", "org_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    item: Mapped[VenueItem] = mapped_column(str_enum(VenueItem, "venue_item"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_by_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
