from __future__ import annotations

import enum
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.kit.masking import mask_phone
from app.kit.time import ShownTime
from app.kit.types import DbId
from app.kit.validation import IdNumber, IsoDate, Lax, MobilePhone, Name, Reason200, RequestModel
from app.models.members import DEPARTURE_LABELS, DepartureReason, Gender, PartyStatus


class MemberFields(RequestModel):
    gender: Annotated[Gender, Lax] | None = None
    birth_date: IsoDate | None = None
    phone: MobilePhone | None = Field(default=None, description="11-digit mainland mobile number")
    id_number: IdNumber | None = Field(
        default=None, description="18-character 居民身份证号码; stored encrypted, shown masked"
    )
    joined_party_on: IsoDate | None = None
    relation_org_id: DbId | None = Field(
        default=None, description="Branch holding the membership (组织关系所在)"
    )
    workplace_org_id: DbId | None = Field(
        default=None, description="Social organization the member works at"
    )
    is_mobile: bool | None = Field(default=None, description="流动党员")
    is_lost_contact: bool | None = Field(default=None, description="失联党员")


class MemberCreate(MemberFields):
    model_config = ConfigDict(extra="forbid")

    name: Name
    party_status: Annotated[PartyStatus, Lax]


class MemberUpdate(MemberFields):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    party_status: Annotated[PartyStatus, Lax] | None = None


class RosterStatus(enum.StrEnum):
    """Which members a roster list shows: those who are there now by default."""

    CURRENT = "current"
    DEPARTED = "departed"
    ALL = "all"


class MemberLookup(RequestModel):
    """A whole phone or ID number to find its holder by. In the body, not the URL: a number
    in a query string ends in every proxy's access log."""

    model_config = ConfigDict(extra="forbid")

    phone: MobilePhone | None = Field(default=None, description="The whole mobile number")
    id_number: IdNumber | None = Field(default=None, description="The whole 18-character ID")
    status: Annotated[RosterStatus, Lax] = Field(
        default=RosterStatus.CURRENT, description="`current` (default), `departed` or `all`"
    )

    @model_validator(mode="after")
    def _one_number_at_least(self) -> MemberLookup:
        if self.phone is None and self.id_number is None:
            raise PydanticCustomError("member.lookup_number_required", "请填写手机号或身份证号")
        return self


_REASONS_DOC = "; ".join(f"`{reason.value}` {label}" for reason, label in DEPARTURE_LABELS.items())


class DepartureCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[DepartureReason, Lax] = Field(
        description=f"Why the member left: {_REASONS_DOC}"
    )
    left_on: IsoDate = Field(description="The day they left (today or earlier)")
    note: Reason200 | None = Field(default=None, description="e.g. the branch the relation went to")


class DepartureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    left_on: date
    reason: DepartureReason
    reason_label: str = Field(description="The reason in Chinese, e.g. 组织关系转出")
    note: str | None
    recorded_at: ShownTime


class MemberRead(BaseModel):
    """A member as everyone who may read the roster sees them: the phone and the ID number
    masked. Only ``MemberSensitive`` carries them whole."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    gender: Gender | None
    birth_date: date | None
    phone: str | None = Field(description="Masked, e.g. 138****5678")
    id_number: str | None = Field(
        validation_alias="id_number_masked", description="Masked, e.g. 3201**********1234"
    )
    party_status: PartyStatus
    joined_party_on: date | None
    relation_org_id: int | None
    workplace_org_id: int | None
    is_mobile: bool
    is_lost_contact: bool
    has_account: bool = Field(description="Has signed in to the mini-program")
    departure: DepartureRead | None = Field(
        description="Set once the member has left; their history stays with the record"
    )
    erased: bool = Field(
        description="Personal data erased on request (PIPL); the record stays for the figures"
    )
    created_at: ShownTime
    updated_at: ShownTime

    @field_validator("phone")
    @classmethod
    def _mask_phone(cls, phone: str | None) -> str | None:
        return mask_phone(phone)


class MemberSensitive(BaseModel):
    """The whole phone and ID number, for ``SensitiveReader`` callers; each read is audited."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    phone: str | None
    id_number: str | None
