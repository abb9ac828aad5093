"""Writing news: who may, within which scope, what the input must look like, and which
changes each status allows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import NewsArticle, NewsAudience, Role
from tests.news.conftest import ARTICLES, Scene, article_body, error_code


async def test_an_instructor_writes_a_draft_for_their_subtree(scene: Scene) -> None:
    w = scene.world
    response = await scene.client.post(
        ARTICLES,
        json=article_body(
            w.branch_a1,
            w.social_a2,
            tags=["三中全会", "改革", "三中全会"],
            cover_url="https://img.example.cn/cover.jpg",
            audience_statuses=["full_member", "activist"],
        ),
        headers=scene.instructor.headers,
    )
    assert response.status_code == 201, response.text
    article = response.json()
    assert article["status"] == "draft"
    assert article["org_id"] == w.branch_a1.id  # the first audience org by default
    assert article["audience_org_ids"] == sorted([w.branch_a1.id, w.social_a2.id])
    assert set(article["audience_statuses"]) == {"full_member", "activist"}
    assert article["tags"] == ["三中全会", "改革"]
    assert "<h2>要点</h2>" in article["body_html"]
    assert await scene.count(NewsAudience, NewsAudience.article_id == article["id"]) == 4


async def test_audience_statuses_default_to_party_members(scene: Scene) -> None:
    article_id = await scene.write()
    response = await scene.client.get(f"{ARTICLES}/{article_id}", headers=scene.instructor.headers)
    assert set(response.json()["audience_statuses"]) == {"full_member", "probationary"}


async def test_a_secretary_cannot_write_news(scene: Scene) -> None:
    secretary = await scene.factory.actor(Role.SECRETARY, scene.world.branch_a1)
    response = await scene.client.post(
        ARTICLES, json=article_body(scene.world.branch_a1), headers=secretary.headers
    )
    assert response.status_code == 403
    assert error_code(response) == "auth.forbidden"
    listed = await scene.client.get(ARTICLES, headers=secretary.headers)
    assert listed.status_code == 403


async def test_an_instructor_of_a_sibling_street_does_not_find_the_article(scene: Scene) -> None:
    article_id = await scene.write(scene.world.branch_a1)
    other = await scene.factory.actor(Role.INSTRUCTOR, scene.world.street_b)
    for method, path in (
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/publish"),
        ("POST", "/pin"),
        ("GET", "/stats"),
    ):
        response = await scene.client.request(
            method,
            f"{ARTICLES}/{article_id}{path}",
            json={"title": "越权"} if method == "PATCH" else None,
            headers=other.headers,
        )
        assert response.status_code == 404, (method, path, response.text)
        assert error_code(response) == "news.article_not_found"
    listed = await scene.client.get(ARTICLES, headers=other.headers)
    assert listed.json()["items"] == []
    async with scene.app.state.runtime.sessionmaker() as session:
        article = await session.get_one(NewsArticle, article_id)
        assert (article.title, article.status.value) == (article_body()["title"], "draft")


async def test_the_audience_must_lie_in_the_authors_scope(scene: Scene) -> None:
    w = scene.world
    response = await scene.client.post(
        ARTICLES, json=article_body(w.branch_a1, w.joint_b), headers=scene.instructor.headers
    )
    assert response.status_code == 404
    assert error_code(response) == "org.not_found"
    assert response.json()["error"]["details"]["org_ids"] == [w.joint_b.id]
    publisher = await scene.client.post(
        ARTICLES,
        json=article_body(w.branch_a1, org_id=w.street_b.id),
        headers=scene.instructor.headers,
    )
    assert publisher.status_code == 404
    assert await scene.count(NewsArticle) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cover_url", "http://img.example.cn/cover.jpg"),
        ("cover_url", "javascript:alert(1)"),
        ("tags", ["一", "二", "三", "四", "五", "六"]),
        ("tags", ["x" * 21]),
        ("category", "gossip"),
        ("audience_org_ids", []),
        ("audience_statuses", []),
        ("title", "   "),
        ("title", "标题\x00"),
        ("body", "正文\x00"),
        ("tags", ["a\x07"]),
        ("summary", "长" * 201),
        ("body_format", "docx"),
    ],
)
async def test_bad_input_is_refused_with_422(scene: Scene, field: str, value: object) -> None:
    response = await scene.client.post(
        ARTICLES,
        json=article_body(scene.world.branch_a1, **{field: value}),
        headers=scene.instructor.headers,
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_failed"
    assert await scene.count(NewsArticle) == 0


async def test_a_draft_is_edited_and_deleted(scene: Scene) -> None:
    w = scene.world
    article_id = await scene.write(w.branch_a1, cover_url="https://img.example.cn/a.jpg")
    response = await scene.client.patch(
        f"{ARTICLES}/{article_id}",
        json={
            "title": "新标题",
            "body": "<p>正文</p>",
            "body_format": "html",
            "category": "notice",
            "cover_url": None,
            "audience_org_ids": [w.branch_a2.id],
        },
        headers=scene.instructor.headers,
    )
    assert response.status_code == 200, response.text
    article = response.json()
    assert (article["title"], article["body_html"], article["category"]) == (
        "新标题",
        "<p>正文</p>",
        "notice",
    )
    assert article["cover_url"] is None
    assert article["audience_org_ids"] == [w.branch_a2.id]
    async with scene.app.state.runtime.sessionmaker() as session:
        categories = set(
            await session.scalars(
                select(NewsAudience.category).where(NewsAudience.article_id == article_id)
            )
        )
    assert {c.value for c in categories} == {"notice"}
    deleted = await scene.client.delete(
        f"{ARTICLES}/{article_id}", headers=scene.instructor.headers
    )
    assert deleted.status_code == 204
    assert await scene.count(NewsArticle) == 0
    assert await scene.count(NewsAudience) == 0


async def test_a_published_article_keeps_its_audience_and_cannot_be_deleted(
    scene: Scene,
) -> None:
    article_id = await scene.published(scene.world.branch_a1)
    url = f"{ARTICLES}/{article_id}"
    locked = await scene.client.patch(
        url, json={"audience_org_ids": [scene.world.branch_a2.id]}, headers=scene.instructor.headers
    )
    assert locked.status_code == 409
    assert error_code(locked) == "news.audience_locked"
    fixed = await scene.client.patch(url, json={"title": "更正"}, headers=scene.instructor.headers)
    assert fixed.status_code == 200
    assert fixed.json()["title"] == "更正"
    deleted = await scene.client.delete(url, headers=scene.instructor.headers)
    assert deleted.status_code == 409
    assert error_code(deleted) == "news.not_deletable"
    again = await scene.publish(article_id)
    assert again.status_code == 409
    assert error_code(again) == "news.already_published"


async def test_a_retracted_article_is_frozen(scene: Scene) -> None:
    article_id = await scene.published(scene.world.branch_a1)
    url = f"{ARTICLES}/{article_id}"
    retracted = await scene.client.post(f"{url}/retract", headers=scene.instructor.headers)
    assert retracted.status_code == 200
    assert retracted.json()["status"] == "retracted"
    for response in (
        await scene.client.patch(url, json={"title": "x"}, headers=scene.instructor.headers),
        await scene.client.post(f"{url}/pin", headers=scene.instructor.headers),
        await scene.publish(article_id),
    ):
        assert response.status_code == 409
        assert error_code(response) == "news.retracted"
    draft_id = await scene.write()
    not_published = await scene.client.post(
        f"{ARTICLES}/{draft_id}/retract", headers=scene.instructor.headers
    )
    assert error_code(not_published) == "news.not_published"


async def test_a_committee_admin_above_manages_the_instructors_article(scene: Scene) -> None:
    article_id = await scene.write(scene.world.branch_a1)
    listed = await scene.client.get(ARTICLES, headers=scene.admin.headers)
    assert [a["id"] for a in listed.json()["items"]] == [article_id]
    pinned = await scene.client.post(f"{ARTICLES}/{article_id}/pin", headers=scene.admin.headers)
    assert pinned.status_code == 200
    assert pinned.json()["pinned"] is True


async def test_the_authors_list_pages_and_filters_by_status(scene: Scene) -> None:
    ids = [await scene.write() for _ in range(3)]
    await scene.publish(ids[0])
    drafts = await scene.client.get(
        ARTICLES, params={"status": "draft", "limit": 1}, headers=scene.instructor.headers
    )
    page = drafts.json()
    assert [a["id"] for a in page["items"]] == [ids[2]]
    rest = await scene.client.get(
        ARTICLES,
        params={"status": "draft", "limit": 1, "cursor": page["next_cursor"]},
        headers=scene.instructor.headers,
    )
    assert [a["id"] for a in rest.json()["items"]] == [ids[1]]
    assert rest.json()["next_cursor"] is None


@pytest.mark.parametrize(
    "publish_at", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00", "2025-06-01T02:00:00"]
)
async def test_an_unreasonable_publish_time_is_a_422(scene: Scene, publish_at: str) -> None:
    article_id = await scene.write()
    response = await scene.publish(article_id, publish_at=publish_at)
    assert response.status_code == 422, response.text


async def test_a_deleted_draft_link_never_opens_another_article(scene: Scene) -> None:
    """Deleting the newest draft and writing another: on SQLite without AUTOINCREMENT the
    new one took the old id, so a link shared to the old draft opened it."""
    first = await scene.write(scene.world.branch_a1)
    deleted = await scene.client.delete(f"{ARTICLES}/{first}", headers=scene.instructor.headers)
    assert deleted.status_code == 204
    second = await scene.write(scene.world.branch_a1)
    assert second > first
    old_link = await scene.client.get(f"{ARTICLES}/{first}", headers=scene.instructor.headers)
    assert old_link.status_code == 404
