"""Check-in attempts are rate-limited per member (reliability 14): 429 with Retry-After,
and one member's burst leaves the others alone."""

from __future__ import annotations

from typing import Any

import pytest

from app.config import Settings
from tests.checkin.conftest import VENUE_LAT, VENUE_LON, Scene, error_code, new_nonce

INSIDE: dict[str, Any] = {"latitude": VENUE_LAT + 0.0002, "longitude": VENUE_LON, "accuracy": 10}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.rate_limit_checkin = "3/minute"
    return settings


async def test_fourth_attempt_of_one_member_is_refused(scene: Scene) -> None:
    member, other = await scene.members(2)
    meeting = await scene.meeting()
    for forged in ("1.forged", "2.forged", "3.forged"):
        response = await scene.check_in(member, meeting["id"], token=forged)
        assert error_code(response) == "checkin.token_invalid"

    fourth = await scene.check_in(member, meeting["id"], **INSIDE)

    assert fourth.status_code == 429, fourth.text
    assert error_code(fourth) == "rate_limited"
    retry_after = fourth.headers["Retry-After"]
    assert retry_after.isdigit()
    assert 1 <= int(retry_after) <= 60
    assert fourth.json()["error"]["details"]["retry_after"] == int(retry_after)
    assert await scene.attendances() == []

    # Another member of the same meeting is not affected.
    theirs = await scene.check_in(other, meeting["id"], **INSIDE)
    assert theirs.status_code == 201, theirs.text
    assert [row.member_id for row in await scene.attendances()] == [other.member.id]


async def test_successes_and_replays_count_too(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    nonce = new_nonce()
    first = await scene.check_in(member, meeting["id"], nonce=nonce, **INSIDE)
    assert first.status_code == 201
    for _ in range(2):
        assert (
            await scene.check_in(member, meeting["id"], nonce=nonce, **INSIDE)
        ).json() == first.json()

    limited = await scene.check_in(member, meeting["id"], nonce=nonce, **INSIDE)

    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert len(await scene.attendances()) == 1


async def test_limit_is_per_member_not_per_activity(scene: Scene) -> None:
    member = await scene.member()
    first = await scene.meeting()
    second = await scene.meeting(title="第二场")
    for _ in range(3):
        await scene.check_in(member, first["id"], token="0.forged")

    response = await scene.check_in(member, second["id"], **INSIDE)

    assert response.status_code == 429
    assert await scene.attendances() == []


@pytest.mark.parametrize(
    "settings",
    [{"rate_limit_checkin_per_ip": "2/minute", "rate_limit_checkin": "100/minute"}],
    indirect=True,
)
async def test_one_address_is_limited_across_members(scene: Scene) -> None:
    meeting = await scene.meeting()
    members = [await scene.member() for _ in range(3)]
    answers = [await scene.check_in(member, meeting["id"], token="bad.code") for member in members]
    assert [a.status_code for a in answers] == [422, 422, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited"
