"""With the demo data, the demo member finds three materials, studies one to the end through
heartbeats, and opens the document's PDF."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import httpx
from openpyxl import load_workbook

from app.config import Settings
from app.kit.clock import FrozenClock
from app.kit.time import DISPLAY_ZONE
from app.seed.demo import DEMO_LOGINS, run_seed
from app.seed.study import ARTICLE_TITLE
from tests.study.conftest import MATERIALS


async def test_the_demo_member_studies_a_demo_material_to_the_end(
    client: httpx.AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    clock.at = datetime.now(UTC)  # the sign-in's token is checked against the real time
    assert await run_seed(settings, clock)
    login = await client.post("/api/v1/auth/wechat/login", json={"code": DEMO_LOGINS["member"]})
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    listed = await client.get(MATERIALS, headers=headers)
    assert listed.status_code == 200, listed.text
    items = {item["kind"]: item for item in listed.json()["items"]}
    assert set(items) == {"article", "video", "document"}
    article = items["article"]
    assert article["title"] == ARTICLE_TITLE

    for i in range(9):  # 8 × 60 s = the 480 s required of the 600 s article
        if i:
            clock.advance(seconds=60)
        beat = await client.post(f"{MATERIALS}/{article['id']}/heartbeats", headers=headers)
        assert beat.status_code == 200, beat.text
    assert beat.json()["completed"] is True
    detail = await client.get(f"{MATERIALS}/{article['id']}", headers=headers)
    assert (detail.json()["credited_seconds"], detail.json()["completed"]) == (480, True)
    assert "党章" in detail.json()["body_html"]

    document = await client.get(f"{MATERIALS}/{items['document']['id']}/file", headers=headers)
    assert document.status_code == 200
    assert document.content.startswith(b"%PDF-")


async def test_the_demo_member_finishes_the_demo_task_earns_points_and_a_rank(
    client: httpx.AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    """Issue 11's acceptance: with the demo data, the member studies the task's materials
    through heartbeats, sees the task done, their points and their rank; the secretary who
    manages the branch downloads the completion sheet."""
    clock.at = datetime.now(UTC)
    assert await run_seed(settings, clock)
    member = await _signed_in(client, DEMO_LOGINS["member"])
    # Signed in before the frozen clock runs ahead: a token is checked against the real time.
    secretary = await _signed_in(client, DEMO_LOGINS["secretary"])

    tasks = await client.get("/api/v1/me/study-tasks", headers=member)
    assert tasks.status_code == 200, tasks.text
    (task,) = tasks.json()["items"]
    assert (task["completed"], len(task["materials"])) == (False, 3)

    for material in task["materials"]:
        beats = -(-material["required_seconds"] // 60) + 1  # the first beat credits nothing
        for _ in range(beats):
            answer = await client.post(
                f"{MATERIALS}/{material['material_id']}/heartbeats", headers=member
            )
            assert answer.status_code == 200, answer.text
            clock.advance(seconds=60)
        assert answer.json()["completed"] is True

    done = (await client.get(f"/api/v1/me/study-tasks/{task['id']}", headers=member)).json()
    assert done["completed"] is True
    assert all(m["credited_seconds"] >= m["required_seconds"] for m in done["materials"])

    totals = await client.get("/api/v1/me/points", params={"period": "all"}, headers=member)
    entries = await client.get("/api/v1/me/points/entries", params={"limit": 100}, headers=member)
    assert totals.status_code == entries.status_code == 200, (totals.text, entries.text)
    earned = {entry["kind"] for entry in entries.json()["items"] if entry["points"] > 0}
    assert {"study_time", "material_completed"} <= earned
    assert totals.json()["all_time"] == sum(e["points"] for e in entries.json()["items"]) > 0

    month = clock.at.astimezone(DISPLAY_ZONE).strftime("%Y-%m")
    rank = await client.get("/api/v1/me/rank", params={"period": month}, headers=member)
    assert rank.status_code == 200, rank.text
    # The rest of the demo branch has not studied: the member leads it alone.
    assert rank.json()["branch"]["rank"] == 1
    assert rank.json()["top"][0]["points"] == rank.json()["points"] > 0

    sheet = await client.get(f"/api/v1/study/tasks/{task['id']}/completion.xlsx", headers=secretary)
    assert sheet.status_code == 200, sheet.text
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    name = (await client.get("/api/v1/me", headers=member)).json()["member"]["name"]
    (line,) = [row for row in rows if name in row]
    assert "已完成" in line


async def _signed_in(client: httpx.AsyncClient, code: str) -> dict[str, str]:
    login = await client.post("/api/v1/auth/wechat/login", json={"code": code})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}
