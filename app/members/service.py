"""Members within scope: a member belongs where their relation is registered and where
they work, so a 流动党员 is seen by the branch of their workplace too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.errors import Conflict, Unprocessable
from app.kit.crypto import FieldCipher
from app.kit.identifiers import id_number_birth_date
from app.kit.masking import mask_id_number, mask_phone
from app.members.errors import MemberNotFound
from app.models import AuditEvent, Member, Organization, OrgClosure, OrgKind
from app.models.orgs import BRANCH_KINDS
from app.orgs import service as orgs_service

_ID_CONTEXT = b"members.id_number"
_PLAIN_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "phone",
    "party_status",
    "joined_party_on",
    "relation_org_id",
    "workplace_org_id",
    "is_mobile",
    "is_lost_contact",
)


def member_not_found() -> MemberNotFound:
    return MemberNotFound()


def in_scope(scope: Scope) -> ColumnElement[bool]:
    return or_(scope.covers(Member.relation_org_id), scope.covers(Member.workplace_org_id))


async def get_in_scope(session: AsyncSession, scope: Scope, member_id: int) -> Member:
    member = await session.scalar(select(Member).where(Member.id == member_id, in_scope(scope)))
    if member is None:
        raise member_not_found()
    return member


def public_view(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "name": member.name,
        "gender": member.gender,
        "birth_date": member.birth_date,
        "phone": mask_phone(member.phone),
        "id_number": member.id_number_masked,
        "party_status": member.party_status,
        "joined_party_on": member.joined_party_on,
        "relation_org_id": member.relation_org_id,
        "workplace_org_id": member.workplace_org_id,
        "is_mobile": member.is_mobile,
        "is_lost_contact": member.is_lost_contact,
        "has_account": member.account_id is not None,
        "created_at": member.created_at,
        "updated_at": member.updated_at,
    }


async def _check_orgs(session: AsyncSession, scope: Scope, values: dict[str, Any]) -> None:
    if values.get("relation_org_id") is not None:
        org = await orgs_service.get_in_scope(session, scope, values["relation_org_id"])
        if org.kind not in BRANCH_KINDS:
            raise Unprocessable(
                "member.relation_not_branch",
                "组织关系须在党支部",
                "The membership relation must be held by a branch",
            )
    if values.get("workplace_org_id") is not None:
        org = await orgs_service.get_in_scope(session, scope, values["workplace_org_id"])
        if org.kind is not OrgKind.SOCIAL_ORG:
            raise Unprocessable(
                "member.workplace_not_social_org",
                "工作单位须为社会组织",
                "The workplace must be a social organization",
            )


def _check_dates(
    birth_date: date | None, joined_on: date | None, id_number: str | None, today: date
) -> None:
    if birth_date and birth_date > today:
        raise Unprocessable(
            "member.birth_date_future", "出生日期不能晚于今天", "Birth date is in the future"
        )
    if joined_on and joined_on > today:
        raise Unprocessable(
            "member.joined_on_future", "入党日期不能晚于今天", "Join date is in the future"
        )
    if birth_date and joined_on and joined_on < birth_date:
        raise Unprocessable(
            "member.joined_before_birth", "入党日期早于出生日期", "Joined before birth"
        )
    if id_number and birth_date and id_number_birth_date(id_number) != birth_date:
        raise Unprocessable(
            "member.birth_date_mismatch",
            "出生日期与身份证号码不一致",
            "Birth date does not match the ID number",
        )


async def _set_id_number(
    session: AsyncSession, cipher: FieldCipher, member: Member, id_number: str | None
) -> None:
    if id_number is None:
        member.id_number_cipher = member.id_number_hash = member.id_number_masked = None
        return
    lookup = cipher.lookup_hash(id_number)
    holder = await session.scalar(select(Member.id).where(Member.id_number_hash == lookup))
    if holder is not None and holder != member.id:
        raise Conflict(
            "member.id_number_taken", "该身份证号码已登记", "ID number already registered"
        )
    member.id_number_cipher = cipher.encrypt(id_number, context=_ID_CONTEXT)
    member.id_number_hash = lookup
    member.id_number_masked = mask_id_number(id_number)


async def create(
    session: AsyncSession, scope: Scope, cipher: FieldCipher, values: dict[str, Any], today: date
) -> Member:
    if values.get("relation_org_id") is None and values.get("workplace_org_id") is None:
        raise Unprocessable(
            "member.org_required",
            "须填写组织关系所在支部或工作单位",
            "Give the relation branch or the workplace",
        )
    await _check_orgs(session, scope, values)
    # Derived first, so a birth date read from the ID number is checked like a typed one.
    if values.get("id_number") and values.get("birth_date") is None:
        values["birth_date"] = id_number_birth_date(values["id_number"])
    _check_dates(
        values.get("birth_date"), values.get("joined_party_on"), values.get("id_number"), today
    )
    member = Member(**{k: v for k, v in values.items() if k in _PLAIN_FIELDS and v is not None})
    await _set_id_number(session, cipher, member, values.get("id_number"))
    session.add(member)
    await session.flush()
    return member


async def update(
    session: AsyncSession,
    scope: Scope,
    cipher: FieldCipher,
    member_id: int,
    changes: dict[str, Any],
    today: date,
) -> Member:
    member = await get_in_scope(session, scope, member_id)
    await _check_orgs(session, scope, changes)
    relation = changes.get("relation_org_id", member.relation_org_id)
    workplace = changes.get("workplace_org_id", member.workplace_org_id)
    if relation is None and workplace is None:
        raise Unprocessable(
            "member.org_required",
            "须填写组织关系所在支部或工作单位",
            "Give the relation branch or the workplace",
        )
    if "id_number" in changes:
        id_number = changes["id_number"]
    elif "birth_date" in changes and member.id_number_cipher is not None:
        # A new birth date alone must still agree with the ID number on file.
        id_number = cipher.decrypt(member.id_number_cipher, context=_ID_CONTEXT)
    else:
        id_number = None
    _check_dates(
        changes.get("birth_date", member.birth_date),
        changes.get("joined_party_on", member.joined_party_on),
        id_number,
        today,
    )
    for name in _PLAIN_FIELDS:
        if name not in changes:
            continue
        if changes[name] is None and name in (
            "name",
            "party_status",
            "is_mobile",
            "is_lost_contact",
        ):
            continue  # required columns: null means "leave as is"
        setattr(member, name, changes[name])
    if "id_number" in changes:
        await _set_id_number(session, cipher, member, id_number)
    await session.flush()
    return member


async def delete(session: AsyncSession, scope: Scope, member_id: int) -> None:
    member = await get_in_scope(session, scope, member_id)
    await session.delete(member)
    await session.flush()


async def search(
    session: AsyncSession,
    scope: Scope,
    *,
    name_contains: str | None,
    org_id: int | None,
    party_status: str | None,
    after_id: int | None,
    limit: int,
) -> Sequence[Member]:
    query = select(Member).where(in_scope(scope))
    if org_id is not None:
        await orgs_service.get_in_scope(session, scope, org_id)
        subtree = select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id == org_id)
        query = query.where(
            or_(Member.relation_org_id.in_(subtree), Member.workplace_org_id.in_(subtree))
        )
    if name_contains:
        query = query.where(Member.name.contains(name_contains, autoescape=True))
    if party_status is not None:
        query = query.where(Member.party_status == party_status)
    if after_id is not None:
        query = query.where(Member.id > after_id)
    return (await session.scalars(query.order_by(Member.id).limit(limit))).all()


async def read_sensitive(
    session: AsyncSession,
    scope: Scope,
    cipher: FieldCipher,
    member_id: int,
    *,
    actor_account_id: int,
    request_id: str | None,
) -> dict[str, Any]:
    member = await get_in_scope(session, scope, member_id)
    session.add(
        AuditEvent(
            actor_account_id=actor_account_id,
            action="member.read_sensitive",
            object_type="member",
            object_id=member.id,
            org_id=member.relation_org_id or member.workplace_org_id,
            request_id=request_id,
            details={"fields": ["phone", "id_number"]},
        )
    )
    id_number = (
        cipher.decrypt(member.id_number_cipher, context=_ID_CONTEXT)
        if member.id_number_cipher
        else None
    )
    await session.flush()
    return {"id": member.id, "phone": member.phone, "id_number": id_number}


async def org_names(session: AsyncSession, org_ids: set[int]) -> dict[int, str]:
    if not org_ids:
        return {}
    rows = await session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
    )
    return {row.id: row.name for row in rows}
