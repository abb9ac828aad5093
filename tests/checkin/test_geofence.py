"""Geofenced check-in (reliability 5): outside the radius is refused, poor accuracy is
flagged for review, and only the single check-in point is kept, only when it was compared
with a venue."""

from __future__ import annotations

import math
from typing import Any

import pytest

from app.config import Settings
from app.kit.geo import EARTH_RADIUS_M, haversine_m
from tests.checkin.conftest import RADIUS_M, VENUE_LAT, VENUE_LON, Scene, error_code


def north(metres: float) -> float:
    """The latitude ``metres`` due north of the venue (along the meridian)."""
    return VENUE_LAT + math.degrees(metres / EARTH_RADIUS_M)


def from_venue(lat: float, lon: float = VENUE_LON) -> float:
    return haversine_m(VENUE_LAT, VENUE_LON, lat, lon)


def on_the_boundary(radius: int) -> tuple[float, float]:
    """The farthest latitude due north whose computed distance is still <= radius, and the
    next representable latitude, whose distance is beyond it."""
    lat = north(radius)
    while from_venue(lat) > radius:
        lat = math.nextafter(lat, -math.inf)
    beyond = math.nextafter(lat, math.inf)
    while from_venue(beyond) <= radius:
        lat, beyond = beyond, math.nextafter(beyond, math.inf)
    return lat, beyond


async def stored_point(scene: Scene) -> tuple[Any, ...]:
    (row,) = await scene.attendances()
    return (row.latitude, row.longitude, row.accuracy_m, row.distance_m)


# --- haversine ----------------------------------------------------------------------------


def test_haversine_one_degree_of_latitude() -> None:
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, abs=10)
    assert haversine_m(VENUE_LAT, VENUE_LON, VENUE_LAT + 1, VENUE_LON) == pytest.approx(
        111_195, abs=10
    )


def test_haversine_beijing_shanghai() -> None:
    beijing = (39.9042, 116.4074)  # 天安门
    shanghai = (31.2304, 121.4737)  # 人民广场
    assert haversine_m(*beijing, *shanghai) == pytest.approx(1_067_000, abs=5_000)
    assert haversine_m(*beijing, *shanghai) == pytest.approx(haversine_m(*shanghai, *beijing))


def test_haversine_zero_and_antipodes() -> None:
    assert haversine_m(VENUE_LAT, VENUE_LON, VENUE_LAT, VENUE_LON) == 0
    assert haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_M)
    # One degree of longitude shrinks with the latitude.
    assert haversine_m(60, 10, 60, 11) == pytest.approx(haversine_m(0, 10, 0, 11) / 2, rel=0.01)


# --- inside / outside / boundary ----------------------------------------------------------


async def test_inside_is_accepted_with_its_distance(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    lat = north(50)
    expected = from_venue(lat)
    assert expected == pytest.approx(50, abs=0.01)

    response = await scene.check_in(
        member, meeting["id"], latitude=lat, longitude=VENUE_LON, accuracy=20
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["method"] == "geofence"
    assert body["distance_m"] == pytest.approx(expected, abs=0.05)
    assert body["needs_review"] is False
    assert body["review_reasons"] == []
    assert await stored_point(scene) == (lat, VENUE_LON, 20, pytest.approx(expected, abs=0.05))


async def test_inside_to_the_east(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    lon = VENUE_LON + 0.0015  # about 141 m east at 32°N
    expected = from_venue(VENUE_LAT, lon)
    assert 130 < expected < 150

    response = await scene.check_in(
        member, meeting["id"], latitude=VENUE_LAT, longitude=lon, accuracy=8
    )

    assert response.status_code == 201, response.text
    assert response.json()["distance_m"] == pytest.approx(expected, abs=0.05)


async def test_outside_is_refused_and_nothing_is_stored(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    lat = north(300)

    response = await scene.check_in(
        member, meeting["id"], latitude=lat, longitude=VENUE_LON, accuracy=10
    )

    assert response.status_code == 422, response.text
    assert error_code(response) == "checkin.outside_geofence"
    assert response.json()["error"]["details"] == {
        "distance_m": round(from_venue(lat)),
        "radius_m": RADIUS_M,
    }
    assert round(from_venue(lat)) == 300
    assert await scene.attendances() == []


async def test_exactly_on_the_boundary_is_accepted_and_just_beyond_is_not(scene: Scene) -> None:
    member, other = await scene.members(2)
    meeting = await scene.meeting()
    edge, beyond = on_the_boundary(RADIUS_M)
    assert from_venue(edge) == pytest.approx(RADIUS_M, abs=1e-6)
    assert from_venue(edge) <= RADIUS_M < from_venue(beyond)

    out = await scene.check_in(
        other, meeting["id"], latitude=beyond, longitude=VENUE_LON, accuracy=5
    )
    assert out.status_code == 422, out.text
    assert error_code(out) == "checkin.outside_geofence"

    on = await scene.check_in(member, meeting["id"], latitude=edge, longitude=VENUE_LON, accuracy=5)
    assert on.status_code == 201, on.text
    assert on.json()["distance_m"] == RADIUS_M
    assert on.json()["needs_review"] is False


async def test_boundary_with_the_radius_rounded_up(scene: Scene) -> None:
    member = await scene.member()
    lat, lon = VENUE_LAT + 0.00091, VENUE_LON - 0.00123  # somewhere north-west
    distance = from_venue(lat, lon)
    meeting = await scene.meeting(geofence_radius_m=math.ceil(distance))

    response = await scene.check_in(member, meeting["id"], latitude=lat, longitude=lon, accuracy=5)

    assert response.status_code == 201, response.text
    assert response.json()["distance_m"] == pytest.approx(distance, abs=0.05)


# --- accuracy -----------------------------------------------------------------------------


@pytest.mark.parametrize("metres", [50, 300, 5_000])
async def test_poor_accuracy_is_accepted_for_review_even_when_far(
    scene: Scene, settings: Settings, metres: int
) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    lat = north(metres)
    accuracy = settings.checkin_max_accuracy_m + 1

    response = await scene.check_in(
        member, meeting["id"], latitude=lat, longitude=VENUE_LON, accuracy=accuracy
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["needs_review"] is True
    assert body["review_reasons"] == ["poor_accuracy"]
    assert body["method"] == "geofence"
    assert body["distance_m"] == pytest.approx(metres, abs=0.1)
    assert await stored_point(scene) == (lat, VENUE_LON, accuracy, pytest.approx(metres, abs=0.1))


async def test_no_accuracy_is_poor_accuracy(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()

    response = await scene.check_in(member, meeting["id"], latitude=north(30), longitude=VENUE_LON)

    assert response.status_code == 201, response.text
    assert response.json()["needs_review"] is True
    assert response.json()["review_reasons"] == ["poor_accuracy"]
    (row,) = await scene.attendances()
    assert row.accuracy_m is None
    assert row.latitude == north(30)


async def test_accuracy_at_the_limit_is_trusted(scene: Scene, settings: Settings) -> None:
    near, far = await scene.members(2)
    meeting = await scene.meeting()
    limit = settings.checkin_max_accuracy_m

    ok = await scene.check_in(
        near, meeting["id"], latitude=north(60), longitude=VENUE_LON, accuracy=limit
    )
    assert ok.status_code == 201
    assert ok.json()["needs_review"] is False
    refused = await scene.check_in(
        far, meeting["id"], latitude=north(260), longitude=VENUE_LON, accuracy=limit
    )
    assert refused.status_code == 422
    assert error_code(refused) == "checkin.outside_geofence"


async def test_walk_in_with_poor_accuracy_has_both_reasons(scene: Scene) -> None:
    meeting = await scene.meeting()
    newcomer = await scene.member()
    response = await scene.check_in(
        newcomer, meeting["id"], latitude=north(20), longitude=VENUE_LON, accuracy=500
    )
    assert response.status_code == 201
    assert response.json()["review_reasons"] == ["poor_accuracy", "walk_in"]


# --- rotating code with a point -----------------------------------------------------------


async def test_rotating_code_outside_the_fence_is_accepted_but_flagged(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    code = await scene.code(meeting["id"])
    lat = north(900)

    response = await scene.check_in(
        member, meeting["id"], token=code["token"], latitude=lat, longitude=VENUE_LON, accuracy=10
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["method"] == "rotating_code"
    assert body["needs_review"] is True
    assert body["review_reasons"] == ["outside_geofence"]
    assert body["distance_m"] == pytest.approx(900, abs=0.1)
    assert await stored_point(scene) == (lat, VENUE_LON, 10, pytest.approx(900, abs=0.1))


async def test_rotating_code_inside_the_fence_keeps_the_point(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    code = await scene.code(meeting["id"])

    response = await scene.check_in(
        member,
        meeting["id"],
        token=code["token"],
        latitude=north(10),
        longitude=VENUE_LON,
        accuracy=4,
    )

    assert response.status_code == 201
    assert response.json()["needs_review"] is False
    assert await stored_point(scene) == (north(10), VENUE_LON, 4, pytest.approx(10, abs=0.1))


async def test_rotating_code_without_a_point_stores_none(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    code = await scene.code(meeting["id"])

    response = await scene.check_in(member, meeting["id"], token=code["token"])

    assert response.status_code == 201
    assert response.json()["distance_m"] is None
    assert response.json()["needs_review"] is False
    assert await stored_point(scene) == (None, None, None, None)


@pytest.mark.parametrize(
    "venue",
    [
        pytest.param(
            {"venue_latitude": None, "venue_longitude": None, "geofence_radius_m": None},
            id="no venue",
        ),
        pytest.param({"geofence_radius_m": None}, id="venue without a radius"),
    ],
)
async def test_point_not_compared_is_not_kept(scene: Scene, venue: dict[str, Any]) -> None:
    member = await scene.member()
    meeting = await scene.meeting(**venue)
    code = await scene.code(meeting["id"])

    response = await scene.check_in(
        member,
        meeting["id"],
        token=code["token"],
        latitude=north(5_000),
        longitude=VENUE_LON,
        accuracy=10,
    )

    assert response.status_code == 201, response.text
    assert response.json()["distance_m"] is None
    assert response.json()["needs_review"] is False
    assert await stored_point(scene) == (None, None, None, None)
