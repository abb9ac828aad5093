"""The minutes' attendance figures are the attendance view's (issue 10.11): pending while
check-in is open, absent once it has closed, and a rejected check-in absent in both."""

from __future__ import annotations

from typing import Any

import httpx

from app.kit.clock import FrozenClock
from tests.leave.helpers import V1
from tests.minutes.test_minutes import Scene, scene, url

__all__ = ["scene"]  # the minutes scene, a fixture

SHARED = ("expected", "present", "late", "excused", "absent", "pending", "walk_ins")


async def both(client: httpx.AsyncClient, scene: Scene) -> tuple[dict[str, Any], dict[str, Any]]:
    minutes = await client.get(url(scene), headers=scene.secretary.headers)
    assert minutes.status_code == 200, minutes.text
    roster = await client.get(url(scene, "attendance"), headers=scene.secretary.headers)
    assert roster.status_code == 200, roster.text
    shown: dict[str, Any] = minutes.json()["attendance"]
    summary: dict[str, Any] = roster.json()["summary"]
    return shown, {key: summary[key] for key in SHARED}


async def test_minutes_and_attendance_agree_on_pending_and_absent(
    client: httpx.AsyncClient, scene: Scene, clock: FrozenClock
) -> None:
    clock.advance(hours=1, minutes=10)  # the meeting has started; check-in is open
    manual = await client.post(
        url(scene, "check-ins/manual"),
        json={"member_id": scene.present.id, "reason": "现场确认"},
        headers=scene.secretary.headers,
    )
    assert manual.status_code == 201, manual.text
    written = await client.put(
        url(scene), json={"content": "记录"}, headers=scene.secretary.headers
    )
    assert written.status_code == 200, written.text

    during, roster = await both(client, scene)
    assert during == roster
    assert (during["absent"], during["pending"]) == (0, 1)  # the secretary may still come

    undone = await client.post(
        f"{V1}/activities/{scene.activity_id}/attendances/{manual.json()['id']}/review",
        json={"decision": "reject", "reason": "补签有误"},
        headers=scene.secretary.headers,
    )
    assert undone.status_code == 200, undone.text
    clock.advance(hours=3)  # check-in has closed
    after, roster = await both(client, scene)
    assert after == roster
    assert (after["present"], after["absent"], after["pending"]) == (0, 2, 0)
