"""A secretary's poster waits on WeChat (seconds, at worst); nobody else waits with it.

Found this way: while one request waited on the poster, ``GET /me`` of another member took
1.3 s instead of 9 ms, because every request began with SQLite's BEGIN IMMEDIATE and the
poster's transaction held the write lock across the call. Here WeChat answers only when the
test lets it, after the other requests have been answered."""

from __future__ import annotations

import asyncio

import httpx

from app.models import Attendance
from tests.checkin.conftest import VENUE_LAT, VENUE_LON, Scene, new_nonce
from tests.fixtures.wechat import FakeWeChat

POSTER = "/wxa/getwxacodeunlimit"
INSIDE = {"latitude": VENUE_LAT, "longitude": VENUE_LON, "accuracy": 10}
# A guard, not a measurement: a regression fails here instead of hanging the suite.
GUARD_SECONDS = 10


async def test_others_read_and_write_while_the_poster_waits_on_wechat(
    scene: Scene, wechat: FakeWeChat
) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    code = await scene.code(meeting["id"])
    called, release = asyncio.Event(), asyncio.Event()

    async def slow_poster(_: httpx.Request) -> httpx.Response:
        called.set()
        await release.wait()
        return httpx.Response(
            200, content=b"\xff\xd8poster", headers={"content-type": "image/jpeg"}
        )

    wechat.overrides[POSTER] = slow_poster
    poster = asyncio.create_task(
        scene.client.get(
            f"/api/v1/activities/{meeting['id']}/checkin-poster", headers=scene.secretary.headers
        )
    )
    await asyncio.wait_for(called.wait(), GUARD_SECONDS)

    me = await asyncio.wait_for(
        scene.client.get("/api/v1/me", headers=member.headers), GUARD_SECONDS
    )
    checked_in = await asyncio.wait_for(
        scene.check_in(member, meeting["id"], nonce=new_nonce(), token=code["token"], **INSIDE),
        GUARD_SECONDS,
    )

    assert not poster.done()  # both were answered while WeChat still had the poster
    assert me.status_code == 200, me.text
    assert me.json()["member"]["id"] == member.member.id
    assert checked_in.status_code == 201, checked_in.text
    [attendance] = await scene.attendances(meeting["id"])
    assert isinstance(attendance, Attendance)
    assert attendance.member_id == member.member.id

    release.set()
    answered = await asyncio.wait_for(poster, GUARD_SECONDS)
    assert answered.status_code == 200
    assert answered.content == b"\xff\xd8poster"
