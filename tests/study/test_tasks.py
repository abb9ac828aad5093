"""Study tasks: assigned to news's audience, counted from study progress per organization,
exported as a sheet, reminded at most hourly, each member seeing only their own."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import select

from app.kit.clock import FrozenClock
from app.models import (
    Channel,
    Delivery,
    MaterialStatus,
    Notification,
    NotificationKind,
    PartyStatus,
    Role,
)
from app.seed.study_tasks import seed_demo_tasks
from tests.factories import Actor, Factory, World, build_world
from tests.study.task_helpers import add_material, add_progress

T0 = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
DUE = T0 + timedelta(days=7)
TASKS = "/api/v1/study/tasks"
MINE = "/api/v1/me/study-tasks"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@dataclass
class Scene:
    app: FastAPI
    client: httpx.AsyncClient
    clock: FrozenClock
    world: World
    admin: Actor  # committee admin of street A
    done: Actor  # branch A1, will complete
    halfway: Actor  # branch A1, one material of two
    idle: Actor  # branch A2, nothing
    activist: Actor  # branch A1, outside the default statuses
    outsider: Actor  # joint branch of street B
    materials: list[int]

    async def call(self, method: str, url: str, actor: Actor, **kw: Any) -> httpx.Response:
        return await self.client.request(method, url, headers=actor.headers, **kw)

    async def create(self, **fields: Any) -> dict[str, Any]:
        response = await self.call("POST", TASKS, self.admin, json=self.body(**fields))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def body(self, **fields: Any) -> dict[str, Any]:
        return {
            "title": "学习党章",
            "description": "第一章至第三章",
            "due_at": DUE.isoformat(),
            "material_ids": self.materials,
            "audience_org_ids": [self.world.branch_a1.id, self.world.branch_a2.id],
            **fields,
        }

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        async with self.app.state.runtime.sessionmaker() as session:
            return list((await session.scalars(select(model).where(*where))).all())


async def member_actor(factory: Factory, org: Any, status: PartyStatus, name: str) -> Actor:
    member = await factory.member(org, name=name, party_status=status)
    account = await factory.account(member)
    return Actor(member=member, account=account, headers=factory.headers_for(account))


@pytest.fixture
async def scene(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> Scene:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    full = PartyStatus.FULL_MEMBER
    done = await member_actor(factory, world.branch_a1, full, "张学完")
    halfway = await member_actor(factory, world.branch_a1, PartyStatus.PROBATIONARY, "李一半")
    idle = await member_actor(factory, world.branch_a2, full, "王未学")
    activist = await member_actor(factory, world.branch_a1, PartyStatus.ACTIVIST, "赵积极")
    outsider = await member_actor(factory, world.joint_b, full, "钱乙方")
    materials = [
        await add_material(app, world.street_a, "中国共产党章程"),
        await add_material(app, world.city, "党章学习辅导"),
    ]
    return Scene(
        app, client, clock, world, admin, done, halfway, idle, activist, outsider, materials
    )


async def studied(scene: Scene) -> None:
    """One member completes both materials, one completes the first and started nothing
    else, one never opens them; the activist completes both (outside the audience)."""
    first, second = scene.materials
    at = T0 + timedelta(hours=1)
    for material in (first, second):
        await add_progress(scene.app, scene.done.member.id, material, 500, completed_at=at)
        await add_progress(scene.app, scene.activist.member.id, material, 500, completed_at=at)
    await add_progress(scene.app, scene.halfway.member.id, first, 480, completed_at=at)
    await add_progress(scene.app, scene.halfway.member.id, second, 120)


def code(response: httpx.Response) -> str:
    value: str = response.json()["error"]["code"]
    return value


async def test_a_task_notifies_its_audience_and_members_outside_it_get_404(scene: Scene) -> None:
    task = await scene.create()
    assert task["audience_statuses"] == ["full_member", "probationary"]
    assert [m["id"] for m in task["materials"]] == scene.materials
    [notice] = await scene.rows(
        Notification, Notification.kind == NotificationKind.STUDY_TASK_ASSIGNED
    )
    assert notice.data["status"] == "待学习"
    assert notice.data["due_at"] == "2025-06-08T10:00:00+08:00"
    assert notice.page == f"pages/study/task?id={task['id']}"
    inboxes = await scene.rows(
        Delivery, Delivery.notification_id == notice.id, Delivery.channel == Channel.INBOX
    )
    expected = {scene.done.member.id, scene.halfway.member.id, scene.idle.member.id}
    assert {d.member_id for d in inboxes} == expected  # no activist, no one of street B

    mine = await scene.call("GET", MINE, scene.halfway)
    assert [t["id"] for t in mine.json()["items"]] == [task["id"]]
    for stranger in (scene.activist, scene.outsider):
        listed = await scene.call("GET", MINE, stranger)
        assert listed.json()["items"] == []
        one = await scene.call("GET", f"{MINE}/{task['id']}", stranger)
        assert one.status_code == 404
        assert code(one) == "study.task_not_found"


async def test_statuses_choose_who_is_in_the_audience(scene: Scene) -> None:
    task = await scene.create(audience_statuses=["activist"])
    seen = await scene.call("GET", f"{MINE}/{task['id']}", scene.activist)
    assert seen.status_code == 200
    assert (await scene.call("GET", f"{MINE}/{task['id']}", scene.done)).status_code == 404
    completion = (await scene.call("GET", f"{TASKS}/{task['id']}/completion", scene.admin)).json()
    assert completion["totals"]["audience"] == 1


async def test_materials_must_be_published_reachable_and_known(scene: Scene, app: FastAPI) -> None:
    draft = await add_material(app, scene.world.street_a, "草稿", status=MaterialStatus.DRAFT)
    branch_only = await add_material(app, scene.world.branch_a1, "甲一支部资料")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"material_ids": [scene.materials[0], draft]}, 422, "study.material_not_published"),
        ({"material_ids": [branch_only]}, 422, "study.material_out_of_reach"),
        ({"material_ids": [999_999]}, 404, "study.material_not_found"),
        ({"due_at": (T0 - timedelta(minutes=1)).isoformat()}, 422, "study.due_in_past"),
        ({"audience_org_ids": [scene.world.joint_b.id]}, 404, "org.not_found"),
    ]
    for fields, status, expected in cases:
        response = await scene.call("POST", TASKS, scene.admin, json=scene.body(**fields))
        assert (response.status_code, code(response)) == (status, expected), fields
    # A branch's own material is fine for that branch alone.
    alone = scene.body(material_ids=[branch_only], audience_org_ids=[scene.world.branch_a1.id])
    assert (await scene.call("POST", TASKS, scene.admin, json=alone)).status_code == 201
    assert await scene.rows(Notification) != []


async def test_completion_counts_per_organization_and_who_is_pending(scene: Scene) -> None:
    task = await scene.create()
    await studied(scene)
    response = await scene.call("GET", f"{TASKS}/{task['id']}/completion", scene.admin)
    assert response.status_code == 200
    figures = response.json()
    assert figures["totals"] == {
        "audience": 3,
        "completed": 1,
        "in_progress": 1,
        "not_started": 1,
        "completion_rate": 0.3333,
    }
    by_org = {o["name"]: o for o in figures["by_org"]}
    assert by_org["甲一支部"]["audience"] == 2
    assert by_org["甲一支部"]["completed"] == 1
    assert by_org["甲一支部"]["in_progress"] == 1
    assert by_org["甲二支部"]["not_started"] == 1

    pending = await scene.call("GET", f"{TASKS}/{task['id']}/completion/pending", scene.admin)
    items = pending.json()["items"]
    assert [
        (p["name"], p["org_name"], p["materials_done"], p["credited_seconds"]) for p in items
    ] == [
        ("李一半", "甲一支部", 1, 600),
        ("王未学", "甲二支部", 0, 0),
    ]
    assert items[0]["materials_total"] == 2
    assert items[0]["party_status"] == "probationary"
    assert [i["state"] for i in items] == ["in_progress", "not_started"]
    url = f"{TASKS}/{task['id']}/completion/pending?org_id={scene.world.branch_a2.id}&limit=1"
    only_a2 = (await scene.call("GET", url, scene.admin)).json()
    assert [p["name"] for p in only_a2["items"]] == ["王未学"]
    assert only_a2["next_cursor"] is None
    paged = await scene.call("GET", f"{TASKS}/{task['id']}/completion/pending?limit=1", scene.admin)
    cursor = paged.json()["next_cursor"]
    rest = await scene.call(
        "GET", f"{TASKS}/{task['id']}/completion/pending?limit=1&cursor={cursor}", scene.admin
    )
    assert [p["name"] for p in rest.json()["items"]] == ["王未学"]


async def test_members_see_their_progress_per_material(scene: Scene) -> None:
    task = await scene.create()
    await studied(scene)
    halfway = (await scene.call("GET", f"{MINE}/{task['id']}", scene.halfway)).json()
    assert halfway["completed"] is False
    assert [
        (m["credited_seconds"], m["required_seconds"], m["completed"]) for m in halfway["materials"]
    ] == [(480, 480, True), (120, 480, False)]
    done = (await scene.call("GET", f"{MINE}/{task['id']}", scene.done)).json()
    assert done["completed"] is True
    assert done["completed_at"] == "2025-06-01T11:00:00+08:00"


async def test_open_tasks_come_first_by_due_time_then_done_ones(scene: Scene) -> None:
    later = await scene.create(title="后截止", due_at=(DUE + timedelta(days=3)).isoformat())
    sooner = await scene.create(title="先截止")
    branch_material = await add_material(scene.app, scene.world.branch_a1, "已学资料")
    await add_progress(scene.app, scene.done.member.id, branch_material, 500, completed_at=T0)
    finished = await scene.create(
        title="已完成", material_ids=[branch_material], audience_org_ids=[scene.world.branch_a1.id]
    )
    cancelled = await scene.create(title="已取消")
    assert (
        await scene.call("POST", f"{TASKS}/{cancelled['id']}/cancel", scene.admin)
    ).status_code == 200
    first = await scene.call("GET", f"{MINE}?limit=2", scene.done)
    rest = await scene.call(
        "GET", f"{MINE}?limit=2&cursor={first.json()['next_cursor']}", scene.done
    )
    titles = [t["title"] for t in first.json()["items"] + rest.json()["items"]]
    assert titles == [sooner["title"], later["title"], finished["title"]]
    assert rest.json()["next_cursor"] is None


async def test_the_completion_sheet_has_one_row_per_member(scene: Scene) -> None:
    task = await scene.create()
    await studied(scene)
    scene.clock.advance(seconds=3600)
    response = await scene.call("GET", f"{TASKS}/{task['id']}/completion.xlsx", scene.admin)
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    lines = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert lines[0] == ["学习党章 完成情况"]
    assert lines[1] == ["组织：甲一支部、甲二支部"]
    assert lines[2] == ["截止时间：2025-06-08 10:00"]
    assert lines[3] == ["资料：中国共产党章程、党章学习辅导"]
    assert lines[4] == ["生成时间：2025-06-01 11:00"]  # Beijing time, +08:00
    assert lines[5] == [
        "序号",
        "姓名",
        "组织",
        "政治面貌",
        "已完成资料",
        "学习时长（分钟）",
        "状态",
        "完成时间",
    ]
    assert lines[6:] == [
        [1, "张学完", "甲一支部", "正式党员", "2/2", 16.7, "已完成", "2025-06-01 11:00"],
        [2, "李一半", "甲一支部", "预备党员", "1/2", 10, "学习中"],
        [3, "王未学", "甲二支部", "正式党员", "0/2", 0, "未开始"],
    ]


async def test_reminders_go_only_to_who_has_not_completed_at_most_hourly(scene: Scene) -> None:
    task = await scene.create()
    await studied(scene)
    url = f"{TASKS}/{task['id']}/reminders"
    first = await scene.call("POST", url, scene.admin)
    assert first.status_code == 200, first.text
    assert first.json() == {"reminded": 2}
    [notice] = await scene.rows(
        Notification, Notification.kind == NotificationKind.STUDY_TASK_REMINDER
    )
    assert notice.data["status"] == "未完成"
    inboxes = await scene.rows(
        Delivery, Delivery.notification_id == notice.id, Delivery.channel == Channel.INBOX
    )
    assert {d.member_id for d in inboxes} == {scene.halfway.member.id, scene.idle.member.id}

    scene.clock.advance(seconds=3599)
    again = await scene.call("POST", url, scene.admin)
    assert again.status_code == 429
    assert code(again) == "study.reminded_recently"
    assert again.headers["retry-after"] == "1"
    scene.clock.advance(seconds=1)
    assert (await scene.call("POST", url, scene.admin)).status_code == 200
    assert (
        len(
            await scene.rows(
                Notification, Notification.kind == NotificationKind.STUDY_TASK_REMINDER
            )
        )
        == 2
    )

    scene.clock.advance(seconds=(DUE - scene.clock.now()).total_seconds())
    late = await scene.call("POST", url, scene.admin)
    assert (late.status_code, code(late)) == (409, "study.task_overdue")


async def test_a_cancelled_task_is_not_reminded_nor_changed(scene: Scene) -> None:
    task = await scene.create()
    cancelled = await scene.call("POST", f"{TASKS}/{task['id']}/cancel", scene.admin)
    assert cancelled.json()["cancelled_at"] == "2025-06-01T10:00:00+08:00"
    for method, url, body in (
        ("POST", f"{TASKS}/{task['id']}/reminders", None),
        ("POST", f"{TASKS}/{task['id']}/cancel", None),
        ("PATCH", f"{TASKS}/{task['id']}", {"title": "改名"}),
    ):
        response = await scene.call(method, url, scene.admin, json=body)
        assert (response.status_code, code(response)) == (409, "study.task_cancelled")
    assert (await scene.call("GET", MINE, scene.done)).json()["items"] == []


async def test_materials_and_audience_are_fixed_once_someone_studied(scene: Scene) -> None:
    task = await scene.create()
    url = f"{TASKS}/{task['id']}"
    changed = await scene.call(
        "PATCH",
        url,
        scene.admin,
        json={"title": "学习新党章", "material_ids": [scene.materials[0]], "description": None},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "学习新党章"
    assert changed.json()["description"] is None
    assert [m["id"] for m in changed.json()["materials"]] == [scene.materials[0]]
    await add_progress(scene.app, scene.idle.member.id, scene.materials[0], 60)
    refused = await scene.call(
        "PATCH", url, scene.admin, json={"audience_org_ids": [scene.world.branch_a1.id]}
    )
    assert (refused.status_code, code(refused)) == (409, "study.task_started")
    moved = await scene.call(
        "PATCH", url, scene.admin, json={"due_at": (DUE + timedelta(days=1)).isoformat()}
    )
    assert moved.json()["due_at"] == "2025-06-09T10:00:00+08:00"
    past = await scene.call("PATCH", url, scene.admin, json={"due_at": T0.isoformat()})
    assert (past.status_code, code(past)) == (422, "study.due_in_past")


async def test_another_committees_task_is_not_found(scene: Scene, factory: Factory) -> None:
    task = await scene.create(org_id=scene.world.street_a.id)
    other = await factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_b)
    for suffix in ("", "/completion", "/completion/pending", "/completion.xlsx"):
        response = await scene.call("GET", f"{TASKS}/{task['id']}{suffix}", other)
        assert (response.status_code, code(response)) == (404, "study.task_not_found"), suffix
    assert (await scene.call("GET", TASKS, other)).json()["items"] == []
    own = await scene.call("GET", TASKS, scene.admin)
    assert [t["id"] for t in own.json()["items"]] == [task["id"]]
    secretary = await factory.actor(Role.SECRETARY, scene.world.branch_a1)
    # A branch secretary cannot assign to the street, nor see the street's task.
    refused = await scene.call(
        "POST", TASKS, secretary, json=scene.body(audience_org_ids=[scene.world.street_a.id])
    )
    assert (refused.status_code, code(refused)) == (404, "org.not_found")
    assert (await scene.call("GET", f"{TASKS}/{task['id']}", secretary)).status_code == 404
    member = await scene.call("GET", TASKS, scene.done)
    assert member.status_code == 403


async def test_the_demo_task_assigns_the_published_materials_open_to_the_branch(
    scene: Scene, app: FastAPI
) -> None:
    branch = scene.world.branch_a1
    runtime = app.state.runtime
    await add_material(app, scene.world.branch_a2, "别的支部资料")
    await add_material(app, branch, "草稿", status=MaterialStatus.DRAFT)
    async with runtime.sessionmaker.begin() as session:
        task = await seed_demo_tasks(session, runtime.settings, branch, now=T0)
    assert task is not None
    async with runtime.sessionmaker.begin() as session:
        assert await seed_demo_tasks(session, runtime.settings, branch, now=T0) is None
    mine = (await scene.call("GET", f"{MINE}/{task.id}", scene.done)).json()
    assert [m["title"] for m in mine["materials"]] == ["中国共产党章程", "党章学习辅导"]
    assert await scene.rows(Notification) == []  # the demo announces nothing


async def test_without_published_materials_the_demo_adds_no_task(
    app: FastAPI, factory: Factory
) -> None:
    world = await build_world(factory)
    runtime = app.state.runtime
    async with runtime.sessionmaker.begin() as session:
        assert await seed_demo_tasks(session, runtime.settings, world.branch_a1, now=T0) is None
