"""Party members (and activists and the masses who join in), and the roles people hold."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, str_enum


class PartyStatus(enum.StrEnum):
    FULL_MEMBER = "full_member"  # 正式党员
    PROBATIONARY = "probationary"  # 预备党员
    ACTIVIST = "activist"  # 入党积极分子
    MASSES = "masses"  # 群众


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


class Role(enum.StrEnum):
    SECRETARY = "secretary"  # 支部书记 / 组织委员
    INSTRUCTOR = "instructor"  # 党建工作指导员
    COMMITTEE_ADMIN = "committee_admin"  # 综合党委 / 工委 管理员
    SYSTEM_ADMIN = "system_admin"


class Member(TimestampMixin, Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), unique=True
    )
    name: Mapped[str] = mapped_column(String(50), index=True)
    gender: Mapped[Gender | None] = mapped_column(str_enum(Gender, "gender"))
    birth_date: Mapped[date | None]
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    # The ID number is kept only encrypted; the hash finds it, the mask shows it.
    id_number_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    party_status: Mapped[PartyStatus] = mapped_column(str_enum(PartyStatus, "party_status"))
    joined_party_on: Mapped[date | None]
    # 组织关系所在: the branch holding the membership; None while it lies outside this system.
    relation_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    workplace_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    is_mobile: Mapped[bool] = mapped_column(default=False)  # 流动党员
    is_lost_contact: Mapped[bool] = mapped_column(default=False)  # 失联

    @property
    def has_account(self) -> bool:
        """Has signed in to the mini-program (and bound the phone that linked the record)."""
        return self.account_id is not None


class RoleAssignment(TimestampMixin, Base):
    """A role held on an organization and its whole subtree (no organization: system admin)."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("member_id", "org_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))

    # The holder, for the name shown with the role; loaded explicitly where it is shown.
    member: Mapped[Member] = relationship(lazy="raise")
