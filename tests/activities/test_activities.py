"""Activities through the API: who may create them, who is expected, validation, the
publish / change / cancel events for the notification system, the effective status, and
who may see what."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.config import Settings
from app.kit.clock import FrozenClock
from app.models import Activity, ActivityEvent, ExpectedAttendee, Organization, Role
from tests.factories import Actor, Factory, World, build_world

T0 = datetime(2025, 6, 1, 2, 0, 0, tzinfo=UTC)
START = T0 + timedelta(days=2)
END = START + timedelta(hours=2)
ACTIVITIES = "/api/v1/activities"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def body_for(org: Organization, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "org_id": org.id,
        "type": "themed_party_day",
        "title": "主题党日",
        "starts_at": START.isoformat(),
        "ends_at": END.isoformat(),
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


@dataclass
class Scene:
    client: httpx.AsyncClient
    app: FastAPI
    factory: Factory
    clock: FrozenClock
    world: World
    secretary: Actor  # of branch_a1

    async def member(
        self,
        relation: Organization | None = None,
        workplace: Organization | None = None,
        **fields: Any,
    ) -> Actor:
        if relation is None and workplace is None:
            relation = self.world.branch_a1
        member = await self.factory.member(relation=relation, workplace=workplace, **fields)
        account = await self.factory.account(member)
        return Actor(member=member, account=account, headers=self.factory.headers_for(account))

    async def create(
        self, by: Actor | None = None, org: Organization | None = None, **fields: Any
    ) -> dict[str, Any]:
        response = await self.client.post(
            ACTIVITIES,
            json=body_for(org or self.world.branch_a1, **fields),
            headers=(by or self.secretary).headers,
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def publish(self, activity_id: int, by: Actor | None = None) -> httpx.Response:
        return await self.client.post(
            f"{ACTIVITIES}/{activity_id}/publish", headers=(by or self.secretary).headers
        )

    async def published(
        self, by: Actor | None = None, org: Organization | None = None, **fields: Any
    ) -> dict[str, Any]:
        activity = await self.create(by, org, **fields)
        response = await self.publish(activity["id"], by)
        assert response.status_code == 200, response.text
        published: dict[str, Any] = response.json()
        return published

    async def patch(
        self, activity_id: int, by: Actor | None = None, **fields: Any
    ) -> httpx.Response:
        return await self.client.patch(
            f"{ACTIVITIES}/{activity_id}", json=fields, headers=(by or self.secretary).headers
        )

    async def cancel(self, activity_id: int, reason: str = "场地冲突") -> httpx.Response:
        return await self.client.post(
            f"{ACTIVITIES}/{activity_id}/cancel",
            json={"reason": reason},
            headers=self.secretary.headers,
        )

    async def expected(self, activity_id: int, by: Actor | None = None) -> list[int]:
        response = await self.client.get(
            f"{ACTIVITIES}/{activity_id}/expected",
            params={"limit": 100},
            headers=(by or self.secretary).headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["next_cursor"] is None
        return [row["member_id"] for row in response.json()["items"]]

    async def events(self, activity_id: int) -> Sequence[ActivityEvent]:
        async with self.app.state.runtime.sessionmaker() as session:
            query = (
                select(ActivityEvent)
                .where(ActivityEvent.activity_id == activity_id)
                .order_by(ActivityEvent.id)
            )
            return (await session.scalars(query)).all()

    async def count_activities(self) -> int:
        async with self.app.state.runtime.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(Activity)) or 0)


@pytest.fixture
async def scene(
    client: httpx.AsyncClient, app: FastAPI, factory: Factory, clock: FrozenClock
) -> Scene:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    return Scene(client, app, factory, clock, world, secretary)


def kinds(events: Sequence[ActivityEvent]) -> list[str]:
    return [e.kind.value for e in events]


# --- create -------------------------------------------------------------------------------


async def test_secretary_creates_a_draft_for_the_branch(scene: Scene) -> None:
    response = await scene.client.post(
        ACTIVITIES,
        json=body_for(
            scene.world.branch_a1,
            description="学习二十届三中全会精神",
            venue_name="党群服务中心",
            venue_latitude=32.06,
            venue_longitude=118.78,
            geofence_radius_m=150,
            co_hosts=["youth_league", "union", "union"],
        ),
        headers=scene.secretary.headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "draft"
    assert body["org_id"] == scene.world.branch_a1.id
    assert body["published_at"] is None
    assert body["walk_in_policy"] == "accept_flagged"
    assert body["co_hosts"] == ["union", "youth_league"]
    assert body["geofence_radius_m"] == 150
    assert "checkin_secret" not in body
    assert datetime.fromisoformat(body["starts_at"]) == START
    assert await scene.events(body["id"]) == []  # nobody hears of a draft


async def test_instructor_creates_for_the_social_org_they_hold(scene: Scene) -> None:
    instructor = await scene.factory.actor(Role.INSTRUCTOR, scene.world.social_a1)
    activity = await scene.create(by=instructor, org=scene.world.social_a1, type="volunteer")
    assert activity["org_id"] == scene.world.social_a1.id
    # but not for the branch above it
    response = await scene.client.post(
        ACTIVITIES, json=body_for(scene.world.branch_a1), headers=instructor.headers
    )
    assert response.status_code == 404
    assert error_code(response) == "org.not_found"


async def test_committee_admin_creates_for_a_branch_below(scene: Scene) -> None:
    admin = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    for org in (scene.world.branch_a1, scene.world.branch_a2, scene.world.street_a):
        assert (await scene.create(by=admin, org=org))["org_id"] == org.id


async def test_member_without_role_is_forbidden(scene: Scene) -> None:
    member = await scene.member()
    response = await scene.client.post(
        ACTIVITIES, json=body_for(scene.world.branch_a1), headers=member.headers
    )
    assert response.status_code == 403
    assert error_code(response) == "auth.forbidden"
    assert (
        await scene.client.post(ACTIVITIES, json=body_for(scene.world.branch_a1))
    ).status_code == 401
    assert await scene.count_activities() == 0


async def test_sibling_branch_secretary_gets_org_not_found(scene: Scene) -> None:
    sibling = await scene.factory.actor(Role.SECRETARY, scene.world.branch_a2)
    response = await scene.client.post(
        ACTIVITIES, json=body_for(scene.world.branch_a1), headers=sibling.headers
    )
    assert response.status_code == 404
    assert error_code(response) == "org.not_found"
    assert await scene.count_activities() == 0


# --- expected attendees -------------------------------------------------------------------


async def test_default_expected_are_the_branch_members(scene: Scene) -> None:
    w = scene.world
    ours = [await scene.member(), await scene.member(relation=w.branch_a1, workplace=w.social_a1)]
    await scene.member(is_lost_contact=True)  # 失联: not expected
    await scene.member(relation=w.branch_a2)  # sibling branch
    await scene.member(relation=w.joint_b, workplace=w.social_a1)  # works here, relation elsewhere

    activity = await scene.create()

    expected = sorted([scene.secretary.member.id, *(a.member.id for a in ours)])
    assert await scene.expected(activity["id"]) == expected
    assert activity["expected_count"] == len(expected)


async def test_default_expected_of_a_committee_covers_its_subtree(scene: Scene) -> None:
    w = scene.world
    a1 = await scene.member()
    a2 = await scene.member(relation=w.branch_a2)
    await scene.member(relation=w.joint_b)
    admin = await scene.factory.actor(Role.COMMITTEE_ADMIN, w.street_a)

    activity = await scene.create(by=admin, org=w.street_a)

    assert await scene.expected(activity["id"], by=admin) == sorted(
        [scene.secretary.member.id, a1.member.id, a2.member.id]
    )


async def test_default_expected_of_a_social_org_are_the_people_working_there(scene: Scene) -> None:
    w = scene.world
    staff = [
        await scene.member(relation=w.branch_a1, workplace=w.social_a1),
        await scene.member(relation=w.joint_b, workplace=w.social_a1),  # 流动党员 working here
    ]
    await scene.member(relation=w.branch_a1, workplace=w.social_a1, is_lost_contact=True)
    await scene.member(relation=w.branch_a1)  # in the branch, not working here
    await scene.member(relation=w.branch_a2, workplace=w.social_a2)
    instructor = await scene.factory.actor(Role.INSTRUCTOR, w.social_a1)

    activity = await scene.create(by=instructor, org=w.social_a1)

    assert await scene.expected(activity["id"], by=instructor) == sorted(a.member.id for a in staff)


async def test_explicit_expected_members(scene: Scene) -> None:
    one, two = await scene.member(), await scene.member()
    await scene.member()

    activity = await scene.create(expected_member_ids=[two.member.id, one.member.id, two.member.id])

    assert activity["expected_count"] == 2
    assert await scene.expected(activity["id"]) == sorted([one.member.id, two.member.id])
    nobody = await scene.create(expected_member_ids=[])
    assert nobody["expected_count"] == 0


async def test_explicit_expected_member_outside_scope_is_not_found(scene: Scene) -> None:
    ours = await scene.member()
    theirs = await scene.member(relation=scene.world.branch_a2)

    response = await scene.client.post(
        ACTIVITIES,
        json=body_for(
            scene.world.branch_a1, expected_member_ids=[ours.member.id, theirs.member.id]
        ),
        headers=scene.secretary.headers,
    )

    assert response.status_code == 404, response.text
    assert error_code(response) == "member.not_found"
    assert response.json()["error"]["details"]["member_ids"] == [theirs.member.id]
    assert await scene.count_activities() == 0


async def test_add_and_remove_expected(scene: Scene) -> None:
    activity = await scene.create(expected_member_ids=[scene.secretary.member.id])
    guest = await scene.member(relation=scene.world.joint_b, workplace=scene.world.social_a1)
    newcomer = await scene.member()
    stranger = await scene.member(relation=scene.world.branch_a2)
    url = f"{ACTIVITIES}/{activity['id']}/expected"

    added = await scene.client.post(
        url,
        json={"member_ids": [guest.member.id, newcomer.member.id, newcomer.member.id]},
        headers=scene.secretary.headers,
    )
    assert added.status_code == 204, added.text
    again = await scene.client.post(
        url, json={"member_ids": [newcomer.member.id]}, headers=scene.secretary.headers
    )
    assert again.status_code == 204
    assert await scene.expected(activity["id"]) == sorted(
        [scene.secretary.member.id, guest.member.id, newcomer.member.id]
    )

    outside = await scene.client.post(
        url, json={"member_ids": [stranger.member.id]}, headers=scene.secretary.headers
    )
    assert outside.status_code == 404
    assert error_code(outside) == "member.not_found"

    removed = await scene.client.delete(f"{url}/{guest.member.id}", headers=scene.secretary.headers)
    assert removed.status_code == 204
    gone = await scene.client.delete(f"{url}/{guest.member.id}", headers=scene.secretary.headers)
    assert gone.status_code == 404
    assert error_code(gone) == "activity.not_expected"
    assert await scene.expected(activity["id"]) == sorted(
        [scene.secretary.member.id, newcomer.member.id]
    )

    read = await scene.client.get(f"{ACTIVITIES}/{activity['id']}", headers=scene.secretary.headers)
    assert read.json()["expected_count"] == 2
    sibling = await scene.factory.actor(Role.SECRETARY, scene.world.branch_a2)
    foreign = await scene.client.post(
        url, json={"member_ids": [stranger.member.id]}, headers=sibling.headers
    )
    assert foreign.status_code == 404
    assert error_code(foreign) == "activity.not_found"
    async with scene.app.state.runtime.sessionmaker() as session:
        rows = await session.scalar(
            select(func.count())
            .select_from(ExpectedAttendee)
            .where(ExpectedAttendee.activity_id == activity["id"])
        )
    assert rows == 2


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        pytest.param(
            {"ends_at": (START - timedelta(minutes=1)).isoformat()},
            "validation_failed",
            id="ends before start",
        ),
        pytest.param({"ends_at": START.isoformat()}, "validation_failed", id="ends at the start"),
        pytest.param(
            {"venue_latitude": 32.06}, "validation_failed", id="latitude without longitude"
        ),
        pytest.param(
            {"venue_longitude": 118.78}, "validation_failed", id="longitude without latitude"
        ),
        pytest.param({"starts_at": "2025-06-03T10:00:00"}, "validation_failed", id="naive start"),
        pytest.param(
            {"venue_latitude": 32.06, "venue_longitude": 118.78, "geofence_radius_m": 5},
            "validation_failed",
            id="radius below 10 m",
        ),
        pytest.param(
            {"geofence_radius_m": 200}, "activity.geofence_needs_venue", id="geofence without venue"
        ),
        pytest.param(
            {"geofence_radius_m": 200, "venue_name": "会议室"},
            "activity.geofence_needs_venue",
            id="geofence with a venue name only",
        ),
    ],
)
async def test_invalid_activity_is_refused(scene: Scene, fields: dict[str, Any], code: str) -> None:
    response = await scene.client.post(
        ACTIVITIES, json=body_for(scene.world.branch_a1, **fields), headers=scene.secretary.headers
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == code
    assert await scene.count_activities() == 0


async def test_patch_is_validated_against_the_stored_values(scene: Scene) -> None:
    activity = await scene.create()
    before_start = await scene.patch(
        activity["id"], ends_at=(START - timedelta(hours=1)).isoformat()
    )
    assert before_start.status_code == 422
    assert error_code(before_start) == "activity.ends_before_start"
    fence = await scene.patch(activity["id"], geofence_radius_m=100)
    assert fence.status_code == 422
    assert error_code(fence) == "activity.geofence_needs_venue"
    read = await scene.client.get(f"{ACTIVITIES}/{activity['id']}", headers=scene.secretary.headers)
    assert read.json() == activity


# --- publish, change, cancel --------------------------------------------------------------


async def test_publish_records_the_event_and_a_reminder(scene: Scene, settings: Settings) -> None:
    activity = await scene.create()

    response = await scene.publish(activity["id"])

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "published"
    assert datetime.fromisoformat(response.json()["published_at"]) == T0
    published, reminder = await scene.events(activity["id"])
    assert published.kind.value == "published"
    assert published.due_at == T0
    assert published.payload["title"] == "主题党日"
    assert reminder.kind.value == "reminder"
    assert reminder.due_at == START - timedelta(minutes=settings.activity_reminder_minutes_before)
    assert published.delivered_at is None
    assert reminder.delivered_at is None
    assert reminder.superseded_at is None

    again = await scene.publish(activity["id"])
    assert again.status_code == 409
    assert error_code(again) == "activity.not_draft"
    assert len(await scene.events(activity["id"])) == 2


async def test_publish_shortly_before_the_start_schedules_no_reminder(scene: Scene) -> None:
    soon = T0 + timedelta(minutes=30)
    activity = await scene.create(
        starts_at=soon.isoformat(), ends_at=(soon + timedelta(hours=1)).isoformat()
    )
    assert (await scene.publish(activity["id"])).status_code == 200
    assert kinds(await scene.events(activity["id"])) == ["published"]


async def test_publish_after_the_end_is_refused(scene: Scene) -> None:
    activity = await scene.create()
    scene.clock.at = END
    response = await scene.publish(activity["id"])
    assert response.status_code == 409
    assert error_code(response) == "activity.ended"
    assert await scene.events(activity["id"]) == []


async def test_sibling_cannot_publish(scene: Scene) -> None:
    activity = await scene.create()
    sibling = await scene.factory.actor(Role.SECRETARY, scene.world.branch_a2)
    response = await scene.publish(activity["id"], by=sibling)
    assert response.status_code == 404
    assert error_code(response) == "activity.not_found"
    assert await scene.events(activity["id"]) == []


async def test_moving_a_published_activity_supersedes_the_reminder(
    scene: Scene, settings: Settings
) -> None:
    activity = await scene.published()
    scene.clock.at = T0 + timedelta(hours=3)
    new_start = START + timedelta(days=1)

    response = await scene.patch(
        activity["id"],
        starts_at=new_start.isoformat(),
        ends_at=(new_start + timedelta(hours=2)).isoformat(),
    )

    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["starts_at"]) == new_start
    published, old_reminder, changed, new_reminder = await scene.events(activity["id"])
    assert published.kind.value == "published"
    assert old_reminder.kind.value == "reminder"
    assert old_reminder.superseded_at == T0 + timedelta(hours=3)
    assert changed.kind.value == "changed"
    assert changed.payload["changed"] == ["ends_at", "starts_at"]
    assert changed.due_at == T0 + timedelta(hours=3)
    assert new_reminder.kind.value == "reminder"
    assert new_reminder.superseded_at is None
    assert new_reminder.due_at == new_start - timedelta(
        minutes=settings.activity_reminder_minutes_before
    )


async def test_other_changes_of_a_published_activity(scene: Scene) -> None:
    activity = await scene.published()

    title = await scene.patch(activity["id"], title="主题党日（更名）", description="新的说明")
    assert title.status_code == 200
    assert kinds(await scene.events(activity["id"])) == [
        "published",
        "reminder",
    ]  # not worth a message

    same_time = await scene.patch(activity["id"], starts_at=START.astimezone().isoformat())
    assert same_time.status_code == 200
    assert kinds(await scene.events(activity["id"])) == [
        "published",
        "reminder",
    ]  # the same instant

    venue = await scene.patch(activity["id"], venue_name="社区活动室")
    assert venue.status_code == 200
    events = await scene.events(activity["id"])
    assert kinds(events) == ["published", "reminder", "changed"]
    assert events[2].payload["changed"] == ["venue_name"]
    assert events[1].superseded_at is None  # the time did not move


async def test_changing_a_draft_records_nothing(scene: Scene) -> None:
    activity = await scene.create()
    response = await scene.patch(activity["id"], starts_at=(START + timedelta(hours=1)).isoformat())
    assert response.status_code == 200
    assert await scene.events(activity["id"]) == []


async def test_cancel_a_published_activity(scene: Scene) -> None:
    activity = await scene.published()
    scene.clock.at = T0 + timedelta(hours=5)

    response = await scene.cancel(activity["id"], "台风预警，改期举行")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["cancel_reason"] == "台风预警，改期举行"
    assert datetime.fromisoformat(body["cancelled_at"]) == T0 + timedelta(hours=5)
    published, reminder, cancelled = await scene.events(activity["id"])
    assert published.superseded_at is None  # only reminders are superseded
    assert reminder.kind.value == "reminder"
    assert reminder.superseded_at == T0 + timedelta(hours=5)
    assert cancelled.kind.value == "cancelled"
    assert cancelled.payload["reason"] == "台风预警，改期举行"
    assert cancelled.due_at == T0 + timedelta(hours=5)


async def test_cancelled_activity_refuses_further_edits(scene: Scene) -> None:
    activity = await scene.published()
    assert (await scene.cancel(activity["id"])).status_code == 200
    member = await scene.member()
    url = f"{ACTIVITIES}/{activity['id']}"

    attempts = [
        await scene.patch(activity["id"], title="改个名"),
        await scene.patch(
            activity["id"],
            starts_at=(START + timedelta(days=1)).isoformat(),
            ends_at=(END + timedelta(days=1)).isoformat(),
        ),
        await scene.cancel(activity["id"], "再取消一次"),
        await scene.client.post(
            f"{url}/expected",
            json={"member_ids": [member.member.id]},
            headers=scene.secretary.headers,
        ),
        await scene.client.delete(
            f"{url}/expected/{scene.secretary.member.id}", headers=scene.secretary.headers
        ),
    ]
    for response in attempts:
        assert response.status_code == 409, response.text
        assert error_code(response) == "activity.cancelled"
    republish = await scene.publish(activity["id"])
    assert republish.status_code == 409
    assert error_code(republish) == "activity.not_draft"
    assert kinds(await scene.events(activity["id"])) == ["published", "reminder", "cancelled"]
    read = await scene.client.get(url, headers=scene.secretary.headers)
    assert read.json()["title"] == "主题党日"
    assert read.json()["status"] == "cancelled"


async def test_cancel_a_draft_tells_nobody(scene: Scene) -> None:
    activity = await scene.create()
    response = await scene.cancel(activity["id"])
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert await scene.events(activity["id"]) == []


async def test_effective_status_ended_after_the_end(scene: Scene) -> None:
    activity = await scene.published()
    url = f"{ACTIVITIES}/{activity['id']}"

    scene.clock.at = END - timedelta(microseconds=1)
    assert (await scene.client.get(url, headers=scene.secretary.headers)).json()[
        "status"
    ] == "published"
    scene.clock.at = END
    assert (await scene.client.get(url, headers=scene.secretary.headers)).json()[
        "status"
    ] == "ended"

    refused = await scene.patch(activity["id"], title="补个标题")
    assert refused.status_code == 409
    assert error_code(refused) == "activity.ended"
    cancel = await scene.cancel(activity["id"])
    assert error_code(cancel) == "activity.ended"
    draft = await scene.create()
    assert (
        await scene.client.get(f"{ACTIVITIES}/{draft['id']}", headers=scene.secretary.headers)
    ).json()["status"] == "draft"


# --- who sees what ------------------------------------------------------------------------


async def test_get_is_visible_to_those_it_concerns(scene: Scene) -> None:
    w = scene.world
    expected = await scene.member()
    activity = await scene.published()
    url = f"{ACTIVITIES}/{activity['id']}"
    later = await scene.member()  # relation in the branch, not on the list
    worker = await scene.member(relation=w.joint_b, workplace=w.social_a1)  # works below the branch
    guest = await scene.member(relation=w.joint_b)
    assert (
        await scene.client.post(
            f"{url}/expected", json={"member_ids": []}, headers=scene.secretary.headers
        )
    ).status_code == 422
    added = await scene.client.post(
        f"{url}/expected",
        json={"member_ids": [guest.member.id]},
        headers=(await scene.factory.actor(Role.COMMITTEE_ADMIN, w.city)).headers,
    )
    assert added.status_code == 204
    admin = await scene.factory.actor(Role.COMMITTEE_ADMIN, w.street_a)
    instructor = await scene.factory.actor(Role.INSTRUCTOR, w.branch_a1)

    for reader in (scene.secretary, admin, instructor, expected, later, worker, guest):
        response = await scene.client.get(url, headers=reader.headers)
        assert response.status_code == 200, (reader.member.name, response.text)
        assert response.json()["id"] == activity["id"]

    sibling_member = await scene.member(relation=w.branch_a2)
    sibling_secretary = await scene.factory.actor(Role.SECRETARY, w.branch_a2)
    # The sibling branch has an activity of its own: that one does not open ours.
    theirs = await scene.published(by=sibling_secretary, org=w.branch_a2)
    other_street = await scene.factory.actor(Role.COMMITTEE_ADMIN, w.street_b)
    no_member = await scene.factory.account(None)
    for headers in (
        sibling_member.headers,
        sibling_secretary.headers,
        other_street.headers,
        scene.factory.headers_for(no_member),
    ):
        response = await scene.client.get(url, headers=headers)
        assert response.status_code == 404, response.text
        assert error_code(response) == "activity.not_found"
    assert (await scene.client.get(url)).status_code == 401
    # and the other way round: our members do not see the sibling's activity
    for reader in (expected, later, worker, scene.secretary, instructor):
        response = await scene.client.get(f"{ACTIVITIES}/{theirs['id']}", headers=reader.headers)
        assert response.status_code == 404, response.text
    assert (
        await scene.client.get(f"{ACTIVITIES}/{theirs['id']}", headers=sibling_member.headers)
    ).status_code == 200


async def test_my_activities_upcoming_and_past(scene: Scene) -> None:
    w = scene.world
    member = await scene.member()
    soon = T0 + timedelta(minutes=10)

    def at(days: int) -> dict[str, str]:
        start = T0 + timedelta(days=days)
        return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}

    past = await scene.published(
        title="已结束", starts_at=soon.isoformat(), ends_at=(soon + timedelta(hours=1)).isoformat()
    )
    # Created in another order than they start: the list goes by start.
    later = await scene.published(title="下月", **at(30))
    upcoming = await scene.published(title="下周", **at(7))
    cancelled = await scene.published(title="取消了", **at(3))
    assert (await scene.cancel(cancelled["id"])).status_code == 200
    await scene.create(title="草稿")
    sibling_secretary = await scene.factory.actor(Role.SECRETARY, w.branch_a2)
    await scene.published(by=sibling_secretary, org=w.branch_a2, title="兄弟支部")
    scene.clock.at = T0 + timedelta(hours=2)

    async def mine(when: str, actor: Actor = member, **params: str) -> list[tuple[str, str]]:
        response = await scene.client.get(
            "/api/v1/me/activities", params={"when": when, **params}, headers=actor.headers
        )
        assert response.status_code == 200, response.text
        return [(a["title"], a["status"]) for a in response.json()["items"]]

    assert await mine("upcoming") == [("下周", "published"), ("下月", "published")]
    assert await mine("upcoming", include_cancelled="true") == [
        ("取消了", "cancelled"),
        ("下周", "published"),
        ("下月", "published"),
    ]
    assert await mine("upcoming", type="volunteer") == []
    assert await mine("past") == [("已结束", "ended")]
    first = await scene.client.get(
        "/api/v1/me/activities", params={"limit": 1}, headers=member.headers
    )
    assert [a["id"] for a in first.json()["items"]] == [upcoming["id"]]
    second = await scene.client.get(
        "/api/v1/me/activities",
        params={"limit": 1, "cursor": first.json()["next_cursor"]},
        headers=member.headers,
    )
    assert [a["id"] for a in second.json()["items"]] == [later["id"]]
    assert past["id"] not in [a["id"] for a in first.json()["items"]]

    sibling_member = await scene.member(relation=w.branch_a2)
    assert await mine("upcoming", sibling_member) == [("兄弟支部", "published")]
    no_member = await scene.factory.account(None)
    empty = await scene.client.get(
        "/api/v1/me/activities", headers=scene.factory.headers_for(no_member)
    )
    assert empty.status_code == 200
    assert empty.json() == {"items": [], "next_cursor": None}
    bad = await scene.client.get(
        "/api/v1/me/activities", params={"when": "soon"}, headers=member.headers
    )
    assert bad.status_code == 422


async def test_manager_list_pages_by_start(scene: Scene) -> None:
    w = scene.world
    ids = [(await scene.create(title=f"第{n}次"))["id"] for n in range(5)]
    sibling_secretary = await scene.factory.actor(Role.SECRETARY, w.branch_a2)
    theirs = await scene.create(by=sibling_secretary, org=w.branch_a2)

    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await scene.client.get(
            ACTIVITIES, params=params, headers=scene.secretary.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [a["id"] for a in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids  # the same start: by id
    assert pages == 3

    admin = await scene.factory.actor(Role.COMMITTEE_ADMIN, w.street_a)
    everything = await scene.client.get(ACTIVITIES, params={"limit": 100}, headers=admin.headers)
    assert [a["id"] for a in everything.json()["items"]] == [*ids, theirs["id"]]
    only_a2 = await scene.client.get(
        ACTIVITIES, params={"org_id": w.branch_a2.id}, headers=admin.headers
    )
    assert [a["id"] for a in only_a2.json()["items"]] == [theirs["id"]]
    foreign_filter = await scene.client.get(
        ACTIVITIES, params={"org_id": w.branch_a2.id}, headers=scene.secretary.headers
    )
    assert foreign_filter.status_code == 404
    assert error_code(foreign_filter) == "org.not_found"
    bad_cursor = await scene.client.get(
        ACTIVITIES, params={"cursor": "nope"}, headers=scene.secretary.headers
    )
    assert bad_cursor.status_code == 422
    assert error_code(bad_cursor) == "pagination.invalid_cursor"
    member = await scene.member()
    assert (await scene.client.get(ACTIVITIES, headers=member.headers)).status_code == 403
