"""Arranging rows for tests through the same services the API uses."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi import FastAPI

from app.auth.scope import Scope
from app.auth.tokens import issue_access_token
from app.kit.identifiers import make_credit_code, make_id_number
from app.kit.time import DISPLAY_ZONE
from app.members import service as members_service
from app.members.schemas import MemberCreate
from app.models import Account, Member, Organization, OrgKind, PartyStatus, Role, RoleAssignment
from app.models.orgs import SocialOrgType
from app.orgs import service as orgs_service
from app.orgs.schemas import OrgCreate

_counter = itertools.count(1)
EVERYWHERE = Scope(everywhere=True)


def unique_credit_code() -> str:
    n = next(_counter)
    return make_credit_code(f"5132010{n:010d}")


def unique_id_number(birth: date = date(1985, 6, 15)) -> str:
    n = next(_counter)
    return make_id_number(f"32{n % 10000:04d}", birth, n)


@dataclass
class Actor:
    member: Member
    account: Account
    headers: dict[str, str]


class Factory:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.runtime = app.state.runtime

    async def org(
        self,
        kind: OrgKind,
        name: str | None = None,
        parent: Organization | None = None,
        **fields: Any,
    ) -> Organization:
        values: dict[str, Any] = {
            "kind": kind,
            "name": name or f"{kind.value}-{next(_counter)}",
            **fields,
        }
        values["parent_id"] = parent.id if parent else None
        if kind is OrgKind.SOCIAL_ORG:
            values.setdefault("social_org_type", SocialOrgType.SOCIAL_GROUP)
            values.setdefault("credit_code", unique_credit_code())
        async with self.runtime.sessionmaker() as session, session.begin():
            return await orgs_service.create(
                session, EVERYWHERE, OrgCreate(**values), now=self.runtime.clock.now()
            )

    async def member(
        self,
        relation: Organization | None = None,
        workplace: Organization | None = None,
        *,
        name: str | None = None,
        party_status: PartyStatus = PartyStatus.FULL_MEMBER,
        **fields: Any,
    ) -> Member:
        values: dict[str, Any] = {
            "name": name or f"党员{next(_counter)}",
            "party_status": party_status,
            "relation_org_id": relation.id if relation else None,
            "workplace_org_id": workplace.id if workplace else None,
            **fields,
        }
        async with self.runtime.sessionmaker() as session, session.begin():
            return await members_service.create(
                session,
                EVERYWHERE,
                self.runtime.cipher,
                MemberCreate(**values),
                today=self.runtime.clock.now().astimezone(DISPLAY_ZONE).date(),
                now=self.runtime.clock.now(),
            )

    async def account(self, member: Member | None = None, openid: str | None = None) -> Account:
        async with self.runtime.sessionmaker() as session, session.begin():
            now = self.runtime.clock.now()
            account = Account(
                openid=openid or f"test-openid-{next(_counter)}", created_at=now, updated_at=now
            )
            session.add(account)
            await session.flush()
            if member is not None:
                db_member = await session.get_one(Member, member.id)
                db_member.account_id = account.id
                member.account_id = account.id
            return account

    async def grant(self, member: Member, role: Role, org: Organization | None) -> None:
        async with self.runtime.sessionmaker() as session, session.begin():
            now = self.runtime.clock.now()
            session.add(
                RoleAssignment(
                    member_id=member.id,
                    org_id=org.id if org else None,
                    role=role,
                    created_at=now,
                    updated_at=now,
                )
            )

    def headers_for(self, account: Account) -> dict[str, str]:
        token = issue_access_token(self.runtime.settings, account.id, datetime.now(UTC))
        return {"Authorization": f"Bearer {token}"}

    async def actor(
        self, role: Role | None, org: Organization | None, *, relation: Organization | None = None
    ) -> Actor:
        """A signed-in person holding ``role`` on ``org`` (no role: a plain member)."""
        home = relation or (
            org if org is not None and org.kind in (OrgKind.BRANCH, OrgKind.JOINT_BRANCH) else None
        )
        member = await self.member(relation=home) if home else await self._member_without_org()
        account = await self.account(member)
        if role is not None:
            await self.grant(member, role, org)
        return Actor(member=member, account=account, headers=self.headers_for(account))

    async def _member_without_org(self) -> Member:
        # Committee staff may hold no membership relation in this system.
        async with self.runtime.sessionmaker() as session, session.begin():
            now = self.runtime.clock.now()
            member = Member(
                name=f"工作人员{next(_counter)}",
                party_status=PartyStatus.FULL_MEMBER,
                created_at=now,
                updated_at=now,
            )
            session.add(member)
            await session.flush()
            return member


@dataclass
class World:
    """Two street committees under one city committee, with sibling branches to test scope."""

    city: Organization
    street_a: Organization
    street_b: Organization
    branch_a1: Organization
    branch_a2: Organization
    joint_b: Organization
    social_a1: Organization
    social_a2: Organization
    social_b: Organization


async def build_world(factory: Factory) -> World:
    city = await factory.org(OrgKind.COMMITTEE, "市社会组织综合党委")
    street_a = await factory.org(OrgKind.COMMITTEE, "甲街道工委", city)
    street_b = await factory.org(OrgKind.COMMITTEE, "乙街道工委", city)
    branch_a1 = await factory.org(OrgKind.BRANCH, "甲一支部", street_a)
    branch_a2 = await factory.org(OrgKind.BRANCH, "甲二支部", street_a)
    joint_b = await factory.org(OrgKind.JOINT_BRANCH, "乙联合支部", street_b)
    social_a1 = await factory.org(OrgKind.SOCIAL_ORG, "甲一协会", branch_a1)
    social_a2 = await factory.org(
        OrgKind.SOCIAL_ORG, "甲二基金会", branch_a2, social_org_type=SocialOrgType.FOUNDATION
    )
    social_b = await factory.org(
        OrgKind.SOCIAL_ORG,
        "乙服务中心",
        joint_b,
        social_org_type=SocialOrgType.SOCIAL_SERVICE_AGENCY,
    )
    return World(
        city, street_a, street_b, branch_a1, branch_a2, joint_b, social_a1, social_a2, social_b
    )
