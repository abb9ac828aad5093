"""No input answers a 500, and none is coerced: control characters in what people write,
dates at the edges of the calendar, strings longer than their columns, 0 for a boolean or a
date, true for a number, a wrong method, and a sheet of a title typed before all this."""

from __future__ import annotations

import base64
import io
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import update

from app.models import Activity
from tests.checkin.conftest import STARTS_AT, Scene, clock, error_code, scene, settings
from tests.leave.helpers import V1, snapshot

# The check-in scene: a branch with its secretary, a frozen clock, meetings through the API.
__all__ = ["clock", "scene", "settings"]

NUL = "\x00"


def field_codes(response: httpx.Response) -> dict[str, str]:
    fields = response.json()["error"]["details"]["fields"]
    return {field["loc"][-1]: field["code"] for field in fields}


# --- control characters ---------------------------------------------------------------------

# Arranges what the write needs (a meeting, a member, the time) and gives back the write.
Send = Callable[[], Awaitable[httpx.Response]]
Arrange = Callable[[Scene], Awaitable[Send]]


def _creating(field: str) -> Arrange:
    async def arrange(scene: Scene) -> Send:
        body = {
            "org_id": scene.branch.id,
            "type": "party_lecture",
            "title": "党课",
            "starts_at": (STARTS_AT + timedelta(days=1)).isoformat(),
            "ends_at": (STARTS_AT + timedelta(days=1, hours=1)).isoformat(),
            field: f"第一{NUL}讲",
        }
        headers = scene.secretary.headers
        return lambda: scene.client.post(f"{V1}/activities", json=body, headers=headers)

    return arrange


def _changing(field: str) -> Arrange:
    async def arrange(scene: Scene) -> Send:
        draft = await scene.meeting(publish=False)
        return lambda: scene.client.patch(
            f"{V1}/activities/{draft['id']}",
            json={field: f"第一{NUL}讲"},
            headers=scene.secretary.headers,
        )

    return arrange


async def _cancel_reason(scene: Scene) -> Send:
    meeting = await scene.meeting()
    return lambda: scene.client.post(
        f"{V1}/activities/{meeting['id']}/cancel",
        json={"reason": f"暴雨{NUL}预警"},
        headers=scene.secretary.headers,
    )


async def _leave_reason(scene: Scene) -> Send:
    member = await scene.member()
    meeting = await scene.meeting()
    return lambda: scene.client.post(
        f"{V1}/activities/{meeting['id']}/leave",
        json={"reason": f"出差{NUL}在外地"},
        headers=member.headers,
    )


async def _check_in_reason(scene: Scene) -> Send:
    member = await scene.member()
    meeting = await scene.meeting()
    scene.at(STARTS_AT + timedelta(minutes=1))
    return lambda: scene.client.post(
        f"{V1}/activities/{meeting['id']}/check-ins/manual",
        json={"member_id": member.member.id, "reason": f"手机没电{NUL}现场确认"},
        headers=scene.secretary.headers,
    )


def _minutes(field: str) -> Arrange:
    async def arrange(scene: Scene) -> Send:
        meeting = await scene.meeting()
        scene.at(STARTS_AT + timedelta(minutes=30))
        body = {"content": "一、学习", "decisions": "1. 开展志愿服务"}
        body[field] = f"{body[field]}{NUL}"
        url = f"{V1}/activities/{meeting['id']}/minutes"
        return lambda: scene.client.put(url, json=body, headers=scene.secretary.headers)

    return arrange


async def _login_code(scene: Scene) -> Send:
    return lambda: scene.client.post(f"{V1}/auth/wechat/login", json={"code": f"abc{NUL}def"})


WRITES: dict[str, tuple[str, Arrange]] = {
    "activity title": ("title", _creating("title")),
    "activity description": ("description", _creating("description")),
    "activity venue": ("venue_name", _creating("venue_name")),
    "activity lecturer": ("lecturer_name", _creating("lecturer_name")),
    "changed title": ("title", _changing("title")),
    "changed description": ("description", _changing("description")),
    "changed venue": ("venue_name", _changing("venue_name")),
    "changed lecturer": ("lecturer_name", _changing("lecturer_name")),
    "minutes content": ("content", _minutes("content")),
    "minutes decisions": ("decisions", _minutes("decisions")),
    "check-in reason": ("reason", _check_in_reason),
    "leave reason": ("reason", _leave_reason),
    "cancel reason": ("reason", _cancel_reason),
    "login code": ("code", _login_code),
}


@pytest.mark.parametrize("case", WRITES)
async def test_a_nul_in_free_text_is_refused_and_nothing_is_written(
    scene: Scene, case: str
) -> None:
    field, arrange = WRITES[case]
    send = await arrange(scene)
    before = await snapshot(scene.app)
    response = await send()
    assert response.status_code == 422, response.text
    assert field_codes(response) == {field: "text.control_char"}
    assert await snapshot(scene.app) == before


async def test_multi_line_text_keeps_its_lines_and_tabs(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    reason = "出差\n在外地\t三天\r\n"
    asked = await scene.client.post(
        f"{V1}/activities/{meeting['id']}/leave", json={"reason": reason}, headers=member.headers
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["reason"] == reason.strip()
    title = await scene.client.patch(
        f"{V1}/activities/{meeting['id']}",
        json={"title": "支部\n大会"},
        headers=scene.secretary.headers,
    )
    assert title.status_code == 422
    assert field_codes(title) == {"title": "text.control_char"}


# --- dates at the edges ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [("starts_from", "0001-01-01T00:00:00+14:00"), ("starts_before", "9999-12-31T23:59:59-14:00")],
)
async def test_a_moment_at_the_edge_of_the_calendar_is_a_422_and_the_client_goes_on(
    scene: Scene, name: str, value: str
) -> None:
    headers = scene.secretary.headers
    refused = await scene.client.get(f"{V1}/activities", params={name: value}, headers=headers)
    assert refused.status_code == 422, refused.text
    assert field_codes(refused) == {name: "datetime.out_of_range"}
    again = await scene.client.get(f"{V1}/activities", headers=headers)
    assert again.status_code == 200, again.text


async def test_a_body_moment_at_the_edge_is_a_422(scene: Scene) -> None:
    response = await scene.client.post(
        f"{V1}/activities",
        json={
            "org_id": scene.branch.id,
            "type": "branch_general_meeting",
            "title": "支部党员大会",
            "starts_at": "0001-01-01T00:00:00+14:00",
            "ends_at": STARTS_AT.isoformat(),
        },
        headers=scene.secretary.headers,
    )
    assert response.status_code == 422, response.text
    assert field_codes(response) == {"starts_at": "datetime.out_of_range"}


# --- the sheet ------------------------------------------------------------------------------


async def test_the_sheet_of_a_title_with_a_control_character_downloads_without_it(
    scene: Scene,
) -> None:
    meeting = await scene.meeting()
    # Typed before titles refused control characters: the sheet still has to open.
    async with scene.app.state.runtime.sessionmaker() as session:
        await session.execute(
            update(Activity)
            .where(Activity.id == meeting["id"])
            .values(title="支部\x01党员\x0b大会")
        )
        await session.commit()
    response = await scene.client.get(
        f"{V1}/activities/{meeting['id']}/sign-in-sheet.xlsx", headers=scene.secretary.headers
    )
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet["A1"].value == "支部党员大会 签到表"


# --- bounded to the columns -----------------------------------------------------------------


@pytest.mark.parametrize("length", [59, 65, 129])
async def test_a_login_code_longer_than_what_is_stored_is_a_422(
    client: httpx.AsyncClient, length: int
) -> None:
    response = await client.post(f"{V1}/auth/wechat/login", json={"code": "c" * length})
    assert response.status_code == 422, response.text
    assert field_codes(response) == {"code": "string_too_long"}
    fits = await client.post(f"{V1}/auth/wechat/login", json={"code": "c" * 32})
    assert fits.status_code == 200, fits.text


# --- strict booleans, numbers and dates -----------------------------------------------------


@pytest.mark.parametrize("value", ["0", "1700000000", "2025-06-01T00:00:00"])
async def test_a_date_is_an_iso_day_not_a_number(scene: Scene, value: str) -> None:
    member = await scene.member()
    refused = await scene.client.get(
        f"{V1}/me/attendance", params={"to": value}, headers=member.headers
    )
    assert refused.status_code == 422, refused.text
    assert field_codes(refused) == {"to": "date.format"}
    day = await scene.client.get(
        f"{V1}/me/attendance", params={"to": "2025-06-01"}, headers=member.headers
    )
    assert day.status_code == 200, day.text


@pytest.mark.parametrize("value", [0, 1, "true"])
async def test_a_decision_is_true_or_false(scene: Scene, value: object) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    asked = await scene.client.post(
        f"{V1}/activities/{meeting['id']}/leave", json={"reason": "出差"}, headers=member.headers
    )
    url = f"{V1}/activities/{meeting['id']}/leave-requests/{asked.json()['id']}/decision"
    refused = await scene.client.post(url, json={"approve": value}, headers=scene.secretary.headers)
    assert refused.status_code == 422, refused.text
    assert field_codes(refused) == {"approve": "bool_type"}
    decided = await scene.client.post(url, json={"approve": True}, headers=scene.secretary.headers)
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"


async def test_numbers_and_moments_in_a_body_are_json_numbers_and_iso_text(scene: Scene) -> None:
    body = {
        "org_id": scene.branch.id,
        "type": "branch_general_meeting",
        "title": "支部党员大会",
        "starts_at": STARTS_AT.isoformat(),
        "ends_at": (STARTS_AT + timedelta(hours=1)).isoformat(),
    }
    headers = scene.secretary.headers
    for change, field, code in [
        ({"org_id": str(scene.branch.id)}, "org_id", "int_type"),
        ({"geofence_radius_m": True}, "geofence_radius_m", "int_type"),
        ({"geofence_radius_m": 200.0}, "geofence_radius_m", "int_type"),
        ({"venue_latitude": True, "venue_longitude": 118.0}, "venue_latitude", "float_type"),
        ({"starts_at": 1748743200}, "starts_at", "datetime.format"),
    ]:
        refused = await scene.client.post(f"{V1}/activities", json=body | change, headers=headers)
        assert refused.status_code == 422, (change, refused.text)
        assert field_codes(refused) == {field: code}, change
    whole = {"venue_latitude": 32, "venue_longitude": 118.78, "geofence_radius_m": 200}
    created = await scene.client.post(f"{V1}/activities", json=body | whole, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["venue_latitude"] == 32.0


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": "20"}, 200),
        ({"limit": "20.0"}, 422),
        ({"limit": "+20"}, 422),
        ({"unread_only": "true"}, 200),
        ({"unread_only": "yes"}, 422),
        ({"unread_only": "1"}, 422),
    ],
)
async def test_query_numbers_are_digits_and_flags_true_or_false(
    scene: Scene, params: dict[str, str], status: int
) -> None:
    member = await scene.member()
    response = await scene.client.get(f"{V1}/me/inbox", params=params, headers=member.headers)
    assert response.status_code == status, response.text


# --- wrong methods --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "served"),
    [
        ("DELETE", "/members", {"GET", "POST"}),
        ("OPTIONS", "/members", {"GET", "POST"}),
        ("PUT", "/activities/1", {"GET", "PATCH"}),
        ("OPTIONS", "/orgs/1", {"GET", "PATCH", "DELETE"}),
    ],
)
async def test_a_wrong_method_names_every_method_of_the_path(
    client: httpx.AsyncClient, method: str, path: str, served: set[str]
) -> None:
    response = await client.request(method, f"{V1}{path}")
    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"
    allowed = {name.strip() for name in response.headers["allow"].split(",")}
    assert allowed - {"HEAD"} == served


# --- cursors --------------------------------------------------------------------------------


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# Lists in an order of several columns: their cursor carries a key of each.
_BY_START = '{"after": {"starts_at": "2025-06-01T00:00:00+00:00", "id": 1}}'
GOOD_CURSORS = {"/activities": _BY_START, "/me/activities": _BY_START}


@pytest.mark.parametrize(
    "raw",
    [
        '{"after": [1, 2, 3]}',
        '{"after": true}',
        '{"after": 1.0}',
        '{"after": "1"}',
        '{"after": 1, "x": 2}',
        '{"after": {"pinned": true, "at": "2025-06-01T00:00:00Z", "id": 3}}',
        "[1, 2, 3]",
    ],
)
@pytest.mark.parametrize(
    "path", ["/activities", "/me/activities", "/me/leave-requests", "/me/inbox", "/members"]
)
async def test_a_list_refuses_a_cursor_not_of_its_key(scene: Scene, path: str, raw: str) -> None:
    headers = scene.secretary.headers
    refused = await scene.client.get(f"{V1}{path}", params={"cursor": _b64(raw)}, headers=headers)
    assert refused.status_code == 422, refused.text
    assert error_code(refused) == "pagination.invalid_cursor"
    good = await scene.client.get(
        f"{V1}{path}",
        params={"cursor": _b64(GOOD_CURSORS.get(path, '{"after": 1}'))},
        headers=headers,
    )
    assert good.status_code == 200, good.text


# --- every request string is bounded --------------------------------------------------------


def _unbounded(schema: dict[str, Any], components: dict[str, Any], seen: set[str]) -> list[str]:
    """The string schemas under ``schema`` with neither a maxLength, an enum nor a format."""
    ref = schema.get("$ref")
    if ref is not None:
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return [f"{name}: {found}" for found in _unbounded(components[name], components, seen)]
    found: list[str] = []
    if schema.get("type") == "string" and not {"maxLength", "enum", "format"} & set(schema):
        found.append(str(schema))
    children = [*schema.get("anyOf", []), *schema.get("allOf", []), *schema.get("oneOf", [])]
    children += [*schema.get("properties", {}).values()]
    children += [schema[key] for key in ("items", "propertyNames") if key in schema]
    if isinstance(schema.get("additionalProperties"), dict):
        children.append(schema["additionalProperties"])
    for child in children:
        found += _unbounded(child, components, seen)
    return found


async def test_every_request_string_has_a_max_length(app: FastAPI) -> None:
    document = app.openapi()
    components = document["components"]["schemas"]
    unbounded = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            schemas = [param["schema"] for param in operation.get("parameters", [])]
            for content in operation.get("requestBody", {}).get("content", {}).values():
                schemas.append(content["schema"])
            for schema in schemas:
                found = _unbounded(schema, components, set())
                unbounded += [f"{method} {path}: {string}" for string in found]
    assert unbounded == []
