"""Who a meeting of the 三会一课 is for: a branch's party groups (党小组) and the seats of its
branch committee (支委), and each expected member's answer to an invitation (RSVP)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression

from app.models.base import Base, TimestampMixin, str_enum


class PartyGroup(TimestampMixin, Base):
    """党小组 of a branch."""

    __tablename__ = "party_groups"
    __table_args__ = (
        UniqueConstraint("org_id", "name"),
        # The target of the members' (group, branch) key: a member's branch is the group's.
        UniqueConstraint("id", "org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    # 党小组组长: one of the group's members (the service sees to it).
    leader_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )

    # Shown with a group, never stored: groups_service fills them for an answer.
    leader_name: Mapped[str | None] = query_expression()
    member_count: Mapped[int] = query_expression()


class PartyGroupMember(Base):
    """A member in a party group. The branch is repeated so that the database itself keeps a
    member in at most one group of their branch."""

    __tablename__ = "party_group_members"
    __table_args__ = (
        ForeignKeyConstraint(
            ["group_id", "org_id"],
            ["party_groups.id", "party_groups.org_id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("org_id", "member_id"),
    )

    group_id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int]


class CommitteePost(enum.StrEnum):
    SECRETARY = "secretary"  # 书记
    DEPUTY_SECRETARY = "deputy_secretary"  # 副书记
    ORGANIZATION = "organization"  # 组织委员
    PROPAGANDA = "propaganda"  # 宣传委员
    DISCIPLINE = "discipline"  # 纪检委员
    MEMBER = "member"  # 委员 (no portfolio of their own)


COMMITTEE_POST_LABELS: dict[CommitteePost, str] = {
    CommitteePost.SECRETARY: "书记",
    CommitteePost.DEPUTY_SECRETARY: "副书记",
    CommitteePost.ORGANIZATION: "组织委员",
    CommitteePost.PROPAGANDA: "宣传委员",
    CommitteePost.DISCIPLINE: "纪检委员",
    CommitteePost.MEMBER: "委员",
}
# Posts a committee has one of; the others (副书记, 委员) may be several.
SINGLE_HOLDER_POSTS = frozenset(
    {
        CommitteePost.SECRETARY,
        CommitteePost.ORGANIZATION,
        CommitteePost.PROPAGANDA,
        CommitteePost.DISCIPLINE,
    }
)


class CommitteeSeat(Base):
    """A seat on a branch committee (支部委员会). One person may hold two posts (组织委员
    兼纪检委员, common in a small branch), each post a seat."""

    __tablename__ = "committee_seats"
    __table_args__ = (UniqueConstraint("org_id", "member_id", "post"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    post: Mapped[CommitteePost] = mapped_column(str_enum(CommitteePost, "committee_post"))
    created_at: Mapped[datetime]

    member_name: Mapped[str] = query_expression()

    @property
    def post_label(self) -> str:
        return COMMITTEE_POST_LABELS[self.post]


class RsvpAnswer(enum.StrEnum):
    # Only "I'll come": not coming is a leave request (请假), which the secretary decides.
    ATTENDING = "attending"


class ActivityRsvp(Base):
    """An expected member's answer to an activity, given before it starts."""

    __tablename__ = "activity_rsvps"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    answer: Mapped[RsvpAnswer] = mapped_column(str_enum(RsvpAnswer, "rsvp_answer"))
    answered_at: Mapped[datetime]
