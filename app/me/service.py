"""The signed-in person's own view, and phone binding, which links an account to the
member record the branch entered with the same phone number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.errors import WeChatCodeInvalid
from app.auth.scope import Principal
from app.auth.service import wechat_error_to_app_error
from app.integrations.wechat import WeChatClient, WeChatError, WeChatUnavailable
from app.members import service as members_service
from app.models import Account, Member, Organization, Role

# getPhoneNumber codes WeChat refuses as invalid, used or missing: the button's code was bad.
_PHONE_CODE_REFUSED = frozenset({40029, 40163, 41001})


@dataclass(frozen=True)
class RoleOnOrg:
    role: Role
    org_id: int | None
    org_name: str | None


@dataclass(frozen=True)
class Me:
    """The signed-in account, its member record if linked, and the roles it holds."""

    account: Account
    member: Member | None
    roles: list[RoleOnOrg]
    # The branch the membership is registered in, named, while the member is current.
    branch: Organization | None

    @property
    def account_id(self) -> int:
        return self.account.id

    @property
    def phone(self) -> str | None:
        return self.account.phone


async def view(session: AsyncSession, principal: Principal) -> Me:
    account = await session.get_one(Account, principal.account_id)
    member = (
        await session.get_one(Member, principal.member_id)
        if principal.member_id is not None
        else None
    )
    names = await members_service.org_names(
        session, {org_id for _, org_id in principal.roles if org_id is not None}
    )
    roles = [
        RoleOnOrg(role=role, org_id=org_id, org_name=names.get(org_id) if org_id else None)
        for role, org_id in principal.roles
    ]
    branch = (
        await session.get_one(Organization, member.relation_org_id)
        if member is not None and member.relation_org_id is not None and member.departed_at is None
        else None
    )
    return Me(account=account, member=member, roles=roles, branch=branch)


async def _phone_number(wechat: WeChatClient, code: str) -> str:
    try:
        info = await wechat.get_phone_number(code)
    except WeChatError as exc:
        if exc.errcode in _PHONE_CODE_REFUSED:
            raise WeChatCodeInvalid() from exc
        raise wechat_error_to_app_error(exc) from exc
    except WeChatUnavailable as exc:
        raise wechat_error_to_app_error(exc) from exc
    return info.pure_phone_number


async def bind_phone(
    session: AsyncSession,
    wechat: WeChatClient,
    principal: Principal,
    code: str,
    *,
    now: datetime,
) -> None:
    # WeChat first, then the first statement: on SQLite that statement takes the write lock
    # (BEGIN IMMEDIATE), which would otherwise be held, and every other writer kept waiting,
    # for as long as WeChat takes to answer.
    phone = await _phone_number(wechat, code)
    account = await session.get_one(Account, principal.account_id)
    account.phone = phone
    if session.is_modified(account):
        account.updated_at = now
    if principal.member_id is None:
        # Link only when exactly one unlinked record carries this number: a guess between
        # two people would hand one of them the other's record.
        candidates = (
            await session.scalars(
                select(Member).where(Member.phone == phone, Member.account_id.is_(None)).limit(2)
            )
        ).all()
        if len(candidates) == 1:
            candidates[0].account_id = account.id
            candidates[0].updated_at = now
    await session.flush()
