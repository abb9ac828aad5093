"""A member's preferences through the API: channels per kind, quiet hours, and what cannot be
turned off."""

from __future__ import annotations

import httpx
import pytest

from app.config import Settings
from tests.factories import Factory, build_world

URL = "/api/v1/me/notification-preferences"
TEMPLATES = {
    "news_published": {"template_id": "t-news", "thing1": "article_title", "time2": "published_at"}
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The console stays a developer's channel; WeChat is one a member switches.
    settings.notify_channels = ["inbox", "console", "wechat"]
    settings.wechat_templates = TEMPLATES
    return settings


async def test_a_member_turns_a_channel_off_and_sets_quiet_hours(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    member = await factory.actor(None, None, relation=world.branch_a1)
    saved = await client.put(
        URL,
        json={
            "changes": [{"kind": "news_published", "channel": "wechat", "enabled": False}],
            "quiet_hours": {"starts": "22:00", "ends": "07:00"},
        },
        headers=member.headers,
    )
    assert saved.status_code == 200, saved.text
    read = (await client.get(URL, headers=member.headers)).json()
    kinds = {entry["kind"]: entry for entry in read["kinds"]}
    assert kinds["news_published"]["channels"] == {"inbox": True, "wechat": False}
    assert kinds["activity_published"]["channels"] == {"inbox": True, "wechat": True}
    assert read["quiet_hours"] == {"starts": "22:00", "ends": "07:00"}
    cleared = await client.put(URL, json={"quiet_hours": None}, headers=member.headers)
    assert cleared.json()["quiet_hours"] is None


async def test_critical_kinds_and_the_inbox_stay_on(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    member = await factory.actor(None, None, relation=world.branch_a1)
    for change, code in (
        (
            {"kind": "activity_cancelled", "channel": "wechat", "enabled": False},
            "kind_is_critical",
        ),
        ({"kind": "news_published", "channel": "inbox", "enabled": False}, "inbox_always_on"),
        ({"kind": "news_published", "channel": "sms", "enabled": True}, "channel_unavailable"),
    ):
        refused = await client.put(URL, json={"changes": [change]}, headers=member.headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == f"notify.{code}"
    read = (await client.get(URL, headers=member.headers)).json()
    assert all(all(entry["channels"].values()) for entry in read["kinds"])


async def test_a_badly_written_time_is_refused(client: httpx.AsyncClient, factory: Factory) -> None:
    world = await build_world(factory)
    member = await factory.actor(None, None, relation=world.branch_a1)
    refused = await client.put(
        URL, json={"quiet_hours": {"starts": "25:00", "ends": "07:00"}}, headers=member.headers
    )
    assert refused.status_code == 422


async def test_the_console_is_not_a_members_channel(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    member = await factory.actor(None, None, relation=world.branch_a1)

    read = await client.get(URL, headers=member.headers)
    refused = await client.put(
        URL,
        json={"changes": [{"kind": "news_published", "channel": "console", "enabled": False}]},
        headers=member.headers,
    )

    assert read.status_code == 200
    assert {channel for entry in read.json()["kinds"] for channel in entry["channels"]} == {
        "inbox",
        "wechat",
    }
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == {
        "code": "notify.channel_unavailable",
        "message": "该渠道未启用",
        "details": {"channel": "console"},
    }
    after = await client.get(URL, headers=member.headers)
    assert after.json() == read.json()
