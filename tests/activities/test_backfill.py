"""补录: an activity held in the past, recorded afterwards with its attendance and minutes.

    甲街道工委 (committee)      committee admin
    ├── 甲一支部 (branch)       secretary (a member there too), m1 … m4
    └── 甲二支部 (branch)       its own secretary, m5

Today is 20 November 2026, 12:00 in Beijing (Q4). The meeting recorded was held on
15 October, 14:00 to 16:00: m1 present, m2 late, m3 on leave, m4 absent, and the secretary,
expected like every member of the branch, named nowhere and so absent too. Expected 5,
present 2 (one of them late), excused 1, absent 2."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.kit.clock import FrozenClock
from app.kit.time import DISPLAY_ZONE, shown
from app.models import (
    Activity,
    ActivityEvent,
    Attendance,
    AuditEvent,
    ExpectedAttendee,
    LeaveRequest,
    Member,
    Minutes,
    Notification,
    PointEntry,
    Role,
)
from tests.factories import Actor, Factory, World, build_world
from tests.oversight.helpers import sheet_rows

V1 = "/api/v1"
URL = f"{V1}/activities/backfill"
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
REASON = "系统启用前召开，按纸质签到表补录"


def bj(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DISPLAY_ZONE).astimezone(UTC)


STARTS = bj(10, 15, 14)
ENDS = bj(10, 15, 16)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@dataclass
class Scene:
    world: World
    secretary: Actor
    admin: Actor
    other_secretary: Actor
    other_admin: Actor
    plain: Actor
    members: list[Member]  # m1 … m4 of 甲一支部
    stranger: Member  # m5, of 甲二支部


@pytest.fixture
async def scene(factory: Factory) -> Scene:
    world = await build_world(factory)
    branch = world.branch_a1
    secretary = await factory.actor(Role.SECRETARY, branch)
    members = [await factory.member(branch, name=f"党员{i}") for i in range(1, 5)]
    plain_member = members[0]
    plain_account = await factory.account(plain_member)
    return Scene(
        world=world,
        secretary=secretary,
        admin=await factory.actor(Role.COMMITTEE_ADMIN, world.street_a),
        other_secretary=await factory.actor(Role.SECRETARY, world.branch_a2),
        other_admin=await factory.actor(Role.COMMITTEE_ADMIN, world.street_b),
        plain=Actor(plain_member, plain_account, factory.headers_for(plain_account)),
        members=members,
        stranger=await factory.member(world.branch_a2, name="党员5"),
    )


def body_for(scene: Scene, **changes: Any) -> dict[str, Any]:
    m1, m2, m3, m4 = scene.members
    body: dict[str, Any] = {
        "org_id": scene.world.branch_a1.id,
        "type": "branch_general_meeting",
        "title": "十月支部党员大会",
        "starts_at": STARTS.isoformat(),
        "ends_at": ENDS.isoformat(),
        "venue_name": "协会会议室",
        "reason": REASON,
        "attendance": [
            {"member_id": m1.id, "state": "present"},
            {"member_id": m2.id, "state": "late", "reason": "路上堵车，签到表上注明迟到"},
            {"member_id": m3.id, "state": "leave", "reason": "出差"},
            {"member_id": m4.id, "state": "absent"},
        ],
        "minutes": {"content": "学习传达文件精神，讨论发展对象。", "decisions": "同意列为发展对象"},
    }
    body.update(changes)
    return body


TABLES = (Activity, ExpectedAttendee, Attendance, LeaveRequest, Minutes, AuditEvent)


async def counts(factory: Factory) -> dict[str, int]:
    async with factory.runtime.sessionmaker() as session:
        return {
            model.__tablename__: int(await session.scalar(select(func.count()).select_from(model)))
            for model in (*TABLES, ActivityEvent, Notification, PointEntry)
        }


async def backfill(client: httpx.AsyncClient, actor: Actor, body: dict[str, Any]) -> Any:
    response = await client.post(URL, json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    return response.json()


# --- the happy path ------------------------------------------------------------------------


async def test_backfill_shows_in_the_activity_attendance_minutes_and_compliance(
    client: httpx.AsyncClient, factory: Factory, scene: Scene
) -> None:
    before = await counts(factory)
    activity = await backfill(client, scene.secretary, body_for(scene))
    m1, m2, m3, m4 = scene.members
    account_id = scene.secretary.account.id

    # The activity: ended, marked as a 补录 with who recorded it and when, never announced.
    assert activity["status"] == "ended"
    assert activity["source"] == "backfill"
    assert activity["recorded_by_account_id"] == account_id
    assert activity["recorded_at"] == shown(NOW)
    assert activity["published_at"] is None
    assert activity["expected_count"] == 5  # m1 … m4 and the secretary
    read = await client.get(f"{V1}/activities/{activity['id']}", headers=scene.secretary.headers)
    assert read.status_code == 200
    assert read.json() == activity

    # The attendance: the figures, and each row marked.
    roster = await client.get(
        f"{V1}/activities/{activity['id']}/attendance", headers=scene.secretary.headers
    )
    assert roster.status_code == 200, roster.text
    body = roster.json()
    assert body["closed"] is True
    summary = body["summary"]
    assert (summary["expected"], summary["present"], summary["late"]) == (5, 2, 1)
    assert (summary["excused"], summary["absent"], summary["pending"]) == (1, 2, 0)
    assert summary["rate"] == 0.4
    people = {person["member_id"]: person for person in body["people"]}
    assert {m: people[m]["state"] for m in people} == {
        m1.id: "present",
        m2.id: "late",
        m3.id: "excused",
        m4.id: "absent",
        scene.secretary.member.id: "absent",
    }
    present = people[m1.id]["attendance"]
    assert present["source"] == "backfill"
    assert present["method"] == "manual"
    assert present["manual_reason"] == REASON
    assert present["recorded_by_account_id"] == account_id
    assert present["recorded_at"] == shown(NOW)
    assert present["checked_in_at"] == shown(STARTS)
    assert people[m2.id]["attendance"]["manual_reason"] == "路上堵车，签到表上注明迟到"
    assert people[m3.id]["leave_status"] == "approved"
    assert people[m4.id]["attendance"] is None

    # The sign-in sheet says 补录 where a live 补签 says 补签.
    sheet = await client.get(
        f"{V1}/activities/{activity['id']}/sign-in-sheet.xlsx", headers=scene.secretary.headers
    )
    remarks = [str(cell) for row in sheet_rows(sheet) for cell in row if cell]
    assert f"补录：{REASON}" in remarks
    assert not any(remark.startswith("补签：") for remark in remarks)

    # The minutes.
    minutes = await client.get(
        f"{V1}/activities/{activity['id']}/minutes", headers=scene.secretary.headers
    )
    assert minutes.status_code == 200, minutes.text
    assert minutes.json()["content"] == "学习传达文件精神，讨论发展对象。"
    assert minutes.json()["decisions"] == "同意列为发展对象"
    assert minutes.json()["written_by"]["account_id"] == account_id
    assert minutes.json()["attendance"]["present"] == 2

    # The member's own record says it, too.
    mine = await client.get(
        f"{V1}/me/attendance?from=2026-10-01&to=2026-11-20", headers=scene.plain.headers
    )
    assert mine.status_code == 200, mine.text
    [line] = mine.json()["activities"]
    assert (line["activity_id"], line["state"]) == (activity["id"], "present")
    assert line["attendance"]["source"] == "backfill"

    # Compliance: 甲一支部 held one general meeting in Q4; 甲二支部 nothing.
    figures = await client.get(
        f"{V1}/oversight/compliance?org_id={scene.world.street_a.id}&period=2026-Q4",
        headers=scene.admin.headers,
    )
    assert figures.status_code == 200, figures.text
    items = {item["org_id"]: item for item in figures.json()["items"]}
    held = items[scene.world.branch_a1.id]
    assert held["held"]["branch_general_meeting"] == 1
    assert sum(held["held"].values()) == 1
    assert (held["hollow"], held["last_held_on"]) == (False, "2026-10-15")
    assert held["attendance_rate"] == 0.4
    assert items[scene.world.branch_a2.id]["hollow"] is True

    # Rows: one activity, 5 expected, 2 attendances, 1 leave, the minutes, one audit entry;
    # no event, no notification, no points.
    after = await counts(factory)
    assert {name: after[name] - before[name] for name in after} == {
        "activities": 1,
        "activity_expected": 5,
        "attendances": 2,
        "leave_requests": 1,
        "activity_minutes": 1,
        "audit_events": 1,
        "activity_events": 0,
        "notifications": 0,
        "point_entries": 0,
    }
    async with factory.runtime.sessionmaker() as session:
        audit = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "activity.backfill")
        )
    assert audit is not None
    assert (audit.actor_account_id, audit.object_id) == (account_id, activity["id"])
    assert audit.details["reason"] == REASON
    assert (audit.details["present"], audit.details["late"], audit.details["absent"]) == (1, 1, 2)


async def test_minutes_alone_count_as_held_and_live_activities_say_live(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    m1 = scene.members[0]
    activity = await backfill(
        client,
        scene.secretary,
        body_for(scene, type="party_lecture", attendance=[{"member_id": m1.id, "state": "absent"}]),
    )
    figures = await client.get(
        f"{V1}/oversight/compliance?org_id={scene.world.street_a.id}&period=2026-Q4",
        headers=scene.admin.headers,
    )
    items = {item["org_id"]: item for item in figures.json()["items"]}
    assert items[scene.world.branch_a1.id]["held"]["party_lecture"] == 1
    assert activity["source"] == "backfill"

    live = await client.post(
        f"{V1}/activities",
        json={
            "org_id": scene.world.branch_a1.id,
            "type": "themed_party_day",
            "title": "主题党日",
            "starts_at": (NOW + timedelta(days=1)).isoformat(),
            "ends_at": (NOW + timedelta(days=1, hours=2)).isoformat(),
        },
        headers=scene.secretary.headers,
    )
    assert live.status_code == 201, live.text
    assert (live.json()["source"], live.json()["recorded_by_account_id"]) == ("live", None)
    assert live.json()["recorded_at"] is None


async def test_a_committee_admin_above_may_backfill_and_the_edges_are_accepted(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    # Just a year back, and ended just as the check-in window (30 minutes) closed.
    ends = NOW - timedelta(minutes=30)
    activity = await backfill(
        client,
        scene.admin,
        body_for(
            scene, starts_at=(NOW - timedelta(days=365)).isoformat(), ends_at=ends.isoformat()
        ),
    )
    assert activity["recorded_by_account_id"] == scene.admin.account.id


async def test_a_party_group_meeting_expects_the_group(
    client: httpx.AsyncClient, factory: Factory, scene: Scene
) -> None:
    m1, m2, *_ = scene.members
    group = await client.post(
        f"{V1}/orgs/{scene.world.branch_a1.id}/party-groups",
        json={"name": "第一党小组"},
        headers=scene.secretary.headers,
    )
    assert group.status_code == 201, group.text
    added = await client.post(
        f"{V1}/orgs/{scene.world.branch_a1.id}/party-groups/{group.json()['id']}/members",
        json={"member_ids": [m1.id]},
        headers=scene.secretary.headers,
    )
    assert added.status_code in (200, 201, 204), added.text
    body = body_for(
        scene,
        type="party_group",
        party_group_id=group.json()["id"],
        attendance=[{"member_id": m1.id, "state": "present"}],
    )
    activity = await backfill(client, scene.secretary, body)
    assert activity["expected_count"] == 1
    before = await counts(factory)
    body["attendance"] = [{"member_id": m2.id, "state": "present"}]
    refused = await client.post(URL, json=body, headers=scene.secretary.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "activity.backfill_not_expected"
    assert await counts(factory) == before


# --- refusals: each changes nothing ---------------------------------------------------------


def _refusals() -> list[Any]:
    def case(name: str, code: str, change: Any) -> Any:
        return pytest.param(change, code, id=name)

    return [
        case(
            "ends in the future",
            "activity.backfill_not_past",
            lambda _: {
                "starts_at": (NOW - timedelta(hours=1)).isoformat(),
                "ends_at": (NOW + timedelta(hours=1)).isoformat(),
            },
        ),
        case(
            "check-in window still open",
            "activity.backfill_not_past",
            lambda _: {
                "starts_at": (NOW - timedelta(hours=2)).isoformat(),
                "ends_at": (NOW - timedelta(minutes=29)).isoformat(),
            },
        ),
        case(
            "starts after it ends",
            "activity.ends_before_start",
            lambda _: {"starts_at": ENDS.isoformat(), "ends_at": STARTS.isoformat()},
        ),
        case(
            "more than a year ago",
            "activity.backfill_too_old",
            lambda _: {
                "starts_at": (NOW - timedelta(days=365, seconds=1)).isoformat(),
                "ends_at": (NOW - timedelta(days=364)).isoformat(),
            },
        ),
        case(
            "a member twice",
            "activity.backfill_duplicate_member",
            lambda s: {
                "attendance": [
                    {"member_id": s.members[0].id, "state": "present"},
                    {"member_id": s.members[0].id, "state": "absent"},
                ]
            },
        ),
        case(
            "a member of another branch",
            "activity.backfill_not_expected",
            lambda s: {"attendance": [{"member_id": s.stranger.id, "state": "present"}]},
        ),
        case(
            "nobody came and no minutes",
            "activity.backfill_nothing_held",
            lambda s: {
                "attendance": [{"member_id": s.members[0].id, "state": "absent"}],
                "minutes": None,
            },
        ),
        case("unknown type", "validation_failed", lambda _: {"type": "tea_party"}),
        case(
            "leave without a reason",
            "validation_failed",
            lambda s: {"attendance": [{"member_id": s.members[0].id, "state": "leave"}]},
        ),
        case(
            "a 支委会 of a branch without a committee",
            "activity.no_branch_committee",
            lambda _: {"type": "branch_committee", "attendance": []},
        ),
    ]


@pytest.mark.parametrize(("change", "code"), _refusals())
async def test_refusals_change_nothing(
    client: httpx.AsyncClient, factory: Factory, scene: Scene, change: Any, code: str
) -> None:
    before = await counts(factory)
    response = await client.post(
        URL, json=body_for(scene, **change(scene)), headers=scene.secretary.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert await counts(factory) == before


async def test_publishing_an_ended_draft_is_still_refused(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    draft = await client.post(
        f"{V1}/activities",
        json={
            "org_id": scene.world.branch_a1.id,
            "type": "branch_general_meeting",
            "title": "十月支部党员大会",
            "starts_at": STARTS.isoformat(),
            "ends_at": ENDS.isoformat(),
        },
        headers=scene.secretary.headers,
    )
    assert draft.status_code == 201, draft.text
    published = await client.post(
        f"{V1}/activities/{draft.json()['id']}/publish", headers=scene.secretary.headers
    )
    assert published.status_code == 409
    assert published.json()["error"]["code"] == "activity.ended"


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_secretary", "other_admin"])
async def test_another_organizations_branch_is_not_found(
    client: httpx.AsyncClient, factory: Factory, scene: Scene, who: str
) -> None:
    before = await counts(factory)
    actor: Actor = getattr(scene, who)
    response = await client.post(URL, json=body_for(scene), headers=actor.headers)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "org.not_found"
    assert await counts(factory) == before


async def test_a_plain_member_may_not(
    client: httpx.AsyncClient, factory: Factory, scene: Scene
) -> None:
    before = await counts(factory)
    response = await client.post(URL, json=body_for(scene), headers=scene.plain.headers)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "auth.forbidden"
    assert await counts(factory) == before


async def test_the_list_tells_backfilled_from_live(client: httpx.AsyncClient, scene: Scene) -> None:
    recorded = await backfill(client, scene.secretary, body_for(scene))
    live = await client.post(
        f"{V1}/activities",
        json={
            "org_id": scene.world.branch_a1.id,
            "type": "themed_party_day",
            "title": "主题党日",
            "starts_at": (NOW + timedelta(days=1)).isoformat(),
            "ends_at": (NOW + timedelta(days=1, hours=2)).isoformat(),
        },
        headers=scene.secretary.headers,
    )
    assert live.status_code == 201, live.text

    async def listed(query: str) -> list[int]:
        response = await client.get(f"{V1}/activities{query}", headers=scene.secretary.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await listed("") == [recorded["id"], live.json()["id"]]
    assert await listed("?source=backfill") == [recorded["id"]]
    assert await listed("?source=live") == [live.json()["id"]]


async def test_a_backfilled_row_is_undone_like_a_manual_one_and_takes_no_points_back(
    client: httpx.AsyncClient, factory: Factory, scene: Scene
) -> None:
    m1 = scene.members[0]
    body = body_for(scene, minutes=None)
    activity = await backfill(client, scene.secretary, body)
    roster = await client.get(
        f"{V1}/activities/{activity['id']}/attendance", headers=scene.secretary.headers
    )
    [row] = [p["attendance"] for p in roster.json()["people"] if p["member_id"] == m1.id]
    undone = await client.post(
        f"{V1}/activities/{activity['id']}/attendances/{row['id']}/review",
        json={"decision": "reject", "reason": "核对纸质签到表，本人未到"},
        headers=scene.secretary.headers,
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["review_status"] == "rejected"
    assert undone.json()["source"] == "backfill"
    after = await client.get(
        f"{V1}/activities/{activity['id']}/attendance", headers=scene.secretary.headers
    )
    assert after.json()["summary"]["present"] == 1  # m2, late
    assert (await counts(factory))["point_entries"] == 0
