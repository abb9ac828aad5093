"""What readers see (issue 10.13, 10.15, 10.16): sanitized HTML only, never the author's raw
body; a retracted article's push opens a withdrawn notice; read figures cover the caller's
own subtree, and split by its child organizations."""

from __future__ import annotations

from typing import Any

from app.models import Role
from app.notify.registry import registry_of
from app.notify.worker import Worker
from tests.factories import Actor
from tests.news.conftest import ARTICLES, Scene

SCRIPTED = (
    '<p>学习要点</p><script>alert("x")</script>'
    '<img src="https://e.example/a.png" onerror="steal()">'
)


async def read(scene: Scene, article_id: int, actor: Actor) -> Any:
    response = await scene.client.get(f"{ARTICLES}/{article_id}", headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_reader_gets_sanitized_html_and_never_the_raw_body(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    article_id = await scene.published(scene.world.branch_a1, body=SCRIPTED, body_format="html")

    as_reader = await read(scene, article_id, reader)
    as_author = await read(scene, article_id, scene.instructor)

    assert as_reader["body"] is None
    assert "<script" not in str(as_reader)
    assert "onerror" not in str(as_reader)
    assert as_reader["body_html"].startswith("<p>学习要点</p>")
    assert as_author["body"] == SCRIPTED
    assert as_author["body_html"] == as_reader["body_html"]


async def test_a_retracted_articles_push_opens_a_withdrawn_notice(scene: Scene) -> None:
    notified = await scene.member(scene.world.branch_a1)
    article_id = await scene.published(scene.world.branch_a1, summary="全会精神要点解读")
    runtime = scene.app.state.runtime
    await Worker(runtime.sessionmaker, registry_of(scene.app), runtime.settings, scene.clock).tick()
    later = await scene.member(scene.world.branch_a1)  # joined after: never sent it
    outsider = await scene.member(scene.world.branch_a2)
    scene.clock.advance(hours=1)
    retracted = await scene.client.post(
        f"{ARTICLES}/{article_id}/retract", headers=scene.instructor.headers
    )
    assert retracted.status_code == 200

    opened = await read(scene, article_id, notified)

    assert opened["status"] == "retracted"
    assert opened["withdrawn_notice"] == "该文章已于2025年06月01日 11:00撤回"
    assert opened["body_html"] == "<p>该文章已于2025年06月01日 11:00撤回</p>"
    assert (opened["summary"], opened["body"], opened["read_at"]) == ("", None, None)
    assert opened["title"] == "学习贯彻党的二十届三中全会精神"
    for stranger in (later, outsider):
        response = await scene.client.get(f"{ARTICLES}/{article_id}", headers=stranger.headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "news.article_not_found"


async def test_a_street_sees_a_city_articles_read_rate_for_its_subtree_per_branch(
    scene: Scene,
) -> None:
    w = scene.world
    a1 = [await scene.member(w.branch_a1) for _ in range(2)]
    a2 = [await scene.member(w.branch_a2)]
    b = [await scene.member(w.joint_b) for _ in range(2)]
    article_id = await scene.published(w.city, by=scene.admin)
    for reader in (a1[0], a2[0], b[0]):
        await read(scene, article_id, reader)
    street_a = await scene.factory.actor(Role.COMMITTEE_ADMIN, w.street_a)
    url = f"{ARTICLES}/{article_id}/stats"

    mine = await scene.client.get(url, params={"by": "child"}, headers=street_a.headers)
    city = await scene.client.get(url, params={"by": "child"}, headers=scene.admin.headers)
    plain = await scene.client.get(url, headers=street_a.headers)

    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert (body["audience"], body["readers"], body["read_rate"]) == (3, 2, 0.6667)
    assert [m["member_id"] for m in body["not_read"]] == [a1[1].member.id]
    assert body["by_child"] == [
        {
            "org_id": w.branch_a1.id,
            "name": "甲一支部",
            "audience": 2,
            "readers": 1,
            "read_rate": 0.5,
        },
        {
            "org_id": w.branch_a2.id,
            "name": "甲二支部",
            "audience": 1,
            "readers": 1,
            "read_rate": 1.0,
        },
    ]
    assert plain.json()["by_child"] is None
    assert (plain.json()["audience"], plain.json()["readers"]) == (3, 2)
    whole = city.json()
    assert (whole["audience"], whole["readers"]) == (5, 3)
    assert [(c["org_id"], c["audience"], c["readers"]) for c in whole["by_child"]] == [
        (w.street_a.id, 3, 2),
        (w.street_b.id, 2, 1),
    ]
    drill = await scene.client.get(
        url, params={"by": "child", "org_id": w.street_b.id}, headers=scene.admin.headers
    )
    assert [(c["org_id"], c["audience"]) for c in drill.json()["by_child"]] == [(w.joint_b.id, 2)]
    outside = await scene.client.get(
        url, params={"by": "child", "org_id": w.street_b.id}, headers=street_a.headers
    )
    assert outside.status_code == 404
    assert outside.json()["error"]["code"] == "org.not_found"


async def test_an_article_aimed_elsewhere_has_no_figures_for_a_street(scene: Scene) -> None:
    street_b_only = await scene.published(scene.world.street_b, by=scene.admin)
    draft = await scene.write(scene.world.city, by=scene.admin)
    street_a = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    for article_id in (street_b_only, draft):
        response = await scene.client.get(
            f"{ARTICLES}/{article_id}/stats", headers=street_a.headers
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "news.article_not_found"
