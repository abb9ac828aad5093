from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import Lax, RequestModel, Text50
from app.models.groups import CommitteePost

MAX_GROUP_MEMBERS = 200
MAX_SEATS = 15


class PartyGroupCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: Text50
    leader_member_id: DbId | None = Field(
        default=None, description="党小组组长; joins the group if not among member_ids"
    )
    member_ids: list[DbId] = Field(default_factory=list, max_length=MAX_GROUP_MEMBERS)


class PartyGroupUpdate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: Text50 | None = None
    leader_member_id: DbId | None = Field(
        default=None, description="A member of the group; null removes the leader"
    )


class GroupMembersAdd(RequestModel):
    model_config = ConfigDict(extra="forbid")

    member_ids: list[DbId] = Field(min_length=1, max_length=MAX_GROUP_MEMBERS)


class SeatAssignment(RequestModel):
    model_config = ConfigDict(extra="forbid")

    member_id: DbId
    post: Annotated[CommitteePost, Lax]


class CommitteeReplace(RequestModel):
    """The whole committee: the seats given replace every seat held (an empty list leaves
    the branch without a committee)."""

    model_config = ConfigDict(extra="forbid")

    seats: list[SeatAssignment] = Field(max_length=MAX_SEATS)


class PartyGroupRead(BaseModel):
    # Read from a PartyGroup that groups_service loaded with its shown fields.
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    name: str
    leader_member_id: int | None
    leader_name: str | None
    member_count: int = Field(description="Current members of the branch in the group")
    created_at: ShownTime
    updated_at: ShownTime


class GroupMemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    member_id: int
    name: str


class SeatRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    member_id: int
    member_name: str
    post: CommitteePost
    post_label: str = Field(description="书记, 副书记, 组织委员, 宣传委员, 纪检委员 or 委员")
