"""Check-in through the API: every refusal in the closed list, walk-ins, lateness,
check-out, 补签 by the secretary, scope, and nonce replay (reliability 2)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.idempotency import spec as idempotency
from app.models import AuditEvent, Role
from tests.checkin import test_rules
from tests.checkin.conftest import (
    ENDS_AT,
    STARTS_AT,
    T0,
    VENUE_LAT,
    VENUE_LON,
    Scene,
    error_code,
    new_nonce,
)

TINY = timedelta(microseconds=1)
INSIDE_LAT = VENUE_LAT + 0.0004  # about 44 m north of the venue
INSIDE: dict[str, Any] = {"latitude": INSIDE_LAT, "longitude": VENUE_LON, "accuracy": 12.5}
# about 300 m north
OUTSIDE: dict[str, Any] = {"latitude": VENUE_LAT + 0.0027, "longitude": VENUE_LON, "accuracy": 10}
OPENS_AT = STARTS_AT - timedelta(minutes=30)  # settings.checkin_opens_minutes_before
CLOSES_AT = ENDS_AT + timedelta(minutes=30)  # settings.checkin_closes_minutes_after


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def assert_no_point(response: httpx.Response) -> None:
    """A check-in answer shows how far the point lay, never the point itself."""
    text = response.text
    for word in ("latitude", "longitude", "accuracy"):
        assert word not in text, text
    for number in (INSIDE_LAT, OUTSIDE["latitude"], VENUE_LON, VENUE_LAT):
        assert str(number) not in text, text


# --- the closed list of refusals ------------------------------------------------------------


async def test_token_invalid(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    refused(
        await scene.check_in(member, meeting["id"], token="1a2b.notasignature"),
        422,
        "checkin.token_invalid",
    )
    assert await scene.attendances() == []


async def test_token_expired(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    code = await scene.code(meeting["id"])
    scene.at(T0 + timedelta(minutes=1))
    refused(
        await scene.check_in(member, meeting["id"], token=code["token"]),
        422,
        "checkin.token_expired",
    )
    assert await scene.attendances() == []


async def test_token_required_without_a_geofence(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting(venue_latitude=None, venue_longitude=None, geofence_radius_m=None)
    refused(await scene.check_in(member, meeting["id"]), 422, "checkin.token_required")
    refused(await scene.check_in(member, meeting["id"], **INSIDE), 422, "checkin.token_required")
    assert await scene.attendances() == []


async def test_location_required_for_a_geofence_check_in(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    refused(await scene.check_in(member, meeting["id"]), 422, "checkin.location_required")
    refused(
        await scene.check_in(member, meeting["id"], latitude=INSIDE_LAT),
        422,
        "checkin.location_required",
    )
    refused(
        await scene.check_in(member, meeting["id"], longitude=VENUE_LON),
        422,
        "checkin.location_required",
    )
    assert await scene.attendances() == []


async def test_outside_geofence(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    error = refused(
        await scene.check_in(member, meeting["id"], **OUTSIDE), 422, "checkin.outside_geofence"
    )
    assert error["details"]["radius_m"] == 200
    assert 290 <= error["details"]["distance_m"] <= 310
    assert await scene.attendances() == []


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(OPENS_AT - TINY, id="before it opens"),
        pytest.param(CLOSES_AT + TINY, id="after it closes"),
    ],
)
async def test_outside_window(scene: Scene, now: datetime) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    scene.at(now)

    error = refused(
        await scene.check_in(member, meeting["id"], **INSIDE), 409, "checkin.outside_window"
    )

    assert datetime.fromisoformat(error["details"]["opens_at"]) == OPENS_AT
    assert datetime.fromisoformat(error["details"]["closes_at"]) == CLOSES_AT
    assert await scene.attendances() == []


@pytest.mark.parametrize(
    "now", [pytest.param(OPENS_AT, id="as it opens"), pytest.param(CLOSES_AT, id="as it closes")]
)
async def test_window_edges_are_open(scene: Scene, now: datetime) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    scene.at(now)
    response = await scene.check_in(member, meeting["id"], **INSIDE)
    assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.json()["checked_in_at"]) == now


async def test_not_expected_when_walk_ins_are_refused(scene: Scene) -> None:
    expected = await scene.member()
    meeting = await scene.meeting(walk_in_policy="refuse")
    newcomer = await scene.member()  # in the branch, but joined after the list was made

    refused(await scene.check_in(newcomer, meeting["id"], **INSIDE), 409, "checkin.not_expected")

    assert await scene.attendances() == []
    assert (await scene.check_in(expected, meeting["id"], **INSIDE)).status_code == 201


async def test_activity_cancelled(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    cancel = await scene.client.post(
        f"/api/v1/activities/{meeting['id']}/cancel",
        json={"reason": "台风停课"},
        headers=scene.secretary.headers,
    )
    assert cancel.status_code == 200
    refused(
        await scene.check_in(member, meeting["id"], **INSIDE), 409, "checkin.activity_cancelled"
    )
    assert await scene.attendances() == []


async def test_a_draft_is_not_found_by_members(scene: Scene) -> None:
    member = await scene.member()
    draft = await scene.meeting(publish=False)
    refused(await scene.check_in(member, draft["id"], **INSIDE), 404, "activity.not_found")
    assert (
        await scene.client.get(f"/api/v1/activities/{draft['id']}", headers=member.headers)
    ).status_code == 404
    assert await scene.attendances() == []


async def test_already_checked_in_shows_the_original(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    first = await scene.check_in(member, meeting["id"], **INSIDE)
    assert first.status_code == 201
    scene.at(T0 + timedelta(minutes=3))
    code = await scene.code(meeting["id"])

    again = await scene.check_in(member, meeting["id"], token=code["token"])

    error = refused(again, 409, "checkin.already_checked_in")
    assert error["details"]["attendance"] == first.json()
    assert_no_point(again)
    assert len(await scene.attendances()) == 1


@pytest.mark.parametrize("settings", [{"rate_limit_checkin": "2/minute"}], indirect=True)
async def test_rate_limited(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    for _ in range(2):
        refused(
            await scene.check_in(member, meeting["id"], token="bad.code"),
            422,
            "checkin.token_invalid",
        )

    error = refused(await scene.check_in(member, meeting["id"], **INSIDE), 429, "rate_limited")

    assert int(error["details"]["retry_after"]) >= 1
    assert (await scene.check_in(member, meeting["id"], **INSIDE)).headers["Retry-After"].isdigit()
    assert await scene.attendances() == []


# --- walk-ins, lateness ------------------------------------------------------------------


async def test_walk_in_is_accepted_and_flagged(scene: Scene) -> None:
    await scene.member()
    meeting = await scene.meeting()  # walk_in_policy accept_flagged by default
    assert meeting["walk_in_policy"] == "accept_flagged"
    newcomer = await scene.member()
    # A 流动党员 whose relation lies elsewhere but who works in one of the branch's
    # social organizations may walk in too.
    mobile_member = await scene.factory.member(
        relation=scene.world.joint_b, workplace=scene.world.social_a1, is_mobile=True
    )
    mobile_account = await scene.factory.account(mobile_member)
    mobile = type(newcomer)(
        mobile_member, mobile_account, scene.factory.headers_for(mobile_account)
    )

    for actor in (newcomer, mobile):
        response = await scene.check_in(actor, meeting["id"], **INSIDE)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["walk_in"] is True
        assert body["needs_review"] is True
        assert body["review_reasons"] == ["walk_in"]
        assert body["method"] == "geofence"
    rows = await scene.attendances()
    assert [(r.member_id, r.walk_in, r.needs_review) for r in rows] == [
        (newcomer.member.id, True, True),
        (mobile.member.id, True, True),
    ]


async def test_expected_member_is_not_a_walk_in(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    body = (await scene.check_in(member, meeting["id"], **INSIDE)).json()
    assert body["walk_in"] is False
    assert body["needs_review"] is False
    assert body["review_reasons"] == []


@pytest.mark.parametrize(
    ("now", "late"),
    [
        pytest.param(STARTS_AT - timedelta(minutes=1), False, id="before the start"),
        pytest.param(STARTS_AT + timedelta(minutes=5), False, id="at the end of the grace"),
        pytest.param(STARTS_AT + timedelta(minutes=5) + TINY, True, id="just after the grace"),
        pytest.param(STARTS_AT + timedelta(minutes=40), True, id="forty minutes in"),
    ],
)
async def test_late_after_start_plus_grace(scene: Scene, now: datetime, late: bool) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    scene.at(now)
    response = await scene.check_in(member, meeting["id"], **INSIDE)
    assert response.status_code == 201
    assert response.json()["late"] is late
    assert (await scene.attendances())[0].late is late


# --- check-out ----------------------------------------------------------------------------


async def test_check_out_sets_duration_and_keeps_the_first_time(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    scene.at(STARTS_AT)
    checked_in = await scene.check_in(member, meeting["id"], **INSIDE)
    assert checked_in.json()["checked_out_at"] is None
    assert checked_in.json()["duration_minutes"] is None

    scene.at(STARTS_AT + timedelta(minutes=95, seconds=40))
    out = await scene.check_out(member, meeting["id"])
    assert out.status_code == 200, out.text
    assert datetime.fromisoformat(out.json()["checked_out_at"]) == STARTS_AT + timedelta(
        minutes=95, seconds=40
    )
    assert out.json()["duration_minutes"] == 95
    assert out.json()["id"] == checked_in.json()["id"]
    assert_no_point(out)

    scene.at(STARTS_AT + timedelta(minutes=110))
    again = await scene.check_out(member, meeting["id"])
    assert again.status_code == 200
    assert again.json() == out.json()
    (row,) = await scene.attendances()
    assert row.checked_out_at == STARTS_AT + timedelta(minutes=95, seconds=40)


async def test_check_out_before_check_in(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    refused(await scene.check_out(member, meeting["id"]), 409, "checkout.not_checked_in")
    assert await scene.attendances() == []


async def test_check_out_after_the_window_closed(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    assert (await scene.check_in(member, meeting["id"], **INSIDE)).status_code == 201
    scene.at(CLOSES_AT + TINY)
    refused(await scene.check_out(member, meeting["id"]), 409, "checkout.window_closed")
    assert (await scene.attendances())[0].checked_out_at is None


# --- 补签 ----------------------------------------------------------------------------------


def manual_url(activity_id: int) -> str:
    return f"/api/v1/activities/{activity_id}/check-ins/manual"


async def audit_rows(scene: Scene) -> list[AuditEvent]:
    async with scene.app.state.runtime.sessionmaker() as session:
        query = (
            select(AuditEvent)
            .where(AuditEvent.action == "attendance.manual_check_in")
            .order_by(AuditEvent.id)
        )
        return list((await session.scalars(query)).all())


async def test_manual_check_in_by_the_secretary_is_audited(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    scene.at(STARTS_AT + timedelta(minutes=20))
    reason = "手机没电，现场签到表已签"

    response = await scene.client.post(
        manual_url(meeting["id"]),
        json={"member_id": member.member.id, "reason": reason},
        headers=scene.secretary.headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["method"] == "manual"
    assert body["member_id"] == member.member.id
    assert body["late"] is False
    assert body["walk_in"] is False
    (row,) = await scene.attendances()
    assert row.id == body["id"]
    assert row.recorded_by_account_id == scene.secretary.account.id
    assert row.manual_reason == reason
    assert row.client_nonce is None
    assert row.latitude is None
    (audit,) = await audit_rows(scene)
    assert audit.actor_account_id == scene.secretary.account.id
    assert audit.object_type == "attendance"
    assert audit.object_id == row.id
    assert audit.org_id == scene.branch.id
    assert audit.details["reason"] == reason
    assert audit.details["member_id"] == member.member.id
    assert audit.details["activity_id"] == meeting["id"]

    # The member sees it as checked in.
    mine = await scene.check_in(member, meeting["id"], **INSIDE)
    error = refused(mine, 409, "checkin.already_checked_in")
    assert error["details"]["attendance"] == body


async def test_manual_check_in_refuses_outside_scope_and_twice(scene: Scene) -> None:
    member = await scene.member()
    stranger = await scene.member(relation=scene.world.branch_a2)
    meeting = await scene.meeting()
    url = manual_url(meeting["id"])

    outside = await scene.client.post(
        url,
        json={"member_id": stranger.member.id, "reason": "补签测试"},
        headers=scene.secretary.headers,
    )
    refused(outside, 404, "member.not_found")
    sibling = await scene.factory.actor(Role.SECRETARY, scene.world.branch_a2)
    foreign = await scene.client.post(
        url, json={"member_id": stranger.member.id, "reason": "补签测试"}, headers=sibling.headers
    )
    refused(foreign, 404, "activity.not_found")
    assert await scene.attendances() == []
    assert await audit_rows(scene) == []

    first = await scene.client.post(
        url,
        json={"member_id": member.member.id, "reason": "补签一次"},
        headers=scene.secretary.headers,
    )
    assert first.status_code == 201
    second = await scene.client.post(
        url,
        json={"member_id": member.member.id, "reason": "补签两次"},
        headers=scene.secretary.headers,
    )
    error = refused(second, 409, "checkin.already_checked_in")
    assert error["details"]["attendance"] == first.json()
    assert len(await scene.attendances()) == 1
    assert [a.details["reason"] for a in await audit_rows(scene)] == ["补签一次"]


async def test_plain_member_cannot_record_a_manual_check_in(scene: Scene) -> None:
    member, other = await scene.members(2)
    meeting = await scene.meeting()
    response = await scene.client.post(
        manual_url(meeting["id"]),
        json={"member_id": other.member.id, "reason": "帮他签"},
        headers=member.headers,
    )
    refused(response, 403, "auth.forbidden")
    assert await scene.attendances() == []


# --- who may check in ---------------------------------------------------------------------


async def test_member_of_a_sibling_branch_without_our_code_gets_not_found(scene: Scene) -> None:
    # With our valid code they walk in (tests/checkin/test_walk_ins.py); without it the
    # activity is not theirs to see, whatever they send.
    meeting = await scene.meeting()
    stranger = await scene.member(relation=scene.world.branch_a2)
    # The stranger's own branch has a meeting too; it opens no door to ours.
    sibling_secretary = await scene.factory.actor(Role.SECRETARY, scene.world.branch_a2)
    theirs = await scene.meeting(by=sibling_secretary, org_id=scene.world.branch_a2.id)
    their_code = (
        await scene.client.get(
            f"/api/v1/activities/{theirs['id']}/checkin-code", headers=sibling_secretary.headers
        )
    ).json()

    for body in ({"token": their_code["token"]}, {"token": "1a2b.notasignature"}, INSIDE):
        refused(await scene.check_in(stranger, meeting["id"], **body), 404, "activity.not_found")
    assert await scene.attendances() == []
    member = await scene.member()
    refused(await scene.check_in(member, theirs["id"], **INSIDE), 404, "activity.not_found")
    assert await scene.attendances() == []
    assert (await scene.check_in(stranger, theirs["id"], **INSIDE)).status_code == 201


async def test_unknown_activity_is_not_found(scene: Scene) -> None:
    member = await scene.member()
    refused(await scene.check_in(member, 999_999, **INSIDE), 404, "activity.not_found")


async def test_account_without_member_record_is_forbidden(scene: Scene) -> None:
    meeting = await scene.meeting()
    account = await scene.factory.account(None)
    response = await scene.client.post(
        f"/api/v1/activities/{meeting['id']}/check-ins",
        json={"client_nonce": new_nonce(), **INSIDE},
        headers=scene.factory.headers_for(account),
    )
    refused(response, 403, "auth.not_a_member")
    assert await scene.attendances() == []


async def test_anonymous_check_in_is_unauthorized(scene: Scene) -> None:
    meeting = await scene.meeting()
    response = await scene.client.post(
        f"/api/v1/activities/{meeting['id']}/check-ins",
        json={"client_nonce": new_nonce(), **INSIDE},
    )
    assert response.status_code == 401
    assert await scene.attendances() == []


# --- nonce replay (reliability 2) ---------------------------------------------------------


async def test_same_nonce_replays_the_first_answer_and_writes_nothing(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    code = await scene.code(meeting["id"])
    nonce = new_nonce()

    first = await scene.check_in(member, meeting["id"], nonce=nonce, token=code["token"], **INSIDE)
    second = await scene.check_in(member, meeting["id"], nonce=nonce, token=code["token"], **INSIDE)

    assert first.status_code == second.status_code == 201, (first.text, second.text)
    assert second.json() == first.json()
    assert len(await scene.attendances()) == 1

    # A retry after the code has expired still gets the first answer.
    scene.at(T0 + timedelta(minutes=5))
    late_retry = await scene.check_in(
        member, meeting["id"], nonce=nonce, token=code["token"], **INSIDE
    )
    assert late_retry.status_code == 201
    assert late_retry.json() == first.json()

    burst = await asyncio.gather(
        *(
            scene.check_in(member, meeting["id"], nonce=nonce, token=code["token"], **INSIDE)
            for _ in range(50)
        )
    )

    assert {r.status_code for r in burst} == {201}
    assert {json.dumps(r.json(), sort_keys=True) for r in burst} == {
        json.dumps(first.json(), sort_keys=True)
    }
    (row,) = await scene.attendances()
    assert row.client_nonce == nonce
    assert row.checked_in_at == T0


async def test_first_request_arriving_fifty_times_at_once(scene: Scene) -> None:
    """No earlier answer to replay: fifty copies of one request race to be the first."""
    member = await scene.member()
    meeting = await scene.meeting()
    nonce = new_nonce()

    burst = await asyncio.gather(
        *(scene.check_in(member, meeting["id"], nonce=nonce, **INSIDE) for _ in range(50))
    )

    assert {r.status_code for r in burst} == {201}, {r.status_code: r.text for r in burst}
    assert len({json.dumps(r.json(), sort_keys=True) for r in burst}) == 1
    assert len(await scene.attendances()) == 1


# --- the point stays on the server --------------------------------------------------------


async def test_answers_never_show_the_point(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    first = await scene.check_in(member, meeting["id"], **INSIDE)
    assert first.status_code == 201
    assert first.json()["distance_m"] is not None
    assert_no_point(first)
    again = await scene.check_in(member, meeting["id"], **OUTSIDE)
    assert_no_point(again)
    outside = await scene.check_in(await scene.member(), meeting["id"], **OUTSIDE)
    assert error_code(outside) == "checkin.outside_geofence"
    assert_no_point(outside)
    listing = await scene.client.get(f"/api/v1/activities/{meeting['id']}", headers=member.headers)
    assert listing.status_code == 200


REFUSAL_TESTS = {
    "checkin.token_invalid": test_token_invalid,
    "checkin.token_expired": test_token_expired,
    "checkin.token_required": test_token_required_without_a_geofence,
    "checkin.location_required": test_location_required_for_a_geofence_check_in,
    "checkin.outside_geofence": test_outside_geofence,
    "checkin.outside_window": test_outside_window,
    "checkin.not_expected": test_not_expected_when_walk_ins_are_refused,
    "checkin.method_not_allowed": test_rules.test_method_not_allowed,
    "checkin.activity_cancelled": test_activity_cancelled,
    "checkin.already_checked_in": test_already_checked_in_shows_the_original,
    "rate_limited": test_rate_limited,
    "activity.not_found": test_unknown_activity_is_not_found,
}
# Answered by every signed-in writer with a body; tested in tests/auth and tests/test_app_core.
PLUMBING_CODES = {
    "validation_failed",
    "database.unavailable",
    "auth.not_a_member",
    "conflict",
    "invalid_value",
    "bad_request",
}
# The Idempotency-Key's, on every creating POST: tested in tests/idempotency.
IDEMPOTENCY_CODES = {error.code for error in idempotency.ERRORS}


def test_every_refusal_code_the_api_declares_has_a_test(app: FastAPI) -> None:
    operation = app.openapi()["paths"]["/api/v1/activities/{activity_id}/check-ins"]["post"]
    declared = {
        code
        for response in operation["responses"].values()
        for code in response.get("x-error-codes", ())
        if not code.startswith("auth.") or code == "auth.not_a_member"
    }
    assert set(REFUSAL_TESTS) == declared - PLUMBING_CODES - IDEMPOTENCY_CODES
