"""Idempotency-Key on creating POSTs (reliability.md requirement 3), after pretix's
test_idempotency.py: the same key replays the first answer, another request under it is
refused, a key in flight answers 409 and frees itself, keys belong to their caller."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select, update

from app.idempotency import store
from app.idempotency.route import IdempotentRoute
from app.kit.clock import FrozenClock
from app.models import IdempotencyKey, Member, MinutesAttachment, Role
from tests.factories import Actor, Factory, World, build_world, unique_id_number
from tests.leave.helpers import V1, create_activity

MEMBERS = f"{V1}/members"
# Added by the middleware around the route, different on every response.
PER_RESPONSE_HEADERS = {"x-request-id", "idempotent-replayed"}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@dataclass
class Scene:
    app: FastAPI
    client: httpx.AsyncClient
    world: World
    secretary: Actor

    def new_member(self, name: str = "孙八") -> dict[str, object]:
        return {
            "name": name,
            "party_status": "full_member",
            "relation_org_id": self.world.branch_a1.id,
        }

    async def post_member(
        self, body: dict[str, object], key: str | None, by: Actor | None = None
    ) -> httpx.Response:
        headers = dict((by or self.secretary).headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post(MEMBERS, json=body, headers=headers)

    async def count(self, model: type[Member] | type[MinutesAttachment] = Member) -> int:
        async with self.app.state.runtime.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Scene:
    world = await build_world(factory)
    return Scene(app, client, world, await factory.actor(Role.SECRETARY, world.branch_a1))


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def route_headers(response: httpx.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.multi_items() if k not in PER_RESPONSE_HEADERS]


async def test_without_a_key_each_post_creates(scene: Scene) -> None:
    before = await scene.count()
    first = await scene.post_member(scene.new_member(), key=None)
    second = await scene.post_member(scene.new_member(), key=None)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert await scene.count() == before + 2


async def test_the_same_key_and_body_replay_the_first_answer(scene: Scene) -> None:
    before = await scene.count()
    first = await scene.post_member(scene.new_member(), key="foo")
    again = await scene.post_member(scene.new_member(), key="foo")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert route_headers(again) == route_headers(first)
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await scene.count() == before + 1

    other = await scene.post_member(scene.new_member(), key="bar")
    assert other.status_code == 201
    assert other.json()["id"] != first.json()["id"]
    assert await scene.count() == before + 2


async def test_the_same_key_with_another_request_is_refused(scene: Scene) -> None:
    first = await scene.post_member(scene.new_member("孙八"), key="foo")
    assert first.status_code == 201
    before = await scene.count()

    other_body = await scene.post_member(scene.new_member("周九"), key="foo")
    assert other_body.status_code == 422
    assert error_code(other_body) == "idempotency.key_reused"
    assert other_body.json()["error"]["message"] == "该幂等键已用于另一个请求，请换一个新的键"

    other_route = await scene.client.post(
        f"{V1}/orgs/{scene.world.branch_a1.id}/roles",
        json={"member_id": first.json()["id"], "role": "secretary"},
        headers={**scene.secretary.headers, "Idempotency-Key": "foo"},
    )
    assert other_route.status_code == 422
    assert error_code(other_route) == "idempotency.key_reused"
    assert await scene.count() == before


async def test_a_key_in_flight_answers_409_until_its_lease_lapses(
    scene: Scene, clock: FrozenClock
) -> None:
    first = await scene.post_member(scene.new_member(), key="foo")
    assert first.status_code == 201
    before = await scene.count()
    # As if the first request were still running (pretix's test sets `locked` alike).
    async with scene.app.state.runtime.sessionmaker.begin() as session:
        await session.execute(update(IdempotencyKey).values(status_code=None))

    busy = await scene.post_member(scene.new_member(), key="foo")
    assert busy.status_code == 409
    assert error_code(busy) == "idempotency.in_flight"
    assert busy.headers["Retry-After"] == "1"
    assert await scene.count() == before

    # A claim whose request never came back is taken over after its lease.
    clock.advance(seconds=store.LEASE.total_seconds() + 1)
    retried = await scene.post_member(scene.new_member(), key="foo")
    assert retried.status_code == 201
    assert await scene.count() == before + 1


async def test_a_failed_request_frees_its_key_for_the_retry(scene: Scene, factory: Factory) -> None:
    holder = await factory.member(relation=scene.world.branch_a1)
    taken = unique_id_number()
    patched = await scene.client.patch(
        f"{MEMBERS}/{holder.id}", json={"id_number": taken}, headers=scene.secretary.headers
    )
    assert patched.status_code == 200, patched.text
    body = {**scene.new_member(), "id_number": taken}

    refused = await scene.post_member(body, key="foo")
    assert refused.status_code == 409, refused.text
    assert error_code(refused) == "member.id_number_taken"
    freed = await scene.client.patch(
        f"{MEMBERS}/{holder.id}",
        json={"id_number": unique_id_number()},
        headers=scene.secretary.headers,
    )
    assert freed.status_code == 200

    retried = await scene.post_member(body, key="foo")
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers


async def test_keys_belong_to_their_caller(scene: Scene, factory: Factory) -> None:
    other_secretary = await factory.actor(Role.SECRETARY, scene.world.branch_a1)
    mine = await scene.post_member(scene.new_member(), key="foo")
    theirs = await scene.post_member(scene.new_member(), key="foo", by=other_secretary)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert theirs.json()["id"] != mine.json()["id"]
    assert "idempotent-replayed" not in theirs.headers

    stranger = await factory.actor(Role.SECRETARY, scene.world.branch_a2)
    refused = await scene.post_member(scene.new_member(), key="foo", by=stranger)
    assert refused.status_code == 404  # the branch is not theirs: no replay of another's answer


async def test_a_key_lasts_a_day(scene: Scene, clock: FrozenClock) -> None:
    first = await scene.post_member(scene.new_member("孙八"), key="foo")
    assert first.status_code == 201
    clock.advance(hours=23)
    assert (await scene.post_member(scene.new_member("孙八"), key="foo")).json() == first.json()

    clock.advance(hours=1, seconds=1)
    reused = await scene.post_member(scene.new_member("周九"), key="foo")
    assert reused.status_code == 201
    assert reused.json()["name"] == "周九"

    clock.advance(hours=25)
    async with scene.app.state.runtime.sessionmaker.begin() as session:
        assert await store.purge_expired(session, scene.app.state.runtime.settings, clock.now())
    async with scene.app.state.runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "两个字", "a b"], ids=["empty", "256", "cjk", "space"]
)
async def test_a_malformed_key_is_refused(scene: Scene, key: str) -> None:
    before = await scene.count()
    response = await scene.client.post(
        MEMBERS,
        json=scene.new_member(),
        headers={**scene.secretary.headers, "Idempotency-Key": key.encode()},
    )
    assert response.status_code == 422
    assert error_code(response) == "idempotency.key_invalid"
    assert await scene.count() == before


async def test_reads_other_posts_and_anonymous_callers_ignore_the_key(scene: Scene) -> None:
    key = {"Idempotency-Key": "foo"}
    listed = await scene.client.get(MEMBERS, headers={**scene.secretary.headers, **key})
    assert listed.status_code == 200
    anonymous = await scene.client.post(MEMBERS, json=scene.new_member(), headers=key)
    assert anonymous.status_code == 401
    first = await scene.post_member(scene.new_member(), key="foo")
    assert first.status_code == 201  # the anonymous attempt claimed nothing
    async with scene.app.state.runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1


async def test_an_upload_retried_under_another_boundary_is_replayed(
    scene: Scene, clock: FrozenClock
) -> None:
    activity_id = await create_activity(
        scene.client,
        scene.secretary.headers,
        scene.world.branch_a1,
        starts_at=clock.now() + timedelta(hours=1),
    )
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
    answers = []
    for boundary in ("first-boundary", "second-boundary"):
        request = scene.client.build_request(
            "POST",
            f"{V1}/activities/{activity_id}/attachments",
            files={"file": ("会议照片.jpg", photo, "image/jpeg")},
            headers={
                **scene.secretary.headers,
                "Idempotency-Key": "upload-1",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        answers.append(await scene.client.send(request))
    first, again = answers
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await scene.count(MinutesAttachment) == 1


async def test_concurrent_requests_with_one_key_create_one_object(scene: Scene) -> None:
    """Five at once (pretix: in flight → 409): on PostgreSQL they really overlap."""
    before = await scene.count()
    answers = await asyncio.gather(
        *(scene.post_member(scene.new_member(), key="same") for _ in range(5))
    )
    outcome = Counter(
        str(r.status_code) if r.status_code < 400 else f"{r.status_code} {error_code(r)}"
        for r in answers
    )
    assert set(outcome) <= {"201", "409 idempotency.in_flight"}, outcome
    created = [r.json() for r in answers if r.status_code == 201]
    assert created
    assert all(body == created[0] for body in created)
    assert await scene.count() == before + 1


def test_every_creating_post_takes_the_key(app: FastAPI) -> None:
    """A router built without the route class would take the header and ignore it."""
    routes = [
        context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    assert routes
    assert all(isinstance(route, IdempotentRoute) for route in routes)
    creating = {route.path for route in routes if route.idempotent}  # type: ignore[attr-defined]
    assert f"{V1}/members" in creating
    assert f"{V1}/activities/{{activity_id}}/check-ins" in creating
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            takes_key = any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", ()))
            assert takes_key == (method == "post" and "201" in operation["responses"]), path
