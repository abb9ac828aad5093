"""The worker: activity events become inbox messages; retries back off and dead-letter;
a dead worker's claims come back after the lease; a late acknowledgement changes nothing;
quiet hours defer pushes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import time, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.config import Settings
from app.kit.clock import FrozenClock
from app.models import Channel, DeliveryStatus, Member, QuietHours, Role
from app.notify import dispatch
from app.notify.channels.base import Message, Outcome, Recipient, SendResult
from tests.factories import Factory, build_world
from tests.notify.helpers import T0, deliveries, frozen, inbox, worker


@pytest.fixture
def clock() -> FrozenClock:
    return frozen()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.notify_channels = ["inbox", "console"]
    settings.notify_backoff_base_seconds = 10
    settings.notify_max_attempts = 3
    settings.notify_lease_seconds = 60
    return settings


class ScriptedConsole:
    """Stands in for a provider on the console channel: answers from a script and counts
    calls. The worker's mechanics are under test here; each real channel is tested against
    its upstream's HTTP in tests/notify/channels."""

    channel = Channel.CONSOLE

    def __init__(self, *answers: SendResult) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[int, int | None]] = []

    async def send(self, message: Message, recipient: Recipient) -> SendResult:
        self.calls.append((message.notification_id, recipient.member_id))
        return self.answers.pop(0) if self.answers else SendResult(Outcome.DELIVERED)


async def publish_meeting(client: httpx.AsyncClient, factory: Factory) -> tuple[Any, list[Any]]:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    members = [await factory.member(relation=world.branch_a1) for _ in range(2)]
    start = T0 + timedelta(days=2)
    created = await client.post(
        "/api/v1/activities",
        json={
            "org_id": world.branch_a1.id,
            "type": "party_lecture",
            "title": "专题党课",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "venue_name": "党群服务中心",
        },
        headers=secretary.headers,
    )
    assert created.status_code == 201, created.text
    published = await client.post(
        f"/api/v1/activities/{created.json()['id']}/publish", headers=secretary.headers
    )
    assert published.status_code == 200, published.text
    return secretary, [secretary.member, *members]


async def test_a_published_activity_reaches_the_inbox_of_everyone_expected(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    _, expected = await publish_meeting(client, factory)
    console = ScriptedConsole()
    handled = await worker(app, console=console).tick()
    assert handled == 2 * len(expected)
    assert sorted(row.member_id for row in await inbox(app)) == sorted(m.id for m in expected)
    assert sorted(member for _, member in console.calls) == sorted(m.id for m in expected)
    assert {row.status for row in await deliveries(app)} == {DeliveryStatus.DELIVERED}
    # Nothing is due any more: a second round sends nothing.
    assert await worker(app, console=console).tick() == 0
    assert len(console.calls) == len(expected)


async def test_the_member_reads_their_inbox(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    secretary, _ = await publish_meeting(client, factory)
    await worker(app, console=ScriptedConsole()).tick()
    headers = secretary.headers
    count = await client.get("/api/v1/me/inbox/unread-count", headers=headers)
    assert count.json() == {"unread": 1}
    listed = await client.get("/api/v1/me/inbox", headers=headers)
    item = listed.json()["items"][0]
    assert item["title"] == "活动通知：专题党课"
    assert item["kind"] == "activity_published"
    assert item["body"].startswith("时间：06月03日 10:00")
    read = await client.post(f"/api/v1/me/inbox/{item['id']}/read", headers=headers)
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    count = await client.get("/api/v1/me/inbox/unread-count", headers=headers)
    assert count.json() == {"unread": 0}


async def test_someone_elses_message_is_not_found(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    await publish_meeting(client, factory)
    await worker(app, console=ScriptedConsole()).tick()
    stranger = await factory.actor(None, None, relation=(await build_world(factory)).branch_a2)
    message_id = (await inbox(app))[0].id
    response = await client.post(f"/api/v1/me/inbox/{message_id}/read", headers=stranger.headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "notify.message_not_found"


async def test_retries_back_off_then_dead_letter_and_an_admin_retries(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    await publish_meeting(client, factory)
    busy = SendResult(Outcome.RETRY, "upstream 503")
    console = ScriptedConsole(*[busy] * 9)
    run = worker(app, console=console)
    await run.tick()
    failing = [row for row in await deliveries(app) if row.channel is Channel.CONSOLE]
    first = failing[0]
    assert first.status is DeliveryStatus.PENDING
    assert first.attempts == 1
    # 10 s base: the first wait is drawn from [5 s, 10 s].
    assert T0 + timedelta(seconds=5) <= first.next_attempt_at <= T0 + timedelta(seconds=10)
    assert await run.tick() == 0  # not due yet
    for _ in range(2):
        clock.advance(hours=1)
        await run.tick()
    dead = [row for row in await deliveries(app) if row.channel is Channel.CONSOLE]
    assert {row.status for row in dead} == {DeliveryStatus.DEAD}
    assert {row.attempts for row in dead} == {3}
    assert dead[0].last_error == "upstream 503"

    admin = await factory.actor(Role.SYSTEM_ADMIN, None)
    listed = await client.get("/api/v1/notify/dead-letters", headers=admin.headers)
    items = listed.json()["items"]
    assert {item["id"] for item in items} == {row.id for row in dead}
    names = await member_names(app, [row.member_id for row in dead])
    for item in items:  # what an admin judges a dead letter by
        assert item["kind"] == "activity_published"
        assert item["title"] == "活动通知：专题党课"
        assert item["channel"] == "console"
        assert item["attempts"] == 3
        assert item["last_error"] == "upstream 503"
        assert item["member_name"] == names[item["member_id"]]
    retried = await client.post(
        f"/api/v1/notify/deliveries/{dead[0].id}/retry", headers=admin.headers
    )
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending"
    assert retried.json()["attempts"] == 0
    assert retried.json()["last_error"] is None
    assert retried.json()["title"] == "活动通知：专题党课"
    again = await client.post(
        f"/api/v1/notify/deliveries/{dead[0].id}/retry", headers=admin.headers
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "notify.not_dead"
    await run.tick()  # the script has run out of failures
    states = {row.id: row.status for row in await deliveries(app)}
    assert states[dead[0].id] is DeliveryStatus.DELIVERED
    assert states[dead[1].id] is DeliveryStatus.DEAD


async def test_a_permanent_failure_is_dead_at_once_and_not_subscribed_is_skipped(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    await publish_meeting(client, factory)
    console = ScriptedConsole(
        SendResult(Outcome.PERMANENT, "40003 invalid openid"),
        SendResult(Outcome.NOT_SUBSCRIBED, "no credit"),
    )
    await worker(app, console=console).tick()
    statuses = sorted(
        row.status.value for row in await deliveries(app) if row.channel is Channel.CONSOLE
    )
    assert statuses == ["dead", "delivered", "skipped"]


class BatchingConsole(ScriptedConsole):
    """A provider that takes one message for many recipients per call, two at most."""

    max_batch = 2

    def __init__(self, *answers: SendResult) -> None:
        super().__init__(*answers)
        self.batches: list[list[int | None]] = []

    async def send_many(
        self, message: Message, recipients: Sequence[Recipient]
    ) -> list[SendResult]:
        self.batches.append([r.member_id for r in recipients])
        return [await self.send(message, recipient) for recipient in recipients]


async def test_a_batch_channel_gets_one_call_per_notification_and_batch_size(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    _, expected = await publish_meeting(client, factory)
    console = BatchingConsole(SendResult(Outcome.DELIVERED), SendResult(Outcome.RETRY, "busy"))
    await worker(app, console=console).tick()

    # Three members, at most two a call: two calls, and every member in exactly one.
    assert sorted(len(batch) for batch in console.batches) == [1, 2]
    members = sorted(m for batch in console.batches for m in batch if m is not None)
    assert members == sorted(m.id for m in expected)
    # Each recipient's own answer is recorded, not the batch's first.
    statuses = sorted(
        row.status.value for row in await deliveries(app) if row.channel is Channel.CONSOLE
    )
    assert statuses == ["delivered", "delivered", "pending"]


async def test_a_dead_workers_claims_come_back_after_the_lease_and_are_sent_once(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    _, expected = await publish_meeting(client, factory)
    await worker(app).run_scheduled()
    runtime = app.state.runtime
    # Worker A claims the batch and dies before sending anything.
    async with runtime.sessionmaker.begin() as session:
        claimed = await dispatch.claim(session, "dead-worker", clock.now(), runtime.settings)
    assert len(claimed) == 2 * len(expected)
    survivor = ScriptedConsole()
    assert await worker(app, "w2", console=survivor).tick() == 0  # leases still held
    clock.advance(seconds=61)
    assert await worker(app, "w2", console=survivor).tick() == len(claimed)
    assert len(survivor.calls) == len(expected)
    assert {row.status for row in await deliveries(app)} == {DeliveryStatus.DELIVERED}
    assert len(await inbox(app)) == len(expected)


async def test_a_late_acknowledgement_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    await publish_meeting(client, factory)
    await worker(app).run_scheduled()
    runtime = app.state.runtime
    async with runtime.sessionmaker.begin() as session:
        ids = await dispatch.claim(session, "slow", clock.now(), runtime.settings)
    async with runtime.sessionmaker() as session:
        batch = await dispatch.load(session, ids)
    clock.advance(seconds=61)
    await worker(app, "fast", console=ScriptedConsole()).tick()
    # The slow worker wakes up and reports a failure for rows it no longer holds.
    failure = SendResult(Outcome.PERMANENT, "too late")
    async with runtime.sessionmaker.begin() as session:
        await dispatch.acknowledge(
            session,
            "slow",
            clock.now(),
            runtime.settings,
            random.Random(0),
            batch,
            [failure] * len(batch),
            {},
        )
    assert {row.status for row in await deliveries(app)} == {DeliveryStatus.DELIVERED}


@pytest.mark.parametrize(
    ("quiet", "now_local", "until_local"),
    [
        ((time(22), time(7)), (23, 30), (7, 0)),  # spans midnight, evening
        ((time(22), time(7)), (6, 0), (7, 0)),  # spans midnight, morning
        ((time(12), time(14)), (13, 0), (14, 0)),
        ((time(12), time(14)), (14, 0), None),  # the end is not quiet
        ((time(22), time(7)), (10, 0), None),
    ],
)
def test_quiet_until(
    quiet: tuple[time, time], now_local: tuple[int, int], until_local: tuple[int, int] | None
) -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    now = T0.astimezone(zone).replace(hour=now_local[0], minute=now_local[1])
    until = dispatch.quiet_until(quiet, now, zone)
    if until_local is None:
        assert until is None
    else:
        assert until is not None
        assert until > now
        assert (until.hour, until.minute) == until_local
        assert until - now < timedelta(hours=24)


async def test_quiet_hours_defer_pushes_but_not_the_inbox(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    secretary, _ = await publish_meeting(client, factory)
    async with app.state.runtime.sessionmaker.begin() as session:
        # 09:00-11:00 Beijing; the clock stands at 10:00.
        session.add(QuietHours(member_id=secretary.member.id, starts=time(9), ends=time(11)))
    console = ScriptedConsole()
    await worker(app, console=console).tick()
    assert secretary.member.id not in [member for _, member in console.calls]
    assert secretary.member.id in [row.member_id for row in await inbox(app)]
    held = [
        row
        for row in await deliveries(app)
        if row.member_id == secretary.member.id and row.channel is Channel.CONSOLE
    ]
    assert held[0].status is DeliveryStatus.PENDING
    assert held[0].attempts == 0
    assert held[0].next_attempt_at == T0 + timedelta(hours=1)
    clock.advance(hours=1)
    await worker(app, console=console).tick()
    assert secretary.member.id in [member for _, member in console.calls]


async def member_names(app: FastAPI, member_ids: list[int | None]) -> dict[int, str]:
    async with app.state.runtime.sessionmaker() as session:
        rows = await session.execute(
            select(Member.id, Member.name).where(Member.id.in_([i for i in member_ids if i]))
        )
        return {member_id: name for member_id, name in rows}  # noqa: C416 - a Result has keys()
