"""Members are told when their leave is decided (issue 10.14): the decision writes a
leave_decided notification for the member alone, in the decision's transaction; a request
reopened and decided again is told again, the newer superseding the older."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.kit.clock import FrozenClock
from app.models import Delivery, Notification, NotificationKind, Role
from app.notify.registry import registry_of
from app.notify.worker import Worker
from tests.factories import Factory, build_world
from tests.leave.helpers import V1, create_activity


async def test_the_member_is_told_of_each_decision_on_their_leave(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    member = await factory.actor(None, None, relation=world.branch_a1)
    bystander = await factory.actor(None, None, relation=world.branch_a1)
    activity_id = await create_activity(
        client,
        secretary.headers,
        world.branch_a1,
        starts_at=clock.now() + timedelta(hours=3),
        title="七月支部党员大会",
    )
    leave_url = f"{V1}/activities/{activity_id}/leave"
    asked = await client.post(leave_url, json={"reason": "出差"}, headers=member.headers)
    decision_url = f"{V1}/activities/{activity_id}/leave-requests/{asked.json()['id']}/decision"

    rejected = await client.post(
        decision_url, json={"approve": False, "note": "支部大会须参加"}, headers=secretary.headers
    )
    await client.post(leave_url, json={"reason": "出差，已改期"}, headers=member.headers)
    approved = await client.post(decision_url, json={"approve": True}, headers=secretary.headers)
    runtime = app.state.runtime
    await Worker(runtime.sessionmaker, registry_of(app), runtime.settings, runtime.clock).tick()

    assert (rejected.status_code, approved.status_code) == (200, 200)
    async with runtime.sessionmaker() as session:
        told = (
            await session.execute(
                select(Notification.title, Notification.body, Delivery.member_id)
                .join(Delivery, Delivery.notification_id == Notification.id)
                .where(Notification.kind == NotificationKind.LEAVE_DECIDED)
                .order_by(Notification.id)
            )
        ).all()
    assert {member_id for _, _, member_id in told} == {member.member.id}
    inbox = await client.get(f"{V1}/me/inbox", headers=member.headers)
    decided = [i for i in inbox.json()["items"] if i["kind"] == "leave_decided"]
    assert [(i["title"], i["body"], i["superseded"]) for i in decided] == [
        ("请假已批准：七月支部党员大会", "您的请假申请已批准", False),
        ("请假未批准：七月支部党员大会", "您的请假申请未批准，说明：支部大会须参加", True),
    ]
    assert decided[0]["data"]["decision"] == "已批准"
    assert decided[0]["page"] == f"pages/activity/detail?id={activity_id}"
    others = await client.get(f"{V1}/me/inbox", headers=bystander.headers)
    assert "leave_decided" not in {i["kind"] for i in others.json()["items"]}
