"""`python -m app create-admin`: make one WeChat account a system admin, idempotently."""

from __future__ import annotations

from sqlalchemy import select

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.kit.clock import Clock
from app.models import Account, Member, PartyStatus, Role, RoleAssignment


async def create_admin(settings: Settings, *, name: str, openid: str) -> int:
    """Finds or creates the account with ``openid``, its member record (``name``, no
    organization) and its system-admin role; returns the member id. An existing member
    keeps its name and organizations."""
    name, openid = name.strip(), openid.strip()
    if not 0 < len(name) <= 50 or not 0 < len(openid) <= 64:
        raise ValueError("name must have 1-50 characters and openid 1-64")
    engine = create_engine(settings)
    now = Clock().now()
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            account = await session.scalar(select(Account).where(Account.openid == openid))
            if account is None:
                account = Account(openid=openid, created_at=now, updated_at=now)
                session.add(account)
                await session.flush()
            member = await session.scalar(select(Member).where(Member.account_id == account.id))
            if member is None:
                member = Member(
                    name=name,
                    party_status=PartyStatus.FULL_MEMBER,
                    account_id=account.id,
                    created_at=now,
                    updated_at=now,
                )
                session.add(member)
                await session.flush()
            # The unique constraint does not catch this duplicate: org_id is NULL.
            held = await session.scalar(
                select(RoleAssignment.id).where(
                    RoleAssignment.member_id == member.id,
                    RoleAssignment.role == Role.SYSTEM_ADMIN,
                    RoleAssignment.org_id.is_(None),
                )
            )
            if held is None:
                session.add(
                    RoleAssignment(
                        member_id=member.id,
                        org_id=None,
                        role=Role.SYSTEM_ADMIN,
                        created_at=now,
                        updated_at=now,
                    )
                )
            return member.id
    finally:
        await engine.dispose()
