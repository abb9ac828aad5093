"""Rotating and poster check-in codes (reliability 4): a rotating code is valid in its
30-second step and the next one, never later, never before, never for another activity."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.checkin import codes
from app.errors import Unprocessable
from app.kit.types import INT32_MAX
from app.models import Role
from tests.checkin.conftest import RADIUS_M, STEP, T0, VENUE_LAT, VENUE_LON, Scene, error_code

K0 = int(T0.timestamp()) // STEP  # the step the frozen clock starts in
TINY = timedelta(microseconds=1)
INSIDE: dict[str, Any] = {
    "latitude": VENUE_LAT + 0.0003,
    "longitude": VENUE_LON,
    "accuracy": 15,
}  # about 33 m north


def step_start(k: int) -> datetime:
    return datetime.fromtimestamp(k * STEP, UTC)


def test_frozen_start_is_a_step_edge() -> None:
    assert step_start(K0) == T0
    assert codes.current_step(T0, STEP) == K0
    assert codes.current_step(T0 - TINY, STEP) == K0 - 1
    assert codes.current_step(T0 + timedelta(seconds=29.999), STEP) == K0


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        pytest.param(timedelta(0), True, id="k*30: start of its step"),
        pytest.param(timedelta(seconds=29.999), True, id="k*30+29.999: end of its step"),
        pytest.param(timedelta(seconds=STEP), True, id="(k+1)*30: start of the next step"),
        pytest.param(timedelta(seconds=STEP + 29.999), True, id="(k+1)*30+29.999"),
        pytest.param(timedelta(seconds=2 * STEP) - TINY, True, id="(k+2)*30-1e-6: last instant"),
        pytest.param(timedelta(seconds=2 * STEP), False, id="(k+2)*30: two steps later"),
        pytest.param(timedelta(seconds=2 * STEP + 29.999), False, id="(k+2)*30+29.999"),
        pytest.param(timedelta(minutes=10), False, id="ten minutes later"),
    ],
)
async def test_code_lives_for_its_step_and_the_next(
    scene: Scene, offset: timedelta, accepted: bool
) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    code = await scene.code(meeting["id"])
    assert code["step"] == K0

    scene.at(T0 + offset)
    response = await scene.check_in(member, meeting["id"], token=code["token"])

    if accepted:
        assert response.status_code == 201, response.text
        assert response.json()["method"] == "rotating_code"
        assert len(await scene.attendances(meeting["id"])) == 1
    else:
        assert response.status_code == 422, response.text
        assert error_code(response) == "checkin.token_expired"
        assert await scene.attendances(meeting["id"]) == []


@pytest.mark.parametrize(
    ("now", "steps_ahead"),
    [
        pytest.param(T0 - TINY, 1, id="k*30-1e-6: the code of step k is one step early"),
        pytest.param(T0 - timedelta(seconds=STEP), 1, id="start of step k-1"),
        pytest.param(T0 + timedelta(seconds=29.999), 1, id="forged for step k+1"),
        pytest.param(T0, 5, id="forged for step k+5"),
    ],
)
async def test_code_from_a_future_step_is_invalid(
    scene: Scene, now: datetime, steps_ahead: int
) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    secret = await scene.secret(meeting["id"])
    # Correctly signed with the activity's own key, for a step that has not come yet.
    step_now = codes.current_step(now, STEP)
    future = codes.rotating_code(meeting["id"], secret, step_now + steps_ahead)

    scene.at(now)
    response = await scene.check_in(member, meeting["id"], token=future)

    assert response.status_code == 422, response.text
    assert error_code(response) == "checkin.token_invalid"
    assert await scene.attendances() == []


async def test_code_shown_at_k30_is_not_accepted_a_microsecond_earlier(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    code = await scene.code(meeting["id"])  # at T0 = k*30

    scene.at(T0 - TINY)
    response = await scene.check_in(member, meeting["id"], token=code["token"])

    assert response.status_code == 422
    assert error_code(response) == "checkin.token_invalid"


async def test_code_of_another_activity_in_the_same_step_is_invalid(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    other = await scene.meeting(title="另一场会议")
    foreign = await scene.code(other["id"])
    own = await scene.code(meeting["id"])
    assert foreign["step"] == own["step"] == K0
    other_secret = await scene.secret(other["id"])

    attempts = [
        foreign["token"],  # the other meeting's current code, as shown on its secretary's phone
        codes.rotating_code(meeting["id"], other_secret, K0),  # our id, the other meeting's key
        codes.rotating_code(
            other["id"], await scene.secret(meeting["id"]), K0
        ),  # their id, our key
    ]
    for token in attempts:
        response = await scene.check_in(member, meeting["id"], token=token)
        assert response.status_code == 422, (token, response.text)
        assert error_code(response) == "checkin.token_invalid"
    assert await scene.attendances() == []

    # The other meeting's code still works there, and ours here.
    assert (await scene.check_in(member, meeting["id"], token=own["token"])).status_code == 201


def _flip(char: str) -> str:
    return "A" if char != "A" else "B"


async def test_altered_signature_or_step_is_invalid(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    token = (await scene.code(meeting["id"]))["token"]
    head, signature = token.split(".")
    scene.at(T0 + timedelta(seconds=STEP))  # step k+1: the code of step k is still good

    altered = [
        f"{head}.{_flip(signature[0])}{signature[1:]}",
        f"{head}.{signature[:-1]}{_flip(signature[-1])}",
        f"{head}.{signature[:-1]}",
        f"{head}.{signature}x",
        f"{K0 - 1:x}.{signature}",  # an older step under the same signature
        f"{K0 + 1:x}.{signature}",  # the current step under the same signature
    ]
    for forged in altered:
        response = await scene.check_in(member, meeting["id"], token=forged)
        assert response.status_code == 422, (forged, response.text)
        assert error_code(response) == "checkin.token_invalid", forged
    assert await scene.attendances() == []
    assert (await scene.check_in(member, meeting["id"], token=token)).status_code == 201


@pytest.mark.parametrize(
    "token", ["abc", "zz.zz", "p1.x", ".", "1.", ".abc", "p", "-1.abc", "x" * 64]
)
async def test_malformed_code_is_invalid(scene: Scene, token: str) -> None:
    member = await scene.member()
    meeting = await scene.meeting()

    response = await scene.check_in(member, meeting["id"], token=token)

    assert response.status_code == 422, response.text
    assert error_code(response) == "checkin.token_invalid"
    assert await scene.attendances() == []


async def test_empty_code_is_refused_before_it_reaches_the_check(scene: Scene) -> None:
    """An empty string is refused by the request schema (min length 1) as a validation
    error; the code check itself would call it invalid too."""
    member = await scene.member()
    meeting = await scene.meeting()

    response = await scene.check_in(member, meeting["id"], token="")

    assert response.status_code == 422
    assert error_code(response) == "validation_failed"
    assert response.json()["error"]["details"]["fields"][0]["loc"][-1] == "token"
    assert await scene.attendances() == []


@pytest.mark.parametrize("token", ["", "abc", "zz.zz", "p1.x"])
def test_verify_calls_malformed_codes_invalid(token: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        codes.verify(token, 1, b"k" * 32, K0)
    assert refused.value.code == "checkin.token_invalid"


# --- poster -------------------------------------------------------------------------------


def test_poster_scene_is_short_signed_and_names_only_the_activity() -> None:
    secret = b"s" * 32
    for activity_id in (1, 4096, INT32_MAX):
        scene = codes.poster_scene(activity_id, secret)
        assert len(scene) <= 32, scene  # getwxacodeunlimit's limit
        assert scene.startswith("p")
        # Allowed in a WeChat scene; nothing but the activity id and a signature.
        assert re.fullmatch(r"p[0-9a-f]+\.[A-Za-z0-9_-]{16}", scene), scene
        assert int(scene[1:].split(".")[0], 16) == activity_id
    # Another key signs differently: a scene cannot be made without the activity's secret.
    assert codes.poster_scene(7, secret) != codes.poster_scene(7, b"t" * 32)


async def test_poster_scene_holds_no_member_data_and_is_the_same_for_everyone(scene: Scene) -> None:
    members = await scene.members(2)
    meeting = await scene.meeting()
    secret = await scene.secret(meeting["id"])
    # Made from the activity id and its key alone: one printed poster serves every member.
    poster = codes.poster_scene(meeting["id"], secret)
    assert poster.isascii()
    assert int(poster[1:].split(".")[0], 16) == meeting["id"]
    for actor in members:
        assert actor.member.name not in poster
        response = await scene.check_in(actor, meeting["id"], token=poster, **INSIDE)
        assert response.status_code == 201, response.text
        assert response.json()["method"] == "poster"
        assert response.json()["member_id"] == actor.member.id


async def test_poster_works_in_any_step_but_only_inside_the_geofence(scene: Scene) -> None:
    inside, outside, nowhere = await scene.members(3)
    meeting = await scene.meeting()
    poster = codes.poster_scene(meeting["id"], await scene.secret(meeting["id"]))
    scene.at(T0 + timedelta(minutes=47, seconds=13))  # a printed poster does not rotate

    no_location = await scene.check_in(nowhere, meeting["id"], token=poster)
    assert no_location.status_code == 422
    assert error_code(no_location) == "checkin.location_required"

    far = await scene.check_in(
        outside,
        meeting["id"],
        token=poster,
        latitude=VENUE_LAT + 0.01,
        longitude=VENUE_LON,
        accuracy=10,
    )
    assert far.status_code == 422
    assert error_code(far) == "checkin.outside_geofence"
    assert far.json()["error"]["details"]["radius_m"] == RADIUS_M

    assert await scene.attendances() == []
    near = await scene.check_in(inside, meeting["id"], token=poster, **INSIDE)
    assert near.status_code == 201, near.text
    assert near.json()["method"] == "poster"
    assert near.json()["needs_review"] is False


async def test_poster_of_an_activity_without_geofence_is_refused(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting(venue_latitude=None, venue_longitude=None, geofence_radius_m=None)
    poster = codes.poster_scene(meeting["id"], await scene.secret(meeting["id"]))

    response = await scene.check_in(member, meeting["id"], token=poster, **INSIDE)

    assert response.status_code == 422
    assert error_code(response) == "checkin.location_required"
    assert await scene.attendances() == []


async def test_poster_of_another_activity_is_invalid(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    other = await scene.meeting(title="另一场会议")
    foreign = codes.poster_scene(other["id"], await scene.secret(other["id"]))
    # The other meeting's id under our key, and our id under the other meeting's key.
    ours_id_their_key = codes.poster_scene(meeting["id"], await scene.secret(other["id"]))

    for poster in (foreign, ours_id_their_key):
        response = await scene.check_in(member, meeting["id"], token=poster, **INSIDE)
        assert response.status_code == 422, response.text
        assert error_code(response) == "checkin.token_invalid"
    assert await scene.attendances() == []


# --- GET checkin-code ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset",
    [
        timedelta(0),
        timedelta(seconds=29.999),
        timedelta(seconds=STEP),
        timedelta(minutes=7, seconds=3),
    ],
)
async def test_checkin_code_times_follow_the_step(scene: Scene, offset: timedelta) -> None:
    meeting = await scene.meeting()
    scene.at(T0 + offset)

    code = await scene.code(meeting["id"])

    k = codes.current_step(T0 + offset, STEP)
    assert code["activity_id"] == meeting["id"]
    assert code["step"] == k
    assert datetime.fromisoformat(code["refresh_at"]) == step_start(k + 1)
    assert datetime.fromisoformat(code["expires_at"]) == step_start(k + 2)
    secret = await scene.secret(meeting["id"])
    assert code["token"] == codes.rotating_code(meeting["id"], secret, k)


async def test_checkin_code_changes_at_the_step_edge_and_dies_at_expires_at(scene: Scene) -> None:
    early, late = await scene.members(2)
    meeting = await scene.meeting()
    scene.at(T0 + timedelta(seconds=29.999))
    first = await scene.code(meeting["id"])
    scene.at(T0 + timedelta(seconds=STEP))
    second = await scene.code(meeting["id"])
    assert first["token"] != second["token"]
    assert first["expires_at"] == second["refresh_at"]

    scene.at(datetime.fromisoformat(first["expires_at"]) - TINY)
    assert (await scene.check_in(early, meeting["id"], token=first["token"])).status_code == 201
    scene.at(datetime.fromisoformat(first["expires_at"]))
    expired = await scene.check_in(late, meeting["id"], token=first["token"])
    assert error_code(expired) == "checkin.token_expired"
    assert (await scene.check_in(late, meeting["id"], token=second["token"])).status_code == 201


async def test_checkin_code_only_for_managers_in_scope(scene: Scene) -> None:
    meeting = await scene.meeting()
    url = f"/api/v1/activities/{meeting['id']}/checkin-code"
    sibling = await scene.factory.actor(Role.SECRETARY, scene.world.branch_a2)
    other_street = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_b)
    above = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    plain = await scene.member()

    for outsider in (sibling, other_street):
        response = await scene.client.get(url, headers=outsider.headers)
        assert response.status_code == 404
        assert error_code(response) == "activity.not_found"
    refused = await scene.client.get(url, headers=plain.headers)
    assert refused.status_code == 403
    assert error_code(refused) == "auth.forbidden"
    assert (await scene.client.get(url)).status_code == 401
    assert (await scene.client.get(url, headers=above.headers)).status_code == 200


async def test_checkin_code_of_a_draft_or_cancelled_activity_is_refused(scene: Scene) -> None:
    draft = await scene.meeting(publish=False)
    response = await scene.client.get(
        f"/api/v1/activities/{draft['id']}/checkin-code", headers=scene.secretary.headers
    )
    assert response.status_code == 409
    assert error_code(response) == "checkin.activity_not_published"

    meeting = await scene.meeting()
    cancelled = await scene.client.post(
        f"/api/v1/activities/{meeting['id']}/cancel",
        json={"reason": "场地临时不可用"},
        headers=scene.secretary.headers,
    )
    assert cancelled.status_code == 200
    response = await scene.client.get(
        f"/api/v1/activities/{meeting['id']}/checkin-code", headers=scene.secretary.headers
    )
    assert response.status_code == 409
    assert error_code(response) == "checkin.activity_not_published"
