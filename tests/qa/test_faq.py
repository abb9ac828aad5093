"""The FAQ (issue 12, item 4): an instructor publishes a question with its accepted answer to
an organization's subtree (the asker's name nowhere in it), members see the entries of the
organizations above them, staff those of their scope; edits re-index, a withdrawal takes the
entry out of every list and search. Questions and answers are inserted as rows."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.kit.clock import FrozenClock
from app.models import FaqEntry, QaCategory, QaSearchEntry, Role, SearchKind
from tests.factories import Actor, Factory, World, build_world
from tests.qa.faq_helpers import add_faq, add_question, category_id

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
QA = "/api/v1/qa"
ASKER_NAME = "张三丰"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@dataclass
class Scene:
    app: FastAPI
    client: httpx.AsyncClient
    clock: FrozenClock
    world: World
    instructor: Actor  # instructor of street A, no membership of their own
    admin_b: Actor  # committee admin of street B
    secretary: Actor  # secretary of branch A1: no qa:answer
    asker: Actor  # branch A1
    member_a1: Actor  # branch A1
    member_a2: Actor  # branch A2
    commuter: Actor  # relation in branch A1, works at street B's social organization
    answered: int  # asked in A1, routed to street A, an accepted answer naming the asker
    unanswered: int  # asked in A1, an answer nobody accepted
    elsewhere: int  # asked in joint branch B, routed there, accepted answer

    async def call(self, method: str, url: str, actor: Actor, json: Any = None) -> httpx.Response:
        return await self.client.request(method, f"{QA}{url}", json=json, headers=actor.headers)

    async def publish(self, question_id: int, actor: Actor | None = None, **body: Any) -> Any:
        body.setdefault("org_id", self.world.street_a.id)
        url = f"/questions/{question_id}/faq"
        return await self.call("POST", url, actor or self.instructor, body)

    async def entries(self) -> list[FaqEntry]:
        async with self.app.state.runtime.sessionmaker() as session:
            return list((await session.scalars(select(FaqEntry).order_by(FaqEntry.id))).all())

    async def indexed(self, faq_id: int) -> QaSearchEntry | None:
        async with self.app.state.runtime.sessionmaker() as session:
            found: QaSearchEntry | None = await session.scalar(
                select(QaSearchEntry).where(
                    QaSearchEntry.kind == SearchKind.FAQ, QaSearchEntry.ref_id == faq_id
                )
            )
            return found


async def member_actor(factory: Factory, relation: Any, workplace: Any = None, **kw: Any) -> Actor:
    member = await factory.member(relation, workplace, **kw)
    account = await factory.account(member)
    return Actor(member=member, account=account, headers=factory.headers_for(account))


@pytest.fixture
async def scene(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> Scene:
    world = await build_world(factory)
    instructor = await factory.actor(Role.INSTRUCTOR, world.street_a)
    admin_b = await factory.actor(Role.COMMITTEE_ADMIN, world.street_b)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    asker = await member_actor(factory, world.branch_a1, name=ASKER_NAME)
    member_a1 = await member_actor(factory, world.branch_a1)
    member_a2 = await member_actor(factory, world.branch_a2)
    commuter = await member_actor(factory, world.branch_a1, world.social_b)
    answered = await add_question(
        app,
        asker_id=asker.member.id,
        org_id=world.branch_a1.id,
        routed_org_id=world.street_a.id,
        title="出国期间党费怎么交",
        body=f"我是{ASKER_NAME}，出国三个月，党费可以回来后补交吗？",
        answer=f"{ASKER_NAME}同志：可以，回国后一次补交，并向支部说明情况。",
    )
    unanswered = await add_question(
        app,
        asker_id=asker.member.id,
        org_id=world.branch_a1.id,
        routed_org_id=world.street_a.id,
        title="组织关系转接要多久",
        body="组织关系转到外省要多久？",
        answer="一般一个月内。",
        accepted=False,
    )
    outsider = await member_actor(factory, world.joint_b)
    elsewhere = await add_question(
        app,
        asker_id=outsider.member.id,
        org_id=world.joint_b.id,
        routed_org_id=world.joint_b.id,
        title="党费标准",
        body="乙街道的党费标准是多少？",
        answer="按乙街道规定。",
    )
    return Scene(
        app, client, clock, world, instructor, admin_b, secretary, asker, member_a1,
        member_a2, commuter, answered, unanswered, elsewhere,
    )  # fmt: skip


def code(response: httpx.Response) -> str:
    value: str = response.json()["error"]["code"]
    return value


# --- publishing ---------------------------------------------------------------------------


async def test_publish_takes_the_question_and_its_accepted_answer_without_the_askers_name(
    scene: Scene,
) -> None:
    response = await scene.publish(scene.answered)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {
        "id": body["id"],
        "org_id": scene.world.street_a.id,
        "category_id": await category_id(scene.app, "党费"),
        "category_name": "党费",
        "title": "出国期间党费怎么交",
        "question_text": "我是某党员，出国三个月，党费可以回来后补交吗？",
        "answer_text": "某党员同志：可以，回国后一次补交，并向支部说明情况。",
        "published_at": "2026-06-01T10:00:00+08:00",
        "updated_at": "2026-06-01T10:00:00+08:00",
        "managed": True,
        "question_id": scene.answered,
    }
    assert ASKER_NAME not in response.text
    [entry] = await scene.entries()
    assert (entry.id, entry.question_id, entry.withdrawn_at) == (body["id"], scene.answered, None)
    assert entry.published_by_account_id == scene.instructor.account.id
    indexed = await scene.indexed(entry.id)
    assert indexed is not None
    assert indexed.org_id == scene.world.street_a.id


async def test_the_publisher_may_edit_every_text_and_choose_the_category(scene: Scene) -> None:
    response = await scene.publish(
        scene.answered,
        org_id=scene.world.branch_a1.id,
        title="  出国党员的党费  ",
        question_text="党员出国期间，党费可以回国后补交吗？\n（据张三丰的提问整理）",
        answer_text="可以。\n回国后一次补交。",
        category_id=await category_id(scene.app, "其他"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["org_id"], body["title"], body["category_name"]) == (
        scene.world.branch_a1.id,
        "出国党员的党费",
        "其他",
    )
    assert body["question_text"] == "党员出国期间，党费可以回国后补交吗？\n（据某党员的提问整理）"
    assert body["answer_text"] == "可以。\n回国后一次补交。"


async def test_a_committees_own_category_only_below_it(scene: Scene) -> None:
    now = scene.clock.now()
    async with scene.app.state.runtime.sessionmaker.begin() as session:
        own = QaCategory(org_id=scene.world.street_a.id, name="甲街道专题", created_at=now)
        other = QaCategory(org_id=scene.world.street_b.id, name="乙街道专题", created_at=now)
        session.add_all([own, other])
        await session.flush()
        own_id, other_id = own.id, other.id
    refused = await scene.publish(scene.answered, category_id=other_id)
    assert (refused.status_code, code(refused)) == (404, "qa.category_not_found")
    published = await scene.publish(scene.answered, category_id=own_id)
    assert published.status_code == 201, published.text
    assert published.json()["category_name"] == "甲街道专题"


async def test_a_question_without_an_accepted_answer_is_refused(scene: Scene) -> None:
    response = await scene.publish(scene.unanswered)
    assert (response.status_code, code(response)) == (409, "qa.no_accepted_answer")
    assert await scene.entries() == []


async def test_what_lies_outside_the_publishers_scope_is_not_found(scene: Scene) -> None:
    other_question = await scene.publish(scene.elsewhere)
    assert (other_question.status_code, code(other_question)) == (404, "qa.question_not_found")
    other_org = await scene.publish(scene.answered, org_id=scene.world.street_b.id)
    assert (other_org.status_code, code(other_org)) == (404, "org.not_found")
    above = await scene.publish(scene.answered, org_id=scene.world.city.id)
    assert (above.status_code, code(above)) == (404, "org.not_found")
    missing = await scene.publish(999_999)
    assert (missing.status_code, code(missing)) == (404, "qa.question_not_found")
    # Street B's admin may publish to street B, but the question is street A's.
    admin = await scene.publish(scene.answered, scene.admin_b, org_id=scene.world.street_b.id)
    assert (admin.status_code, code(admin)) == (404, "qa.question_not_found")
    assert await scene.entries() == []


async def test_the_question_counts_in_scope_by_where_it_was_asked_too(scene: Scene) -> None:
    """A committee admin above the asker's branch, though the question is routed to the
    street's instructors (not to them)."""
    factory = Factory(scene.app)
    admin_a = await factory.actor(Role.COMMITTEE_ADMIN, scene.world.branch_a1)
    response = await scene.publish(scene.answered, admin_a, org_id=scene.world.branch_a1.id)
    assert response.status_code == 201, response.text


async def test_only_answerers_publish(scene: Scene) -> None:
    for actor in (scene.secretary, scene.asker):
        response = await scene.publish(scene.answered, actor)
        assert (response.status_code, code(response)) == (403, "auth.forbidden")
    assert await scene.entries() == []


async def test_a_question_goes_to_an_organizations_faq_once(scene: Scene) -> None:
    first = await scene.publish(scene.answered)
    assert first.status_code == 201, first.text
    again = await scene.publish(scene.answered)
    assert (again.status_code, code(again)) == (409, "qa.already_in_faq")
    assert again.json()["error"]["details"] == {"faq_id": first.json()["id"]}
    elsewhere = await scene.publish(scene.answered, org_id=scene.world.branch_a2.id)
    assert elsewhere.status_code == 201, elsewhere.text
    withdrawn = await scene.call("DELETE", f"/faq/{first.json()['id']}", scene.instructor)
    assert withdrawn.status_code == 204
    republished = await scene.publish(scene.answered)
    assert republished.status_code == 201, republished.text
    assert len(await scene.entries()) == 3


async def test_bad_bodies_are_refused_with_chinese_field_errors(scene: Scene) -> None:
    for body in (
        {},
        {"org_id": scene.world.street_a.id, "title": "   "},
        {"org_id": scene.world.street_a.id, "title": "长" * 101},
        {"org_id": scene.world.street_a.id, "answer_text": "答" * 5001},
        {"org_id": scene.world.street_a.id, "question_text": "a\x00b"},
        {"org_id": "1"},
        {"org_id": scene.world.street_a.id, "asker": "张三丰"},
    ):
        response = await scene.call(
            "POST", f"/questions/{scene.answered}/faq", scene.instructor, body
        )
        assert response.status_code == 422, (body, response.text)
        [field] = response.json()["error"]["details"]["fields"]
        assert any("\u4e00" <= char <= "\u9fff" for char in field["message"]), field
    assert await scene.entries() == []


@pytest.mark.postgres_only
async def test_racing_publications_of_one_question_leave_one_entry(scene: Scene) -> None:
    answers = await asyncio.gather(*(scene.publish(scene.answered) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert len(await scene.entries()) == 1


# --- reading ------------------------------------------------------------------------------


async def arrange_entries(scene: Scene) -> dict[str, int]:
    """An entry on each level: the city, street A, branches A1 and A2, joint branch B."""
    world = scene.world
    orgs = {
        "city": world.city,
        "street_a": world.street_a,
        "a1": world.branch_a1,
        "a2": world.branch_a2,
        "b": world.joint_b,
    }
    entries = {}
    for name, org in orgs.items():
        entries[name] = await add_faq(
            scene.app,
            org_id=org.id,
            title=f"{org.name}的常见问题",
            question_text="问题",
            answer_text="回答",
            category="学习" if name == "a1" else "党费",
        )
    return entries


async def listed(scene: Scene, actor: Actor, query: str = "") -> list[int]:
    response = await scene.call("GET", f"/faq{query}", actor)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_each_caller_sees_the_entries_of_the_organizations_above_them(
    scene: Scene,
) -> None:
    e = await arrange_entries(scene)
    newest_first = lambda *names: [e[n] for n in sorted(names, key=lambda n: -e[n])]  # noqa: E731
    assert await listed(scene, scene.member_a1) == newest_first("city", "street_a", "a1")
    assert await listed(scene, scene.member_a2) == newest_first("city", "street_a", "a2")
    # Their relation's tree and their workplace's.
    assert await listed(scene, scene.commuter) == newest_first("city", "street_a", "a1", "b")
    # Staff: their scope, and what the members they serve see above it.
    assert await listed(scene, scene.instructor) == newest_first("city", "street_a", "a1", "a2")
    assert await listed(scene, scene.admin_b) == newest_first("city", "b")


async def test_only_managers_see_the_source_question(scene: Scene) -> None:
    published = (await scene.publish(scene.answered, org_id=scene.world.branch_a1.id)).json()
    as_member = await scene.call("GET", f"/faq/{published['id']}", scene.member_a1)
    as_staff = await scene.call("GET", f"/faq/{published['id']}", scene.instructor)
    assert as_member.status_code == as_staff.status_code == 200
    assert (as_member.json()["managed"], as_member.json()["question_id"]) == (False, None)
    assert (as_staff.json()["managed"], as_staff.json()["question_id"]) == (True, scene.answered)
    assert {k: v for k, v in as_member.json().items() if k not in ("managed", "question_id")} == {
        k: v for k, v in published.items() if k not in ("managed", "question_id")
    }


async def test_the_list_filters_by_subtree_and_category_and_pages(scene: Scene) -> None:
    e = await arrange_entries(scene)
    street = scene.world.street_a.id
    assert await listed(scene, scene.member_a1, f"?org_id={street}") == [e["a1"], e["street_a"]]
    learning = await category_id(scene.app, "学习")
    assert await listed(scene, scene.member_a1, f"?category_id={learning}") == [e["a1"]]
    assert await listed(scene, scene.member_a1, "?category_id=999999") == []
    refused = await scene.call("GET", f"/faq?org_id={scene.world.street_b.id}", scene.member_a1)
    assert (refused.status_code, code(refused)) == (404, "org.not_found")
    # A branch below the staff's root, which they manage but do not belong under.
    a2 = scene.world.branch_a2.id
    assert await listed(scene, scene.instructor, f"?org_id={a2}") == [e["a2"]]

    first = await scene.call("GET", "/faq?limit=2", scene.member_a1)
    assert [i["id"] for i in first.json()["items"]] == [e["a1"], e["street_a"]]
    cursor = first.json()["next_cursor"]
    second = await scene.call("GET", f"/faq?limit=2&cursor={cursor}", scene.member_a1)
    assert [i["id"] for i in second.json()["items"]] == [e["city"]]
    assert second.json()["next_cursor"] is None


async def test_an_entry_the_caller_does_not_see_is_not_found(scene: Scene) -> None:
    e = await arrange_entries(scene)
    for actor, name in (
        (scene.member_a1, "a2"),
        (scene.member_a1, "b"),
        (scene.admin_b, "a1"),
        (scene.instructor, "b"),
    ):
        response = await scene.call("GET", f"/faq/{e[name]}", actor)
        assert (response.status_code, code(response)) == (404, "qa.faq_not_found"), (actor, name)
    seen = await scene.call("GET", f"/faq/{e['city']}", scene.member_a1)
    assert seen.status_code == 200
    assert seen.json()["title"] == "市社会组织综合党委的常见问题"


# --- editing and withdrawing -------------------------------------------------------------


async def test_an_edit_changes_the_texts_and_what_search_finds(scene: Scene) -> None:
    published = (await scene.publish(scene.answered)).json()
    scene.clock.advance(hours=1)
    response = await scene.call(
        "PATCH",
        f"/faq/{published['id']}",
        scene.instructor,
        {"title": "志愿服务时长", "answer_text": "张三丰说：按月记录。"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["answer_text"]) == ("志愿服务时长", "某党员说：按月记录。")
    assert body["question_text"] == published["question_text"]
    assert (body["published_at"], body["updated_at"]) == (
        "2026-06-01T10:00:00+08:00",
        "2026-06-01T11:00:00+08:00",
    )
    indexed = await scene.indexed(published["id"])
    assert indexed is not None
    assert "志愿" in indexed.tokens.split()
    found = await scene.call("GET", "/search?q=志愿服务", scene.member_a1)
    assert [i["id"] for i in found.json()["items"]] == [published["id"]]
    old = await scene.call("GET", "/search?q=回国", scene.member_a1)
    assert old.json()["items"] == []


async def test_an_empty_edit_changes_nothing(scene: Scene) -> None:
    published = (await scene.publish(scene.answered)).json()
    scene.clock.advance(hours=1)
    response = await scene.call("PATCH", f"/faq/{published['id']}", scene.instructor, {})
    assert response.status_code == 200, response.text
    assert response.json() == published


async def test_editing_takes_qa_answer_over_the_entry(scene: Scene) -> None:
    published = (await scene.publish(scene.answered)).json()
    url = f"/faq/{published['id']}"
    for actor, status, expected in (
        (scene.admin_b, 404, "qa.faq_not_found"),
        (scene.member_a1, 403, "auth.forbidden"),
    ):
        for method, body in (("PATCH", {"title": "越权"}), ("DELETE", None)):
            response = await scene.call(method, url, actor, body)
            assert (response.status_code, code(response)) == (status, expected)
    [entry] = await scene.entries()
    assert (entry.title, entry.withdrawn_at) == ("出国期间党费怎么交", None)


async def test_a_withdrawn_entry_leaves_lists_reads_and_search(scene: Scene) -> None:
    published = (await scene.publish(scene.answered)).json()
    url = f"/faq/{published['id']}"
    assert (await scene.call("GET", "/search?q=党费", scene.member_a1)).json()["items"] != []
    scene.clock.advance(minutes=5)
    withdrawn = await scene.call("DELETE", url, scene.instructor)
    assert withdrawn.status_code == 204
    [entry] = await scene.entries()
    assert entry.withdrawn_at == scene.clock.now()
    assert await scene.indexed(entry.id) is None
    for actor in (scene.member_a1, scene.instructor):
        assert await listed(scene, actor) == []
        gone = await scene.call("GET", url, actor)
        assert (gone.status_code, code(gone)) == (404, "qa.faq_not_found")
        found = await scene.call("GET", "/search?q=党费", actor)
        assert all(item["kind"] != "faq" for item in found.json()["items"])
    again = await scene.call("DELETE", url, scene.instructor)
    assert (again.status_code, code(again)) == (404, "qa.faq_not_found")
    edit = await scene.call("PATCH", url, scene.instructor, {"title": "复活"})
    assert (edit.status_code, code(edit)) == (404, "qa.faq_not_found")
    async with scene.app.state.runtime.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(FaqEntry))
    assert count == 1  # kept, withdrawn
