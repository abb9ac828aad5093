"""The member's feed: only what is aimed at them (subtree of their relation or workplace,
their party status), pinned first, newest next, paged by cursor without gaps or repeats."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.models import Account, Delivery, PartyStatus, ReadReceipt
from tests.news.conftest import ARTICLES, FEED, Scene, error_code


async def test_audience_targeting_by_subtree_and_party_status(scene: Scene) -> None:
    w = scene.world
    inside = await scene.member(w.branch_a1)
    works_inside = await scene.member(w.joint_b, w.social_a1)  # relation elsewhere
    sibling_branch = await scene.member(w.branch_a2)
    other_street = await scene.member(w.joint_b)
    activist = await scene.member(w.branch_a1, status=PartyStatus.ACTIVIST)
    article_id = await scene.published(w.branch_a1, audience_statuses=["full_member"])

    for actor in (inside, works_inside):
        assert await scene.feed_ids(actor) == [article_id]
        response = await scene.client.get(f"{ARTICLES}/{article_id}", headers=actor.headers)
        assert response.status_code == 200, response.text
        assert response.json()["read_at"] is not None
    for actor in (sibling_branch, other_street, activist):
        assert await scene.feed_ids(actor) == []
        response = await scene.client.get(f"{ARTICLES}/{article_id}", headers=actor.headers)
        assert response.status_code == 404
        assert error_code(response) == "news.article_not_found"
        reads = await scene.client.post(
            f"{ARTICLES}/{article_id}/reads", json={"seconds": 10}, headers=actor.headers
        )
        assert reads.status_code == 404
        assert await scene.count(Delivery, Delivery.member_id == actor.member.id) == 0
        assert await scene.count(ReadReceipt, ReadReceipt.member_id == actor.member.id) == 0
    assert await scene.pushed_to(article_id) == {inside.member.id, works_inside.member.id}


async def test_an_article_for_a_committee_reaches_its_whole_subtree_once(scene: Scene) -> None:
    w = scene.world
    reader = await scene.member(w.branch_a1, w.social_a2)  # two ways into street_a
    far = await scene.member(w.joint_b)
    article_id = await scene.published(w.street_a, w.branch_a1)
    assert await scene.feed_ids(reader) == [article_id]
    assert await scene.feed_ids(far) == []
    for_city = await scene.published(w.city, by=scene.admin)
    assert await scene.feed_ids(far) == [for_city]
    assert await scene.feed_ids(reader) == [for_city, article_id]


async def test_drafts_and_scheduled_articles_stay_out_of_the_feed(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    draft = await scene.write()
    scheduled = await scene.write()
    later = scene.clock.now() + timedelta(hours=1)
    assert (await scene.publish(scheduled, publish_at=later.isoformat())).status_code == 200
    assert await scene.feed_ids(reader) == []
    for article_id in (draft, scheduled):
        response = await scene.client.get(f"{ARTICLES}/{article_id}", headers=reader.headers)
        assert response.status_code == 404


async def test_pinned_first_then_newest_and_pages_without_gaps_or_repeats(scene: Scene) -> None:
    w = scene.world
    reader = await scene.member(w.branch_a1, w.social_a1)
    published: list[int] = []
    for i in range(7):
        scene.clock.advance(minutes=1)
        # Alternate targets so several audience rows (and index ranges) feed one member.
        target = (w.street_a, w.branch_a1, w.social_a1)[i % 3]
        published.append(await scene.published(target))
    pinned = published[1]
    await scene.client.post(f"{ARTICLES}/{pinned}/pin", headers=scene.instructor.headers)
    expected = [pinned] + [a for a in reversed(published) if a != pinned]

    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = await scene.client.get(FEED, params=params, headers=reader.headers)
        page = response.json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert response.json()["items"][0]["pinned"] is False


async def test_same_second_articles_page_by_id(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    ids = [await scene.published(scene.world.branch_a1) for _ in range(4)]
    seen: list[int] = []
    cursor = None
    for _ in range(4):
        params: dict[str, object] = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = (await scene.client.get(FEED, params=params, headers=reader.headers)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == list(reversed(ids))
    assert cursor is None


async def test_category_filter(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    notice = await scene.published(scene.world.branch_a1, category="notice")
    await scene.published(scene.world.branch_a1, category="key_news")
    assert await scene.feed_ids(reader, category="notice") == [notice]


async def test_retraction_hides_the_article(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    article_id = await scene.published(scene.world.branch_a1)
    assert await scene.feed_ids(reader) == [article_id]
    await scene.client.post(f"{ARTICLES}/{article_id}/retract", headers=scene.instructor.headers)
    assert await scene.feed_ids(reader) == []
    response = await scene.client.get(f"{ARTICLES}/{article_id}", headers=reader.headers)
    # The reader had it: the withdrawn notice, not its text (test_readers.py has the rest).
    assert response.status_code == 200
    assert response.json()["withdrawn_notice"] is not None
    author_view = await scene.client.get(
        f"{ARTICLES}/{article_id}", headers=scene.instructor.headers
    )
    assert author_view.json()["status"] == "retracted"


async def test_the_feed_marks_what_the_member_has_read(scene: Scene) -> None:
    reader = await scene.member(scene.world.branch_a1)
    first = await scene.published(scene.world.branch_a1)
    second = await scene.published(scene.world.branch_a1)
    await scene.client.get(f"{ARTICLES}/{first}", headers=reader.headers)
    items = (await scene.client.get(FEED, headers=reader.headers)).json()["items"]
    assert {item["id"]: item["read"] for item in items} == {first: True, second: False}


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "x",
        "!!",
        _b64("{}"),
        _b64("[1, 2]"),
        _b64("[2, 0, 1]"),
        _b64("[0, -1, 1]"),
        _b64("[0, 0, 0]"),
        _b64("[true, 0, 1]"),
        _b64("[0, 1e3, 1]"),
        _b64("[0, 99999999999999999999, 1]"),
        _b64('[0, 0, "1"]'),
        # The key the feed expects is {"pinned", "at", "id"}, exactly and strictly typed.
        _b64('{"after": [1, 2, 3]}'),
        _b64('{"after": 3}'),
        _b64('{"after": {"pinned": 1, "at": "2025-06-01T00:00:00Z", "id": 3}}'),
        _b64('{"after": {"pinned": true, "at": 0, "id": 3}}'),
        _b64('{"after": {"pinned": true, "at": "0001-01-01T00:00:00+14:00", "id": 3}}'),
        _b64('{"after": {"pinned": true, "at": "2025-06-01T00:00:00", "id": 3}}'),
        _b64('{"after": {"pinned": true, "at": "2025-06-01T00:00:00Z", "id": 0}}'),
        _b64('{"after": {"pinned": true, "at": "2025-06-01T00:00:00Z", "id": 3, "x": 1}}'),
        _b64('{"after": {"pinned": true, "at": "2025-06-01T00:00:00Z", "id": 3}, "x": 1}'),
    ],
)
async def test_a_bad_cursor_is_a_422(scene: Scene, cursor: str) -> None:
    reader = await scene.member(scene.world.branch_a1)
    response = await scene.client.get(FEED, params={"cursor": cursor}, headers=reader.headers)
    assert response.status_code == 422
    assert error_code(response) == "pagination.invalid_cursor"


async def test_staff_without_an_organization_get_an_empty_feed(scene: Scene) -> None:
    await scene.published(scene.world.city, by=scene.admin)
    assert await scene.feed_ids(scene.admin) == []


async def test_an_account_without_a_member_record_gets_an_empty_feed(scene: Scene) -> None:
    await scene.published(scene.world.city, by=scene.admin)
    account = await scene.factory.account()
    response = await scene.client.get(FEED, headers=scene.factory.headers_for(account))
    assert response.status_code == 200
    assert response.json()["items"] == []


async def test_a_disabled_account_is_refused_the_feed(scene: Scene) -> None:
    await scene.published(scene.world.branch_a1)
    reader = await scene.member(scene.world.branch_a1)
    assert len(await scene.feed_ids(reader)) == 1
    async with scene.app.state.runtime.sessionmaker.begin() as session:
        await session.execute(
            update(Account).where(Account.id == reader.account.id).values(is_active=False)
        )
    response = await scene.client.get(FEED, headers=reader.headers)
    assert response.status_code == 401
    assert error_code(response) == "auth.account_disabled"
