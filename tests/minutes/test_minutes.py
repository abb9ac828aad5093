from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.kit.clock import FrozenClock
from app.models import Member, Minutes, Role
from tests.factories import Actor, Factory, World, build_world
from tests.leave.helpers import V1, create_activity


@dataclass
class Scene:
    world: World
    secretary: Actor
    reviewer: Actor
    excused: Member
    present: Member
    activity_id: int


@pytest.fixture
async def scene(client: httpx.AsyncClient, factory: Factory, clock: FrozenClock) -> Scene:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    reviewer = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    on_leave = await factory.actor(None, None, relation=world.branch_a1)
    present = await factory.member(world.branch_a1)
    activity_id = await create_activity(
        client, secretary.headers, world.branch_a1, starts_at=clock.now() + timedelta(hours=1)
    )
    asked = await client.post(
        f"{V1}/activities/{activity_id}/leave", json={"reason": "出差"}, headers=on_leave.headers
    )
    approved = await client.post(
        f"{V1}/activities/{activity_id}/leave-requests/{asked.json()['id']}/decision",
        json={"approve": True},
        headers=secretary.headers,
    )
    assert approved.status_code == 200, approved.text
    return Scene(world, secretary, reviewer, on_leave.member, present, activity_id)


def url(scene: Scene, tail: str = "minutes") -> str:
    return f"{V1}/activities/{scene.activity_id}/{tail}"


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


async def stored_minutes(app: FastAPI, activity_id: int) -> Minutes | None:
    async with app.state.runtime.sessionmaker() as session:
        minutes: Minutes | None = await session.scalar(
            select(Minutes).where(Minutes.activity_id == activity_id)
        )
        return minutes


async def test_minutes_are_written_after_the_start_reviewed_then_final(
    client: httpx.AsyncClient, scene: Scene, clock: FrozenClock, app: FastAPI
) -> None:
    body = {"content": "一、学习党的二十届三中全会精神……", "decisions": "1. 下月开展志愿服务"}
    early = await client.put(url(scene), json=body, headers=scene.secretary.headers)
    assert early.status_code == 409
    assert error_code(early) == "minutes.too_early"

    clock.advance(hours=1, minutes=10)
    none_yet = await client.get(url(scene), headers=scene.secretary.headers)
    assert none_yet.status_code == 404
    assert error_code(none_yet) == "minutes.not_found"
    manual = await client.post(
        url(scene, "check-ins/manual"),
        json={"member_id": scene.present.id, "reason": "手机没电，现场确认"},
        headers=scene.secretary.headers,
    )
    assert manual.status_code == 201, manual.text

    written = await client.put(url(scene), json=body, headers=scene.secretary.headers)
    assert written.status_code == 200, written.text
    minutes = written.json()
    assert minutes["content"] == body["content"]
    assert minutes["decisions"] == body["decisions"]
    assert minutes["written_by"] == {
        "account_id": scene.secretary.account.id,
        "name": scene.secretary.member.name,
    }
    assert minutes["reviewed_at"] is None
    assert minutes["reviewed_by"] is None
    assert minutes["editable"] is True
    # Expected: secretary, the member on leave, the one checked in by hand. Check-in is
    # still open, so the secretary is pending, not absent (as the attendance view says).
    assert minutes["attendance"] == {
        "expected": 3,
        "present": 1,
        "late": 0,
        "excused": 1,
        "absent": 0,
        "pending": 1,
        "walk_ins": 0,
    }
    assert minutes["attachments"] == []

    replaced = await client.put(
        url(scene), json={"content": "修订后的记录"}, headers=scene.secretary.headers
    )
    assert replaced.status_code == 200
    assert replaced.json()["content"] == "修订后的记录"
    assert replaced.json()["decisions"] is None

    not_reviewer = await client.post(url(scene, "minutes/review"), headers=scene.secretary.headers)
    assert not_reviewer.status_code == 403
    assert error_code(not_reviewer) == "auth.forbidden"

    clock.advance(days=1)
    reviewed = await client.post(url(scene, "minutes/review"), headers=scene.reviewer.headers)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["reviewed_by"] == {
        "account_id": scene.reviewer.account.id,
        "name": scene.reviewer.member.name,
    }
    assert reviewed.json()["editable"] is False
    row = await stored_minutes(app, scene.activity_id)
    assert row is not None
    assert row.reviewed_at == clock.now()
    assert row.reviewed_by_account_id == scene.reviewer.account.id

    again = await client.post(url(scene, "minutes/review"), headers=scene.reviewer.headers)
    assert again.status_code == 409
    assert error_code(again) == "minutes.reviewed"
    changed = await client.put(
        url(scene), json={"content": "审阅后再改"}, headers=scene.secretary.headers
    )
    assert changed.status_code == 409
    assert error_code(changed) == "minutes.reviewed"
    shown = await client.get(url(scene), headers=scene.secretary.headers)
    assert shown.status_code == 200
    assert shown.json()["content"] == "修订后的记录"
    assert shown.json()["editable"] is False


async def test_reviewing_without_minutes_is_not_found(
    client: httpx.AsyncClient, scene: Scene, clock: FrozenClock, app: FastAPI
) -> None:
    clock.advance(hours=2)
    response = await client.post(url(scene, "minutes/review"), headers=scene.reviewer.headers)
    assert response.status_code == 404
    assert error_code(response) == "minutes.not_found"
    assert await stored_minutes(app, scene.activity_id) is None


async def test_draft_and_cancelled_activities_have_no_minutes(
    client: httpx.AsyncClient, scene: Scene, clock: FrozenClock, app: FastAPI
) -> None:
    draft = await create_activity(
        client,
        scene.secretary.headers,
        scene.world.branch_a1,
        starts_at=clock.now() + timedelta(minutes=30),
        publish=False,
    )
    cancelled = await client.post(
        url(scene, "cancel"), json={"reason": "改期"}, headers=scene.secretary.headers
    )
    assert cancelled.status_code == 200
    clock.advance(hours=2)
    for activity_id in (draft, scene.activity_id):
        response = await client.put(
            f"{V1}/activities/{activity_id}/minutes",
            json={"content": "记录"},
            headers=scene.secretary.headers,
        )
        assert response.status_code == 409
        assert error_code(response) == "minutes.activity_not_held"
        assert await stored_minutes(app, activity_id) is None


async def test_content_is_required_and_bounded(
    client: httpx.AsyncClient, scene: Scene, clock: FrozenClock
) -> None:
    clock.advance(hours=2)
    for body in (
        {"content": "  "},
        {"content": "记" * 20001},
        {"content": "记录", "decisions": "决" * 10001},
        {"decisions": "决议"},
    ):
        response = await client.put(url(scene), json=body, headers=scene.secretary.headers)
        assert response.status_code == 422
        assert error_code(response) == "validation_failed"
    ok = await client.put(
        url(scene),
        json={"content": "记" * 20000, "decisions": "决" * 10000},
        headers=scene.secretary.headers,
    )
    assert ok.status_code == 200


async def test_who_may_read_the_minutes(
    client: httpx.AsyncClient, scene: Scene, clock: FrozenClock, factory: Factory
) -> None:
    clock.advance(hours=2)
    assert (
        await client.put(url(scene), json={"content": "记录"}, headers=scene.secretary.headers)
    ).status_code == 200
    member = await factory.actor(None, None, relation=scene.world.branch_a1)
    for tail in ("minutes", "attachments"):
        refused = await client.get(url(scene, tail), headers=member.headers)
        assert refused.status_code == 403
        assert error_code(refused) == "auth.forbidden"
    other_street = await factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_b)
    hidden = await client.get(url(scene), headers=other_street.headers)
    assert hidden.status_code == 404
    assert error_code(hidden) == "activity.not_found"
    city = await factory.actor(Role.COMMITTEE_ADMIN, scene.world.city)
    shown = await client.get(url(scene), headers=city.headers)
    assert shown.status_code == 200
    assert shown.json()["content"] == "记录"
    system = await factory.actor(Role.SYSTEM_ADMIN, None)
    everywhere = await client.get(url(scene), headers=system.headers)
    assert everywhere.status_code == 200
    assert everywhere.json()["editable"] is True
    reviewed = await client.post(url(scene, "minutes/review"), headers=city.headers)
    assert reviewed.status_code == 200
    other_review = await client.post(url(scene, "minutes/review"), headers=other_street.headers)
    assert other_review.status_code == 404
    assert error_code(other_review) == "activity.not_found"
