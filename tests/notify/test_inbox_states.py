"""Messages say what is true when they are read (issue 10.13): the inbox shows the newest
state of an activity first and marks every older message about it as superseded, with the
newest; each message tells the state it announced, not a later one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.kit.clock import FrozenClock
from app.models import Role
from tests.factories import Factory, build_world
from tests.notify.helpers import frozen, worker
from tests.notify.scenes import MEETING_START, call, meeting

INBOX = "/api/v1/me/inbox"


@pytest.fixture
def clock() -> FrozenClock:
    return frozen()


def moved(hours: int) -> dict[str, str]:
    starts = MEETING_START + timedelta(hours=hours)
    return {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
    }


async def test_changed_then_cancelled_shows_cancelled_first_and_older_superseded(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    member = await factory.actor(None, None, relation=world.branch_a1)
    activity_id = await meeting(client, secretary, world, "七月支部党员大会", MEETING_START)
    await worker(app).tick()
    await call(client, "PATCH", f"/activities/{activity_id}", secretary, json=moved(4))
    await call(
        client, "POST", f"/activities/{activity_id}/cancel", secretary, json={"reason": "场地冲突"}
    )
    await worker(app).tick()  # the change and the cancellation go out in one round

    response = await client.get(INBOX, headers=member.headers)

    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    assert [(i["kind"], i["title"], i["body"], i["superseded"]) for i in items] == [
        (
            "activity_cancelled",
            "活动取消：七月支部党员大会",
            "原定06月03日 14:00的活动已取消，原因：场地冲突",
            False,
        ),
        (
            "activity_changed",
            "活动变更：七月支部党员大会",
            "时间：06月03日 14:00，地点：党群服务中心",
            True,
        ),
        (
            "activity_published",
            "活动通知：七月支部党员大会",
            "时间：06月03日 10:00，地点：党群服务中心",
            True,
        ),
    ]
    cancelled = items[0]
    assert cancelled["subject"] == f"activity:{activity_id}"
    assert cancelled["superseded_by"] is None
    for older in items[1:]:
        assert older["subject"] == cancelled["subject"]
        assert older["superseded_by"] == {
            "notification_id": cancelled["notification_id"],
            "kind": "activity_cancelled",
            "title": cancelled["title"],
            "body": cancelled["body"],
            "created_at": cancelled["created_at"],
        }
    # Reading an old message shows it superseded too.
    read = await client.post(f"{INBOX}/{items[2]['id']}/read", headers=member.headers)
    assert read.status_code == 200
    assert read.json()["superseded_by"]["kind"] == "activity_cancelled"


async def test_each_change_tells_the_times_it_announced(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    activity_id = await meeting(client, secretary, world, "七月支部党员大会", MEETING_START)
    await call(client, "PATCH", f"/activities/{activity_id}", secretary, json=moved(4))
    await call(client, "PATCH", f"/activities/{activity_id}", secretary, json=moved(6))
    await worker(app).tick()  # both changes written after the second one

    response = await client.get(INBOX, headers=secretary.headers)

    bodies = [(i["kind"], i["body"], i["superseded"]) for i in response.json()["items"]]
    assert bodies == [
        ("activity_changed", "时间：06月03日 16:00，地点：党群服务中心", False),
        ("activity_changed", "时间：06月03日 14:00，地点：党群服务中心", True),
        ("activity_published", "时间：06月03日 10:00，地点：党群服务中心", True),
    ]


async def test_an_inbox_page_continues_in_the_same_order(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    for title in ("一", "二", "三"):
        await meeting(client, secretary, world, title, MEETING_START)
    await worker(app).tick()

    first = await client.get(INBOX, params={"limit": 2}, headers=secretary.headers)
    rest = await client.get(
        INBOX, params={"cursor": first.json()["next_cursor"]}, headers=secretary.headers
    )

    titles = [i["title"] for i in first.json()["items"] + rest.json()["items"]]
    assert titles == ["活动通知：三", "活动通知：二", "活动通知：一"]
    assert rest.json()["next_cursor"] is None
