"""build_world's tree with the people of relation transfers: a secretary of each branch, an
admin of each street committee, a party member of 甲一支部 who works at 甲一协会, and the
calls the tests make."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.models import (
    Channel,
    Delivery,
    Member,
    Notification,
    NotificationKind,
    Role,
    RosterChange,
)
from tests.factories import Actor, Factory, World, build_world

V1 = "/api/v1"
T0 = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
OUTSIDE = {"to_outside_name": "江苏省某协会党支部", "letter_number": "苏组转字2025第018号"}


@dataclass
class Scene:
    app: FastAPI
    client: httpx.AsyncClient
    factory: Factory
    world: World
    sec_a1: Actor  # secretary of 甲一支部 (甲街道工委)
    sec_a2: Actor  # secretary of 甲二支部 (甲街道工委)
    sec_b: Actor  # secretary of 乙联合支部 (乙街道工委)
    admin_a: Actor  # committee admin of 甲街道工委
    admin_b: Actor  # committee admin of 乙街道工委
    mover: Actor  # a full member of 甲一支部, working at 甲一协会, signed in

    async def call(
        self, method: str, url: str, actor: Actor, *, expect: int = 200, **kw: Any
    ) -> Any:
        response = await self.client.request(method, f"{V1}{url}", headers=actor.headers, **kw)
        assert response.status_code == expect, response.text
        return response.json() if response.content else None

    async def start(self, actor: Actor, *, expect: int = 201, **body: Any) -> Any:
        body.setdefault("member_id", self.mover.member.id)
        return await self.call("POST", "/transfers", actor, json=body, expect=expect)

    async def ask(self, actor: Actor, *, expect: int = 201, **body: Any) -> Any:
        return await self.call("POST", "/me/transfers", actor, json=body, expect=expect)

    async def approve(self, transfer: Any, actor: Actor, step: str, *, expect: int = 200) -> Any:
        return await self.call(
            "POST",
            f"/transfers/{transfer['id']}/approve",
            actor,
            json={"step": step},
            expect=expect,
        )

    async def refuse(
        self, how: str, transfer: Any, actor: Actor, step: str, reason: str, *, expect: int = 200
    ) -> Any:
        return await self.call(
            "POST",
            f"/transfers/{transfer['id']}/{how}",
            actor,
            json={"step": step, "reason": reason},
            expect=expect,
        )

    async def get(self, transfer: Any, actor: Actor, *, expect: int = 200) -> Any:
        return await self.call("GET", f"/transfers/{transfer['id']}", actor, expect=expect)

    async def member(self, member_id: int | None = None) -> Member:
        async with self.app.state.runtime.sessionmaker() as session:
            return await session.get_one(Member, member_id or self.mover.member.id)

    async def ledger(self, member_id: int | None = None) -> list[tuple[str, int, str | None]]:
        """(kind, organization, note) of the member's ledger rows after joining."""
        async with self.app.state.runtime.sessionmaker() as session:
            rows = await session.execute(
                select(RosterChange.kind, RosterChange.org_id, RosterChange.note)
                .where(RosterChange.member_id == (member_id or self.mover.member.id))
                .order_by(RosterChange.id)
            )
            return [(kind.value, org_id, note) for kind, org_id, note in rows if kind != "joined"]

    async def told(self, kind: NotificationKind) -> list[tuple[str, list[int]]]:
        """(title, inbox recipients) of every notification of ``kind``, in order."""
        return [(n.title, members) for n, members in await self.notices(kind)]

    async def notices(self, kind: NotificationKind) -> list[tuple[Notification, list[int]]]:
        async with self.app.state.runtime.sessionmaker() as session:
            found: Sequence[Notification] = (
                await session.scalars(
                    select(Notification).where(Notification.kind == kind).order_by(Notification.id)
                )
            ).all()
            result = []
            for notification in found:
                members = (
                    await session.scalars(
                        select(Delivery.member_id)
                        .where(
                            Delivery.notification_id == notification.id,
                            Delivery.channel == Channel.INBOX,
                        )
                        .order_by(Delivery.member_id)
                    )
                ).all()
                result.append((notification, [m for m in members if m is not None]))
            return result


async def build_scene(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Scene:
    world = await build_world(factory)
    mover_member = await factory.member(world.branch_a1, world.social_a1, name="李转接")
    mover = Actor(
        member=mover_member,
        account=(account := await factory.account(mover_member)),
        headers=factory.headers_for(account),
    )
    return Scene(
        app=app,
        client=client,
        factory=factory,
        world=world,
        sec_a1=await factory.actor(Role.SECRETARY, world.branch_a1),
        sec_a2=await factory.actor(Role.SECRETARY, world.branch_a2),
        sec_b=await factory.actor(Role.SECRETARY, world.joint_b),
        admin_a=await factory.actor(Role.COMMITTEE_ADMIN, world.street_a),
        admin_b=await factory.actor(Role.COMMITTEE_ADMIN, world.street_b),
        mover=mover,
    )
