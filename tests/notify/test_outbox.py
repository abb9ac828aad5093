"""notify(): the notification and its deliveries commit with the change, or not at all;
channels follow preferences; a cause is notified once."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.config import Settings
from app.kit.clock import FrozenClock
from app.models import Member, NotificationKind, NotificationPreference, Organization
from app.notify.outbox import notify
from tests.factories import Factory, build_world
from tests.notify.helpers import T0, deliveries, frozen, notifications


@pytest.fixture
def clock() -> FrozenClock:
    return frozen()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.notify_channels = ["inbox", "console", "sms"]
    settings.notify_opt_in_channels = ["sms"]
    settings.notify_group_channels = ["wecom_bot"]
    # Configured so the channels build; nothing is sent in these tests.
    settings.sms_access_key_id = "test-key"
    settings.sms_access_key_secret = "test-secret"
    settings.sms_sign_name = "党建测试"
    settings.sms_template_code = "SMS_0001"
    settings.wecom_webhook_url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test"
    return settings


def of_branch(branch: Organization) -> object:
    return select(Member.id).where(Member.relation_org_id == branch.id)


async def send(app: FastAPI, branch: Organization, source: str = "test:1", **kw: object) -> object:
    runtime = app.state.runtime
    async with runtime.sessionmaker.begin() as session:
        return await notify(
            session,
            runtime.settings,
            kind=kw.pop("kind", NotificationKind.ACTIVITY_PUBLISHED),  # type: ignore[arg-type]
            source=source,
            title="支部党员大会",
            body="时间：06月01日 10:00",
            recipients=of_branch(branch),  # type: ignore[arg-type]
            now=T0,
            org_id=branch.id,
            **kw,  # type: ignore[arg-type]
        )


async def test_each_member_gets_each_channel_they_want(app: FastAPI, factory: Factory) -> None:
    world = await build_world(factory)
    members = [await factory.member(relation=world.branch_a1) for _ in range(3)]
    await factory.member(relation=world.branch_a2)  # not a recipient
    notification_id = await send(app, world.branch_a1)
    rows = await deliveries(app)
    per_member = {(row.member_id, row.channel.value) for row in rows if row.member_id}
    # SMS is opt-in: nobody turned it on.
    assert per_member == {(m.id, c) for m in members for c in ("inbox", "console")}
    group = [row for row in rows if row.member_id is None]
    assert [(row.channel.value, row.dedupe_key) for row in group] == [
        ("wecom_bot", f"n{notification_id}:wecom_bot")
    ]
    assert all(row.status.value == "pending" and row.next_attempt_at == T0 for row in rows)


async def test_the_same_cause_is_notified_once(app: FastAPI, factory: Factory) -> None:
    world = await build_world(factory)
    await factory.member(relation=world.branch_a1)
    first = await send(app, world.branch_a1)
    again = await send(app, world.branch_a1)
    assert first is not None
    assert again is None
    assert len(await notifications(app)) == 1
    assert len(await deliveries(app)) == 3  # inbox, console, the group bot


async def test_a_rolled_back_change_enqueues_nothing(app: FastAPI, factory: Factory) -> None:
    world = await build_world(factory)
    await factory.member(relation=world.branch_a1)
    runtime = app.state.runtime

    async def notify_then_fail() -> None:
        async with runtime.sessionmaker.begin() as session:
            await notify(
                session,
                runtime.settings,
                kind=NotificationKind.ACTIVITY_PUBLISHED,
                source="test:rolled-back",
                title="标题",
                body="正文",
                recipients=of_branch(world.branch_a1),  # type: ignore[arg-type]
                now=T0,
            )
            raise RuntimeError("the change that caused it failed")

    with pytest.raises(RuntimeError, match="the change that caused it failed"):
        await notify_then_fail()
    assert await notifications(app) == []
    assert await deliveries(app) == []


async def test_preferences_turn_channels_off_and_on_but_not_for_critical_kinds(
    app: FastAPI, factory: Factory
) -> None:
    world = await build_world(factory)
    quiet_one = await factory.member(relation=world.branch_a1)
    sms_fan = await factory.member(relation=world.branch_a1)
    async with app.state.runtime.sessionmaker.begin() as session:
        for kind in (NotificationKind.ACTIVITY_PUBLISHED, NotificationKind.ACTIVITY_CANCELLED):
            session.add(
                NotificationPreference(
                    member_id=quiet_one.id, kind=kind, channel="console", enabled=False
                )
            )
            session.add(
                NotificationPreference(member_id=sms_fan.id, kind=kind, channel="sms", enabled=True)
            )
    await send(app, world.branch_a1, "test:published")
    await send(app, world.branch_a1, "test:cancelled", kind=NotificationKind.ACTIVITY_CANCELLED)
    rows = await deliveries(app)
    by_source = {}
    for notification in await notifications(app):
        by_source[notification.source] = {
            (row.member_id, row.channel.value)
            for row in rows
            if row.notification_id == notification.id and row.member_id
        }
    assert by_source["test:published"] == {
        (quiet_one.id, "inbox"),
        (sms_fan.id, "inbox"),
        (sms_fan.id, "console"),
        (sms_fan.id, "sms"),
    }
    # A cancellation is critical: every configured channel, whatever the preferences say.
    assert by_source["test:cancelled"] == {
        (member.id, channel)
        for member in (quiet_one, sms_fan)
        for channel in ("inbox", "console", "sms")
    }
