"""A branch's month through the API, written so that every kind of notification is made the
way production makes it: a meeting published, moved, reminded of and held (one member came,
one had leave, one missed it), another cancelled, a leave decided, an article pushed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from app.kit.clock import FrozenClock
from app.models import Attendance, CheckInMethod, Role
from tests.factories import Actor, Factory, World, build_world
from tests.notify.helpers import T0, worker

V1 = "/api/v1"
MEETING_START = T0 + timedelta(days=2)  # 2025-06-03 10:00 in Beijing
MOVED_START = MEETING_START + timedelta(hours=4)  # 14:00


@dataclass
class Month:
    world: World
    secretary: Actor
    came: Actor
    excused: Actor
    missed: Actor
    meeting_id: int
    cancelled_id: int
    leave_id: int

    @property
    def members(self) -> list[Actor]:
        return [self.secretary, self.came, self.excused, self.missed]


async def call(client: httpx.AsyncClient, method: str, url: str, actor: Actor, **kw: Any) -> Any:
    response = await client.request(method, f"{V1}{url}", headers=actor.headers, **kw)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def meeting(
    client: httpx.AsyncClient, actor: Actor, world: World, title: str, starts: Any
) -> int:
    created = await call(
        client,
        "POST",
        "/activities",
        actor,
        json={
            "org_id": world.branch_a1.id,
            "type": "branch_general_meeting",
            "title": title,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "venue_name": "党群服务中心",
        },
    )
    await call(client, "POST", f"/activities/{created['id']}/publish", actor)
    activity_id: int = created["id"]
    return activity_id


async def until_the_meeting(
    app: FastAPI,
    client: httpx.AsyncClient,
    factory: Factory,
    clock: FrozenClock,
    with_members: Callable[[list[Actor]], Awaitable[None]] | None = None,
) -> Month:
    """Everything before the meeting: published, moved, one leave approved, the other
    meeting cancelled, the article pushed, the reminder due; the worker has run.
    ``with_members`` is handed the members before anything is sent to them."""
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    came, excused, missed = [
        await factory.actor(None, None, relation=world.branch_a1) for _ in range(3)
    ]
    if with_members is not None:
        await with_members([secretary, came, excused, missed])
    meeting_id = await meeting(client, secretary, world, "七月支部党员大会", MEETING_START)
    cancelled_id = await meeting(client, secretary, world, "主题党日", MEETING_START)
    await worker(app).tick()
    await call(
        client,
        "PATCH",
        f"/activities/{meeting_id}",
        secretary,
        json={
            "starts_at": MOVED_START.isoformat(),
            "ends_at": (MOVED_START + timedelta(hours=2)).isoformat(),
        },
    )
    await call(
        client, "POST", f"/activities/{cancelled_id}/cancel", secretary, json={"reason": "场地冲突"}
    )
    leave = await call(
        client, "POST", f"/activities/{meeting_id}/leave", excused, json={"reason": "出差"}
    )
    await call(
        client,
        "POST",
        f"/activities/{meeting_id}/leave-requests/{leave['id']}/decision",
        secretary,
        json={"approve": True, "note": "同意，请会后补学"},
    )
    instructor = await factory.actor(Role.INSTRUCTOR, world.street_a)
    article = await call(
        client,
        "POST",
        "/news/articles",
        instructor,
        json={
            "title": "学习贯彻党的二十届三中全会精神",
            "summary": "全会精神要点解读",
            "body": "## 要点",
            "category": "policy",
            "audience_org_ids": [world.branch_a1.id],
        },
    )
    await call(client, "POST", f"/news/articles/{article['id']}/publish", instructor)
    await worker(app).tick()
    clock.advance(seconds=(MOVED_START - timedelta(minutes=30) - clock.now()).total_seconds())
    await worker(app).tick()  # the reminder
    return Month(world, secretary, came, excused, missed, meeting_id, cancelled_id, leave["id"])


async def after_the_meeting(
    app: FastAPI, clock: FrozenClock, month: Month, late: timedelta = timedelta()
) -> None:
    """The meeting is held (one member checks in) and check-in closes; the worker runs
    then, or ``late`` after that."""
    async with app.state.runtime.sessionmaker.begin() as session:
        session.add(
            Attendance(
                activity_id=month.meeting_id,
                member_id=month.came.member.id,
                method=CheckInMethod.MANUAL,
                checked_in_at=MOVED_START,
            )
        )
    closes = MOVED_START + timedelta(hours=2, minutes=30) + late
    clock.advance(seconds=(closes - clock.now()).total_seconds())
    await worker(app).tick()
