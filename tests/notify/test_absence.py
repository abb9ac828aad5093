"""Absent members are reminded (issue 10.14): once, after check-in closes, only those expected
who neither came nor had approved leave; not where the nearest committee that decided
switched it off."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.kit.clock import FrozenClock
from app.models import Channel, Delivery, Notification, NotificationKind, Organization, Role
from tests.factories import Actor, Factory
from tests.notify.helpers import frozen, worker
from tests.notify.scenes import Month, after_the_meeting, until_the_meeting

SETTINGS = "/api/v1/notify/committees/{}/settings"


@pytest.fixture
def clock() -> FrozenClock:
    return frozen()


async def reminded(app: FastAPI) -> dict[int, set[int]]:
    """Per activity, the members whose inbox got an absence reminder."""
    async with app.state.runtime.sessionmaker() as session:
        rows = await session.execute(
            select(Notification.data, Delivery.member_id)
            .join(Delivery, Delivery.notification_id == Notification.id)
            .where(
                Notification.kind == NotificationKind.ABSENCE_REMINDER,
                Delivery.channel == Channel.INBOX,
            )
        )
        found: dict[int, set[int]] = {}
        for data, member_id in rows.all():
            found.setdefault(data["activity_id"], set()).add(member_id)
        return found


async def switch(
    client: httpx.AsyncClient, admin: Actor, org: Organization, on: bool | None
) -> httpx.Response:
    response = await client.put(
        SETTINGS.format(org.id), json={"absence_reminders": on}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return response


async def test_the_absent_without_leave_are_reminded_once_after_the_meeting(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    month = await until_the_meeting(app, client, factory, clock)
    assert await reminded(app) == {}  # nothing before the meeting is over

    await after_the_meeting(app, clock, month)
    clock.advance(hours=3)
    await worker(app).tick()

    # The cancelled meeting reminds nobody; the one who came and the one on leave neither.
    assert await reminded(app) == {
        month.meeting_id: {month.missed.member.id, month.secretary.member.id}
    }
    inbox = await client.get("/api/v1/me/inbox", headers=month.missed.headers)
    newest = inbox.json()["items"][0]
    assert newest["kind"] == "absence_reminder"
    assert newest["title"] == "缺席提醒：七月支部党员大会"
    assert newest["body"] == "您未参加06月03日 14:00的活动，也没有获批的请假，请及时与支部联系补学"
    came = await client.get("/api/v1/me/inbox", headers=month.came.headers)
    assert "absence_reminder" not in {item["kind"] for item in came.json()["items"]}


async def test_no_reminder_where_the_committee_switched_it_off(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    month = await until_the_meeting(app, client, factory, clock)
    street_admin = await factory.actor(Role.COMMITTEE_ADMIN, month.world.street_a)
    saved = await switch(client, street_admin, month.world.street_a, False)
    assert saved.json() == {
        "org_id": month.world.street_a.id,
        "absence_reminders": False,
        "own": False,
        "decided_by_org_id": month.world.street_a.id,
    }

    await after_the_meeting(app, clock, month)

    assert await reminded(app) == {}


async def test_the_nearest_committee_that_decided_wins(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    month = await until_the_meeting(app, client, factory, clock)
    city_admin = await factory.actor(Role.COMMITTEE_ADMIN, month.world.city)
    street_admin = await factory.actor(Role.COMMITTEE_ADMIN, month.world.street_a)
    await switch(client, city_admin, month.world.city, False)
    await switch(client, street_admin, month.world.street_a, True)
    street_b = await client.get(
        SETTINGS.format(month.world.street_b.id), headers=city_admin.headers
    )
    assert street_b.json() == {
        "org_id": month.world.street_b.id,
        "absence_reminders": False,
        "own": None,
        "decided_by_org_id": month.world.city.id,
    }

    await after_the_meeting(app, clock, month)

    assert set(await reminded(app)) == {month.meeting_id}


async def test_committee_settings_are_a_committee_admins_for_their_own_subtree(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    month: Month = await until_the_meeting(app, client, factory, clock)
    street_admin = await factory.actor(Role.COMMITTEE_ADMIN, month.world.street_a)
    body = {"absence_reminders": False}
    for org, headers, status, code in (
        (month.world.city, street_admin.headers, 404, "notify.committee_not_found"),
        (month.world.street_b, street_admin.headers, 404, "notify.committee_not_found"),
        (month.world.branch_a1, street_admin.headers, 404, "notify.committee_not_found"),
        (month.world.street_a, month.secretary.headers, 403, "auth.forbidden"),
    ):
        refused = await client.put(SETTINGS.format(org.id), json=body, headers=headers)
        assert refused.status_code == status, refused.text
        assert refused.json()["error"]["code"] == code

    default = await client.get(
        SETTINGS.format(month.world.street_a.id), headers=street_admin.headers
    )
    assert default.json() == {
        "org_id": month.world.street_a.id,
        "absence_reminders": True,
        "own": None,
        "decided_by_org_id": None,
    }


async def test_a_meeting_long_over_is_not_raked_up(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    month = await until_the_meeting(app, client, factory, clock)

    await after_the_meeting(app, clock, month, late=timedelta(days=2))

    assert await reminded(app) == {}
