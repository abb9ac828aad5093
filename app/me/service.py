"""The signed-in person's own view, and phone binding, which links an account to the
member record the branch entered with the same phone number."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Principal
from app.auth.service import wechat_error_to_app_error
from app.integrations.wechat import WeChatClient, WeChatError, WeChatUnavailable
from app.kit.masking import mask_phone
from app.me.schemas import HeldRole, MeRead
from app.members import service as members_service
from app.members.schemas import MemberRead
from app.models import Account, Member


async def view(session: AsyncSession, principal: Principal) -> MeRead:
    account = await session.get_one(Account, principal.account_id)
    member = (
        await session.get_one(Member, principal.member_id)
        if principal.member_id is not None
        else None
    )
    names = await members_service.org_names(
        session, {org_id for _, org_id in principal.roles if org_id is not None}
    )
    return MeRead(
        account_id=account.id,
        phone=mask_phone(account.phone),
        member=MemberRead(**members_service.public_view(member)) if member else None,
        roles=[
            HeldRole(role=role, org_id=org_id, org_name=names.get(org_id) if org_id else None)
            for role, org_id in principal.roles
        ],
    )


async def bind_phone(
    session: AsyncSession, wechat: WeChatClient, principal: Principal, code: str
) -> None:
    try:
        info = await wechat.get_phone_number(code)
    except (WeChatError, WeChatUnavailable) as exc:
        if isinstance(exc, WeChatError) and exc.errcode in (40029, 40163, 41001):
            raise wechat_error_to_app_error(WeChatError(40029, exc.errmsg)) from exc
        raise wechat_error_to_app_error(exc) from exc
    phone = info.pure_phone_number
    account = await session.get_one(Account, principal.account_id)
    account.phone = phone
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
    await session.flush()
