"""Reads: the first read time is kept, reported reading time is capped, and the author sees
the read rate and who has not read the article yet."""

from __future__ import annotations

import pytest

from app.kit.time import DISPLAY_ZONE as BEIJING
from app.models import ReadReceipt, Role
from tests.news.conftest import ARTICLES, T0, Scene, error_code


async def test_the_first_read_time_is_kept(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    article_id = await scene.published(scene.world.branch_a1)
    first = await scene.client.get(f"{ARTICLES}/{article_id}", headers=reader.headers)
    scene.clock.advance(hours=3)
    again = await scene.client.get(f"{ARTICLES}/{article_id}", headers=reader.headers)
    assert first.json()["read_at"] == again.json()["read_at"] == "2025-06-01T10:00:00+08:00"
    assert await scene.count(ReadReceipt) == 1


async def test_an_author_opening_the_article_is_not_a_reader(scene: Scene) -> None:
    article_id = await scene.published(scene.world.branch_a1)
    response = await scene.client.get(f"{ARTICLES}/{article_id}", headers=scene.instructor.headers)
    assert response.status_code == 200
    assert response.json()["read_at"] is None
    assert await scene.count(ReadReceipt) == 0


@pytest.mark.parametrize(
    "settings",
    [{"news_read_report_max_seconds": 300, "news_read_total_max_seconds": 500}],
    indirect=True,
)
async def test_reading_seconds_are_capped_per_report_and_in_total(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    article_id = await scene.published(scene.world.branch_a1)
    url = f"{ARTICLES}/{article_id}/reads"
    totals = []
    for seconds in (100, 10_000, 60):
        response = await scene.client.post(url, json={"seconds": seconds}, headers=reader.headers)
        assert response.status_code == 200, response.text
        totals.append(response.json()["seconds"])
    assert totals == [100, 400, 460]
    last = await scene.client.post(url, json={"seconds": 300}, headers=reader.headers)
    assert last.json()["seconds"] == 500
    # Reporting without having opened the page still records the read.
    assert last.json()["first_read_at"] == T0.astimezone(BEIJING).isoformat()


# true, "30" and 30.0 are not a number of seconds: the body is strict.
@pytest.mark.parametrize("seconds", [0, -5, 86_401, "ten", None, True, "30", 30.0])
async def test_a_bad_report_is_a_422(scene: Scene, seconds: object) -> None:
    reader = await scene.member(scene.world.branch_a1)
    article_id = await scene.published(scene.world.branch_a1)
    response = await scene.client.post(
        f"{ARTICLES}/{article_id}/reads", json={"seconds": seconds}, headers=reader.headers
    )
    assert response.status_code == 422
    assert await scene.count(ReadReceipt) == 0


async def test_stats_give_the_read_rate_and_who_has_not_read(scene: Scene) -> None:
    w = scene.world
    readers = [await scene.member(w.branch_a1) for _ in range(3)]
    await scene.member(w.joint_b)  # outside the audience
    article_id = await scene.published(w.branch_a1)
    await scene.client.get(f"{ARTICLES}/{article_id}", headers=readers[1].headers)
    await scene.client.post(
        f"{ARTICLES}/{article_id}/reads", json={"seconds": 42}, headers=readers[1].headers
    )
    url = f"{ARTICLES}/{article_id}/stats"
    first = (await scene.client.get(url, params={"limit": 1}, headers=scene.admin.headers)).json()
    assert (first["audience"], first["readers"], first["total_seconds"]) == (3, 1, 42)
    assert first["read_rate"] == pytest.approx(0.3333)
    assert [m["member_id"] for m in first["not_read"]] == [readers[0].member.id]
    rest = (
        await scene.client.get(
            url, params={"limit": 1, "cursor": first["next_cursor"]}, headers=scene.admin.headers
        )
    ).json()
    assert [m["member_id"] for m in rest["not_read"]] == [readers[2].member.id]
    assert rest["next_cursor"] is None


async def test_stats_of_a_draft_count_its_future_audience(scene: Scene) -> None:
    await scene.member(scene.world.branch_a1)
    article_id = await scene.write(scene.world.branch_a1)
    stats = (
        await scene.client.get(f"{ARTICLES}/{article_id}/stats", headers=scene.instructor.headers)
    ).json()
    assert (stats["audience"], stats["readers"], stats["read_rate"]) == (1, 0, 0.0)


async def test_stats_are_for_authors(scene: Scene) -> None:
    article_id = await scene.published(scene.world.branch_a1)
    secretary = await scene.factory.actor(Role.SECRETARY, scene.world.branch_a1)
    response = await scene.client.get(f"{ARTICLES}/{article_id}/stats", headers=secretary.headers)
    assert response.status_code == 403
    assert error_code(response) == "auth.forbidden"
