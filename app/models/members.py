"""Party members (and activists and the masses who join in), and the roles people hold."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, LargeBinary, String, UniqueConstraint
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


class DepartureReason(enum.StrEnum):
    """Why a member left the roster. Closed: each is a distinct act in party practice, and
    the oversight figures may count them apart."""

    TRANSFERRED_OUT = "transferred_out"  # 组织关系转出 (to a party organization elsewhere)
    MOVED_AWAY = "moved_away"  # 离职或迁离 (left the workplace, moved out of the area)
    DECEASED = "deceased"  # 去世
    WITHDREW = "withdrew"  # 退党
    EXPELLED = "expelled"  # 开除党籍
    STRUCK_OFF = "struck_off"  # 除名 (e.g. out of contact for over six months)
    PROBATION_CANCELLED = "probation_cancelled"  # 取消预备党员资格


DEPARTURE_LABELS: dict[DepartureReason, str] = {
    DepartureReason.TRANSFERRED_OUT: "组织关系转出",
    DepartureReason.MOVED_AWAY: "离职或迁离",
    DepartureReason.DECEASED: "去世",
    DepartureReason.WITHDREW: "退党",
    DepartureReason.EXPELLED: "开除党籍",
    DepartureReason.STRUCK_OFF: "除名",
    DepartureReason.PROBATION_CANCELLED: "取消预备党员资格",
}


@dataclass(frozen=True)
class Departure:
    """A member's recorded departure, as a response shows it."""

    left_on: date
    reason: DepartureReason
    note: str | None
    recorded_at: datetime

    @property
    def reason_label(self) -> str:
        return DEPARTURE_LABELS[self.reason]


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
    # A departure (离开): the row and its history stay, so past figures hold; the member
    # drops out of everything that means "current". Set together, by the departure service.
    left_on: Mapped[date | None]
    departure_reason: Mapped[DepartureReason | None] = mapped_column(
        str_enum(DepartureReason, "departure_reason")
    )
    departure_note: Mapped[str | None] = mapped_column(String(200))
    departed_at: Mapped[datetime | None]  # when it was recorded: the clock's now
    # Who recorded it, like the audit trail's actor: a number, not a key, so it outlives them.
    departed_by_account_id: Mapped[int | None]
    # PIPL erasure: personal fields cleared, the row kept for the figures.
    erased_at: Mapped[datetime | None]

    @classmethod
    def current(cls) -> ColumnElement[bool]:
        """SQL: the member has not left (what "the members of a branch" means today)."""
        return cls.departed_at.is_(None)

    @classmethod
    def current_at(cls, moment: datetime) -> ColumnElement[bool]:
        """SQL: the member had not yet left at ``moment`` (by when the departure was recorded,
        so a backdated ``left_on`` rewrites no figure already shown)."""
        return cls.departed_at.is_(None) | (cls.departed_at > moment)

    @property
    def departure(self) -> Departure | None:
        if self.departed_at is None or self.left_on is None or self.departure_reason is None:
            return None
        return Departure(self.left_on, self.departure_reason, self.departure_note, self.departed_at)

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

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


class RosterChangeKind(enum.StrEnum):
    """Why a member came onto or went off an organization's roster (增减台账). The removals
    are the departure reasons, one for one, so the ledger and the departure agree."""

    JOINED = "joined"  # 新增 (entered in the system: a new member, an import's row)
    TRANSFERRED_IN = "transferred_in"  # 组织关系转入
    TRANSFERRED_OUT = DepartureReason.TRANSFERRED_OUT.value
    MOVED_AWAY = DepartureReason.MOVED_AWAY.value
    DECEASED = DepartureReason.DECEASED.value
    WITHDREW = DepartureReason.WITHDREW.value
    EXPELLED = DepartureReason.EXPELLED.value
    STRUCK_OFF = DepartureReason.STRUCK_OFF.value
    PROBATION_CANCELLED = DepartureReason.PROBATION_CANCELLED.value


ROSTER_ADDITIONS = frozenset({RosterChangeKind.JOINED, RosterChangeKind.TRANSFERRED_IN})


class RosterChange(Base):
    """One addition to or removal from an organization's roster: the member's relation, else
    their workplace (where they count). Written by the services that change a roster (members,
    transfers, roster import: app/members/roster_changes.py), never through a route of its own;
    rows are never updated, so the ledger is what happened, in order."""

    __tablename__ = "roster_changes"
    __table_args__ = (
        Index("ix_roster_changes_org_id_occurred_on", "org_id", "occurred_on"),
        Index("ix_roster_changes_member_id_id", "member_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[RosterChangeKind] = mapped_column(str_enum(RosterChangeKind, "roster_change_kind"))
    # The member's status at the change: the figures count full and probationary members.
    party_status: Mapped[PartyStatus] = mapped_column(str_enum(PartyStatus, "party_status"))
    occurred_on: Mapped[date]  # the day it took effect (a departure's left_on)
    note: Mapped[str | None] = mapped_column(String(200))
    # What wrote it: "member:create", "member:update", "member:depart", "transfer:{id}", …
    source: Mapped[str] = mapped_column(String(40))
    recorded_by_account_id: Mapped[int | None]  # a number, like the audit trail's actor
    recorded_at: Mapped[datetime]
