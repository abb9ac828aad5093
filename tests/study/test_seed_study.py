"""With the demo data, the demo member finds three materials, studies one to the end through
heartbeats, and opens the document's PDF."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from app.config import Settings
from app.kit.clock import FrozenClock
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
