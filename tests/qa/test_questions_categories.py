"""What a committee decides for the questions of its subtree: its categories (shown after
everyone's, from the top of the tree down) and whether plain members may answer (the
nearest committee that set a value wins)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.models import QaCategory, QaSettings, Role
from tests.factories import Actor, Factory
from tests.qa.qa_scene import QA, Scene, build_scene, code, qa_settings

CATEGORIES = f"{QA}/categories"
EVERYONES = ["政策咨询", "组织关系", "党费", "学习", "其他"]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return qa_settings(database_url)


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Scene:
    return await build_scene(app, client, factory)


async def add(scene: Scene, actor: Actor, org_id: int, name: str) -> httpx.Response:
    return await scene.call("POST", CATEGORIES, actor, json={"org_id": org_id, "name": name})


async def names(scene: Scene, actor: Actor, query: str = "") -> list[str]:
    response = await scene.call("GET", f"{CATEGORIES}{query}", actor)
    assert response.status_code == 200, response.text
    return [c["name"] for c in response.json()]


async def test_everyone_sees_everyones_categories_then_their_committees_top_down(
    scene: Scene,
) -> None:
    city = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.city)
    street_b = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_b)
    created = await add(scene, scene.admin, scene.world.street_a.id, "社会组织年检")
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": created.json()["id"],
        "org_id": scene.world.street_a.id,
        "name": "社会组织年检",
        "position": 1,
    }
    assert (await add(scene, city, scene.world.city.id, "两新组织")).status_code == 201
    assert (await add(scene, scene.admin, scene.world.street_a.id, "流动党员")).status_code == 201
    assert (await add(scene, street_b, scene.world.street_b.id, "乙街专题")).status_code == 201

    expected = [*EVERYONES, "两新组织", "社会组织年检", "流动党员"]
    assert await names(scene, scene.asker) == expected
    assert await names(scene, scene.outsider) == [*EVERYONES, "两新组织", "乙街专题"]
    assert await names(scene, scene.admin, f"?org_id={scene.world.branch_a2.id}") == expected
    assert await names(scene, scene.asker, f"?org_id={scene.world.city.id}") == [
        *EVERYONES,
        "两新组织",
    ]
    staff = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)  # no relation
    assert await names(scene, staff) == EVERYONES


async def test_categories_of_an_organization_out_of_reach_are_not_found(scene: Scene) -> None:
    for actor, org in (
        (scene.asker, scene.world.branch_a2),  # a sibling branch is not theirs
        (scene.admin, scene.world.joint_b),
        (scene.instructor, scene.world.branch_a2),
    ):
        response = await scene.call("GET", f"{CATEGORIES}?org_id={org.id}", actor)
        assert (response.status_code, code(response)) == (404, "org.not_found")


async def test_a_committee_adds_categories_for_its_own_subtree_only(scene: Scene) -> None:
    elsewhere = await add(scene, scene.admin, scene.world.street_b.id, "越权分类")
    not_a_committee = await add(scene, scene.admin, scene.world.branch_a1.id, "支部分类")
    instructor = await add(scene, scene.instructor, scene.world.street_a.id, "指导员分类")

    assert (elsewhere.status_code, code(elsewhere)) == (404, "qa.committee_not_found")
    assert (not_a_committee.status_code, code(not_a_committee)) == (404, "qa.committee_not_found")
    assert (instructor.status_code, code(instructor)) == (403, "auth.forbidden")
    assert len(await scene.rows(QaCategory)) == len(EVERYONES)


async def test_a_name_already_open_at_the_committee_is_refused(scene: Scene) -> None:
    city = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.city)
    assert (await add(scene, city, scene.world.city.id, "两新组织")).status_code == 201
    assert (await add(scene, scene.admin, scene.world.street_a.id, "年检")).status_code == 201

    for name in ("党费", "两新组织", "年检"):
        refused = await add(scene, scene.admin, scene.world.street_a.id, name)
        assert (refused.status_code, code(refused)) == (409, "qa.category_exists")
    too_long = await add(scene, scene.admin, scene.world.street_a.id, "长" * 21)
    assert too_long.status_code == 422
    assert len(await scene.rows(QaCategory)) == len(EVERYONES) + 2


async def settings_of(scene: Scene, actor: Actor, org_id: int) -> dict[str, Any]:
    response = await scene.call("GET", f"{QA}/settings/{org_id}", actor)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def put(scene: Scene, actor: Actor, org_id: int, value: bool | None) -> httpx.Response:
    return await scene.call(
        "PUT", f"{QA}/settings/{org_id}", actor, json={"members_may_answer": value}
    )


async def test_the_nearest_committee_that_set_a_value_decides_for_its_subtree(
    scene: Scene,
) -> None:
    city = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.city)
    street = scene.world.street_a.id

    assert await settings_of(scene, scene.admin, street) == {
        "org_id": street,
        "members_may_answer": False,
        "own": None,
        "decided_by_org_id": None,
    }
    assert (await put(scene, city, scene.world.city.id, True)).status_code == 200
    assert await settings_of(scene, scene.admin, street) == {
        "org_id": street,
        "members_may_answer": True,
        "own": None,
        "decided_by_org_id": scene.world.city.id,
    }
    own = await put(scene, scene.admin, street, False)
    assert own.json() == {
        "org_id": street,
        "members_may_answer": False,
        "own": False,
        "decided_by_org_id": street,
    }
    [row] = await scene.rows(QaSettings, QaSettings.org_id == street)
    assert row.updated_by_account_id == scene.admin.account.id
    inherit = await put(scene, scene.admin, street, None)
    assert (inherit.json()["members_may_answer"], inherit.json()["own"]) == (True, None)


async def test_settings_are_a_committee_admins_of_their_own_subtree(scene: Scene) -> None:
    for actor, org_id, expected in (
        (scene.admin, scene.world.street_b.id, (404, "qa.committee_not_found")),
        (scene.admin, scene.world.branch_a1.id, (404, "qa.committee_not_found")),
        (scene.instructor, scene.world.street_a.id, (403, "auth.forbidden")),
    ):
        got = await scene.call("GET", f"{QA}/settings/{org_id}", actor)
        assert (got.status_code, code(got)) == expected
        response = await put(scene, actor, org_id, True)
        assert (response.status_code, code(response)) == expected
    assert await scene.rows(QaSettings) == []
