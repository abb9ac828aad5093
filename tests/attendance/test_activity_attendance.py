"""Who came to one activity: states, figures, pending until check-in closes, and the
sign-in sheet as a real workbook."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook

from tests.checkin.conftest import ENDS_AT, STARTS_AT, T0, VENUE_LAT, VENUE_LON, Scene
from tests.factories import Actor

INSIDE: dict[str, Any] = {"latitude": VENUE_LAT + 0.0004, "longitude": VENUE_LON, "accuracy": 12}
CLOSED = ENDS_AT + timedelta(minutes=31)  # settings.checkin_closes_minutes_after is 30


async def check_in(scene: Scene, actor: Actor, activity_id: int) -> None:
    code = await scene.code(activity_id)
    response = await scene.check_in(actor, activity_id, token=code["token"], **INSIDE)
    assert response.status_code == 201, response.text


async def excuse(scene: Scene, actor: Actor, activity_id: int) -> None:
    asked = await scene.client.post(
        f"/api/v1/activities/{activity_id}/leave", json={"reason": "出差"}, headers=actor.headers
    )
    assert asked.status_code == 201, asked.text
    decided = await scene.client.post(
        f"/api/v1/activities/{activity_id}/leave-requests/{asked.json()['id']}/decision",
        json={"approve": True},
        headers=scene.secretary.headers,
    )
    assert decided.status_code == 200, decided.text


async def attendance(scene: Scene, activity_id: int) -> dict[str, Any]:
    response = await scene.client.get(
        f"/api/v1/activities/{activity_id}/attendance", headers=scene.secretary.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def states(body: dict[str, Any]) -> dict[int, str]:
    return {person["member_id"]: person["state"] for person in body["people"]}


async def hold_a_meeting(scene: Scene) -> tuple[int, dict[str, Actor]]:
    """Four members expected: one on time, one late, one excused, one who never comes; and
    a walk-in who joined the branch after the meeting was set up."""
    people = {name: await scene.member() for name in ("on_time", "late", "excused", "missing")}
    meeting = await scene.meeting()
    people["walk_in"] = await scene.member()
    await excuse(scene, people["excused"], meeting["id"])
    scene.at(STARTS_AT - timedelta(minutes=5))
    await check_in(scene, people["on_time"], meeting["id"])
    await check_in(scene, people["walk_in"], meeting["id"])
    scene.at(STARTS_AT + timedelta(minutes=20))
    await check_in(scene, people["late"], meeting["id"])
    return meeting["id"], people


async def test_the_roster_tells_who_came_and_who_is_still_pending(scene: Scene) -> None:
    activity_id, people = await hold_a_meeting(scene)
    body = await attendance(scene, activity_id)
    seen = states(body)
    assert seen[people["on_time"].member.id] == "present"
    assert seen[people["late"].member.id] == "late"
    assert seen[people["excused"].member.id] == "excused"
    assert seen[people["missing"].member.id] == "pending"
    assert seen[people["walk_in"].member.id] == "present"
    assert body["closed"] is False
    summary = body["summary"]
    # The secretary belongs to the branch, so they are expected too and have not come.
    assert seen[scene.secretary.member.id] == "pending"
    assert summary == {
        "expected": 5,
        "present": 3,
        "late": 1,
        "excused": 1,
        "absent": 0,
        "pending": 2,
        "walk_ins": 1,
        "needs_review": 1,  # the walk-in is accepted and flagged
        "rate": 0.4,
    }
    walk_in = next(p for p in body["people"] if p["member_id"] == people["walk_in"].member.id)
    assert walk_in["expected"] is False
    assert walk_in["attendance"]["walk_in"] is True
    # Those present come first, in the order they checked in.
    assert [p["member_id"] for p in body["people"][:3]] == [
        people["on_time"].member.id,
        people["walk_in"].member.id,
        people["late"].member.id,
    ]


async def test_once_check_in_closes_the_missing_are_absent(scene: Scene) -> None:
    activity_id, people = await hold_a_meeting(scene)
    scene.at(CLOSED)
    body = await attendance(scene, activity_id)
    assert body["closed"] is True
    assert body["status"] == "ended"
    assert states(body)[people["missing"].member.id] == "absent"
    assert body["summary"]["absent"] == 2
    assert body["summary"]["pending"] == 0


async def test_nobody_is_absent_from_a_cancelled_activity(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    cancelled = await scene.client.post(
        f"/api/v1/activities/{meeting['id']}/cancel",
        json={"reason": "暴雨预警"},
        headers=scene.secretary.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    scene.at(CLOSED)
    body = await attendance(scene, meeting["id"])
    assert states(body)[member.member.id] == "pending"
    assert body["summary"]["absent"] == 0
    assert body["closed"] is False


async def test_a_plain_member_cannot_read_the_roster(scene: Scene) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    for path in ("attendance", "sign-in-sheet.xlsx"):
        response = await scene.client.get(
            f"/api/v1/activities/{meeting['id']}/{path}", headers=member.headers
        )
        assert response.status_code == 403, response.text


async def test_the_sign_in_sheet_is_a_workbook_with_chinese_headings(scene: Scene) -> None:
    activity_id, people = await hold_a_meeting(scene)
    scene.at(CLOSED)
    response = await scene.client.get(
        f"/api/v1/activities/{activity_id}/sign-in-sheet.xlsx", headers=scene.secretary.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet.title == "签到表"
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "支部党员大会 签到表"
    header = rows.index(["序号", "姓名", "政治面貌", "状态", "签到时间", "签退时间",
                         "时长（分钟）", "签到方式", "备注"])  # fmt: skip
    people_rows = [row for row in rows[header + 1 :] if isinstance(row[0], int)]
    by_name = {row[1]: row for row in people_rows}
    on_time = by_name[people["on_time"].member.name]
    assert on_time[3] == "出席"
    assert on_time[7] == "扫码"
    # Times are written in Beijing time: 02:05 UTC is 10:05.
    assert on_time[4] == (T0 + timedelta(minutes=5, hours=8)).strftime("%Y-%m-%d %H:%M")
    assert by_name[people["late"].member.name][3] == "迟到"
    assert by_name[people["excused"].member.name][3] == "请假"
    assert by_name[people["missing"].member.name][3] == "缺席"
    assert "非应到人员" in by_name[people["walk_in"].member.name][8]
    assert [row[0] for row in people_rows] == list(range(1, 7))
    assert any(
        isinstance(row[0], str) and row[0].startswith("应到 5 人，实到 3 人") for row in rows
    )


async def test_a_name_that_looks_like_a_formula_stays_text(scene: Scene) -> None:
    await scene.member(name="=HYPERLINK(1)")
    meeting = await scene.meeting(title="=1+1")
    response = await scene.client.get(
        f"/api/v1/activities/{meeting['id']}/sign-in-sheet.xlsx", headers=scene.secretary.headers
    )
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    assert any(cell.value == "=HYPERLINK(1)" for cell in cells)
