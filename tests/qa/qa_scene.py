"""A Q&A world for the core's tests (questions, answers, reviews, moderation, races): build_world's
tree with an asker, the instructors and admins their questions reach, and members elsewhere.

The word list holds the fake WeChat's markers, so a text with ``[审核]`` is held for review
and one with ``[违规]`` refused, whichever backend a module runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.config import Settings
from app.models import (
    Channel,
    Delivery,
    Notification,
    NotificationKind,
    Organization,
    QaCategory,
    Role,
)
from tests.factories import Actor, Factory, World, build_world
from tests.fixtures.settings import settings_for

QA = "/api/v1/qa"
QUESTIONS = f"{QA}/questions"
REVIEW = "[审核]"
RISKY = "[违规]"
T0 = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 09:00 in Beijing


def qa_settings(database_url: str, **changes: Any) -> Settings:
    return settings_for(database_url).model_copy(
        update={
            "content_check_review_words": [REVIEW],
            "content_check_risky_words": [RISKY],
            **changes,
        }
    )


@dataclass(frozen=True)
class Notice:
    title: str
    body: str
    data: dict[str, Any]
    recipients: frozenset[int]  # member ids, from the inbox deliveries


@dataclass
class Scene:
    app: FastAPI
    client: httpx.AsyncClient
    factory: Factory
    world: World
    asker: Actor  # relation branch A1, working at social A1
    instructor: Actor  # instructor of branch A1: where the asker's questions go
    street_instructor: Actor  # instructor of street A
    admin: Actor  # committee admin of street A
    sibling: Actor  # a plain member of branch A2 (street A)
    outsider: Actor  # a plain member of the joint branch of street B
    outside_instructor: Actor  # instructor of street B
    category_id: int  # 党费, everyone's

    async def call(self, method: str, url: str, actor: Actor, **kw: Any) -> httpx.Response:
        return await self.client.request(method, url, headers=actor.headers, **kw)

    async def ask(self, actor: Actor | None = None, **fields: Any) -> dict[str, Any]:
        body = {
            "category_id": self.category_id,
            "title": "流动党员党费怎么交",
            "body": "我在外地工作，组织关系在甲一支部，党费交到哪里？",
            **fields,
        }
        response = await self.call("POST", QUESTIONS, actor or self.asker, json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def answer(
        self, question_id: int, actor: Actor | None = None, body: str = "交到组织关系所在支部。"
    ) -> dict[str, Any]:
        response = await self.call(
            "POST",
            f"{QUESTIONS}/{question_id}/answers",
            actor or self.instructor,
            json={"body": body},
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def member(
        self,
        relation: Organization | None = None,
        workplace: Organization | None = None,
        **fields: Any,
    ) -> Actor:
        return await signed_in_member(self.factory, relation, workplace, **fields)

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        async with self.app.state.runtime.sessionmaker() as session:
            return list((await session.scalars(select(model).where(*where))).all())

    async def notices(self, kind: NotificationKind) -> list[Notice]:
        async with self.app.state.runtime.sessionmaker() as session:
            found = (
                await session.scalars(
                    select(Notification).where(Notification.kind == kind).order_by(Notification.id)
                )
            ).all()
            notices = []
            for notification in found:
                members = await session.scalars(
                    select(Delivery.member_id).where(
                        Delivery.notification_id == notification.id,
                        Delivery.channel == Channel.INBOX,
                    )
                )
                notices.append(
                    Notice(
                        notification.title,
                        notification.body,
                        dict(notification.data),
                        frozenset(m for m in members if m is not None),
                    )
                )
            return notices


async def signed_in_member(
    factory: Factory,
    relation: Organization | None = None,
    workplace: Organization | None = None,
    **fields: Any,
) -> Actor:
    member = await factory.member(relation, workplace, **fields)
    account = await factory.account(member)
    return Actor(member, account, factory.headers_for(account))


async def category_id(app: FastAPI, name: str) -> int:
    async with app.state.runtime.sessionmaker() as session:
        found = await session.scalar(
            select(QaCategory.id).where(QaCategory.name == name, QaCategory.org_id.is_(None))
        )
    assert found is not None
    return found


async def build_scene(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Scene:
    world = await build_world(factory)
    return Scene(
        app=app,
        client=client,
        factory=factory,
        world=world,
        asker=await signed_in_member(factory, world.branch_a1, world.social_a1, name="张提问"),
        instructor=await factory.actor(Role.INSTRUCTOR, world.branch_a1),
        street_instructor=await factory.actor(Role.INSTRUCTOR, world.street_a),
        admin=await factory.actor(Role.COMMITTEE_ADMIN, world.street_a),
        sibling=await signed_in_member(factory, world.branch_a2, name="李同街"),
        outsider=await signed_in_member(factory, world.joint_b, name="王乙方"),
        outside_instructor=await factory.actor(Role.INSTRUCTOR, world.street_b),
        category_id=await category_id(app, "党费"),
    )


def code(response: httpx.Response) -> str:
    value: str = response.json()["error"]["code"]
    return value
