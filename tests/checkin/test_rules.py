"""The check-in rules an organizer sets per activity (issue 10.1): which methods, whether a
rotating code needs the point too, and whether a code from outside the fence is refused or
kept for review."""

from __future__ import annotations

from typing import Any

import httpx

from app.checkin import codes
from tests.checkin.conftest import VENUE_LON, Scene, error_code
from tests.checkin.test_geofence import north

INSIDE: dict[str, Any] = {"latitude": north(40), "longitude": VENUE_LON, "accuracy": 10}
FAR: dict[str, Any] = {"latitude": north(4_400), "longitude": VENUE_LON, "accuracy": 10}


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert error_code(response) == code
    error: dict[str, Any] = response.json()["error"]
    return error


async def test_rules_default_to_todays_behaviour_and_show(scene: Scene) -> None:
    meeting = await scene.meeting()
    assert meeting["checkin_methods"] == ["rotating_code", "poster", "geofence"]
    assert meeting["location_required"] is False
    assert meeting["outside_fence"] == "review"


async def test_rules_are_set_on_create_and_changed_by_patch(scene: Scene) -> None:
    meeting = await scene.meeting(
        publish=False, checkin_methods=["geofence", "rotating_code", "geofence"]
    )
    assert meeting["checkin_methods"] == ["rotating_code", "geofence"]

    patched = await scene.client.patch(
        f"/api/v1/activities/{meeting['id']}",
        json={"location_required": True, "outside_fence": "refuse", "checkin_methods": ["poster"]},
        headers=scene.secretary.headers,
    )

    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["checkin_methods"], body["location_required"], body["outside_fence"]) == (
        ["poster"],
        True,
        "refuse",
    )


async def test_manual_and_no_method_are_not_rules(scene: Scene) -> None:
    for methods in (["manual"], []):
        response = await scene.client.post(
            "/api/v1/activities",
            json={
                "org_id": scene.branch.id,
                "type": "party_lecture",
                "title": "党课",
                "starts_at": "2025-06-01T10:10:00+08:00",
                "ends_at": "2025-06-01T12:10:00+08:00",
                "checkin_methods": methods,
            },
            headers=scene.secretary.headers,
        )
        refused(response, 422, "validation_failed")


async def test_location_required_needs_a_geofence(scene: Scene) -> None:
    without = await scene.client.post(
        "/api/v1/activities",
        json={
            "org_id": scene.branch.id,
            "type": "party_lecture",
            "title": "党课",
            "starts_at": "2025-06-01T10:10:00+08:00",
            "ends_at": "2025-06-01T12:10:00+08:00",
            "location_required": True,
        },
        headers=scene.secretary.headers,
    )
    refused(without, 422, "checkin.location_needs_geofence")
    meeting = await scene.meeting(geofence_radius_m=None)
    patched = await scene.client.patch(
        f"/api/v1/activities/{meeting['id']}",
        json={"location_required": True},
        headers=scene.secretary.headers,
    )
    refused(patched, 422, "checkin.location_needs_geofence")


# --- outside the fence ------------------------------------------------------------------


async def test_a_code_from_outside_the_fence_is_refused_when_the_rules_say_so(
    scene: Scene,
) -> None:
    member = await scene.member()
    meeting = await scene.meeting(outside_fence="refuse")
    code = await scene.code(meeting["id"])

    response = await scene.check_in(member, meeting["id"], token=code["token"], **FAR)

    error = refused(response, 422, "checkin.outside_geofence")
    assert error["details"]["radius_m"] == 200
    assert abs(error["details"]["distance_m"] - 4_400) <= 1
    assert await scene.attendances() == []


async def test_a_code_from_outside_the_fence_is_kept_for_review_when_the_rules_say_so(
    scene: Scene,
) -> None:
    member = await scene.member()
    meeting = await scene.meeting(outside_fence="review")
    code = await scene.code(meeting["id"])

    response = await scene.check_in(member, meeting["id"], token=code["token"], **FAR)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["needs_review"] is True
    assert body["review_reasons"] == ["outside_geofence"]
    assert body["review_status"] == "pending"
    (row,) = await scene.attendances()
    assert row.review_status is not None
    assert row.review_status.value == "pending"


async def test_a_poster_from_outside_the_fence_is_refused_even_for_review(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting(outside_fence="review")
    poster = codes.poster_scene(meeting["id"], await scene.secret(meeting["id"]))

    response = await scene.check_in(member, meeting["id"], token=poster, **FAR)

    refused(response, 422, "checkin.outside_geofence")
    assert await scene.attendances() == []


# --- the location -----------------------------------------------------------------------


async def test_a_code_without_the_location_is_refused_when_it_is_required(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting(location_required=True)
    code = await scene.code(meeting["id"])

    refused(
        await scene.check_in(member, meeting["id"], token=code["token"]),
        422,
        "checkin.location_required",
    )
    assert await scene.attendances() == []
    with_point = await scene.check_in(member, meeting["id"], token=code["token"], **INSIDE)
    assert with_point.status_code == 201, with_point.text
    assert with_point.json()["needs_review"] is False


async def test_a_poster_without_the_location_is_refused(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()  # location not required: a poster needs it anyway
    poster = codes.poster_scene(meeting["id"], await scene.secret(meeting["id"]))

    refused(
        await scene.check_in(member, meeting["id"], token=poster),
        422,
        "checkin.location_required",
    )
    assert await scene.attendances() == []


# --- the methods ------------------------------------------------------------------------


async def test_method_not_allowed(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting(checkin_methods=["rotating_code"])
    poster = codes.poster_scene(meeting["id"], await scene.secret(meeting["id"]))

    for body in (INSIDE, {"token": poster, **INSIDE}):
        error = refused(
            await scene.check_in(member, meeting["id"], **body), 422, "checkin.method_not_allowed"
        )
        assert error["details"]["allowed"] == ["rotating_code"]
        assert error["message"] == "本次活动不支持该签到方式"
    assert await scene.attendances() == []

    code = await scene.code(meeting["id"])
    allowed = await scene.check_in(member, meeting["id"], token=code["token"])
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["method"] == "rotating_code"


async def test_only_the_location_may_be_allowed(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting(checkin_methods=["geofence"])
    code = await scene.code(meeting["id"])

    error = refused(
        await scene.check_in(member, meeting["id"], token=code["token"], **INSIDE),
        422,
        "checkin.method_not_allowed",
    )
    assert error["details"] == {"method": "rotating_code", "allowed": ["geofence"]}
    assert (await scene.check_in(member, meeting["id"], **INSIDE)).status_code == 201
