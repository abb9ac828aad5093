"""A member's preferences through the API: channels per kind, quiet hours, and what cannot be
turned off."""

from __future__ import annotations

import httpx

from tests.factories import Factory, build_world

URL = "/api/v1/me/notification-preferences"


async def test_a_member_turns_a_channel_off_and_sets_quiet_hours(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    member = await factory.actor(None, None, relation=world.branch_a1)
    saved = await client.put(
        URL,
        json={
            "changes": [{"kind": "news_published", "channel": "console", "enabled": False}],
            "quiet_hours": {"starts": "22:00", "ends": "07:00"},
        },
        headers=member.headers,
    )
    assert saved.status_code == 200, saved.text
    read = (await client.get(URL, headers=member.headers)).json()
    kinds = {entry["kind"]: entry for entry in read["kinds"]}
    assert kinds["news_published"]["channels"] == {"inbox": True, "console": False}
    assert kinds["activity_published"]["channels"] == {"inbox": True, "console": True}
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
            {"kind": "activity_cancelled", "channel": "console", "enabled": False},
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
