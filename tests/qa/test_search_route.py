"""GET /api/v1/qa/search (issue 12, item 5) as the mini-program calls it: a member finds the
FAQ entries above them and their own questions, by a two-character word or a longer one,
never another member's question, a withdrawn entry or another street's; an instructor finds
the questions routed to them, with the asker of an anonymous one. Rows are inserted
directly (the question routes are another slice's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.kit.clock import FrozenClock
from app.models import Role
from app.qa.faq import snippet
from tests.factories import Actor, Factory, World, build_world
from tests.qa.faq_helpers import add_faq, add_question

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
SEARCH = "/api/v1/qa/search"
LONG_ANSWER = (
    "根据党员管理的有关规定，党员外出务工经商或者学习生活，应当向所在党支部报告去向和联系方式。"
    "流动党员应当主动与流入地党组织取得联系，参加组织生活，按照规定交纳党费；"
    "外出超过六个月的，可以持介绍信将组织关系转接到流入地，转接手续由支部办理。"
)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@dataclass
class Scene:
    client: httpx.AsyncClient
    world: World
    me: Actor  # branch A1
    other: Actor  # branch A1, asks anonymously
    instructor: Actor  # instructor of branch A1
    admin_a: Actor  # committee admin of street A, no membership
    ids: dict[str, int]

    async def search(self, actor: Actor, q: str, **params: Any) -> httpx.Response:
        return await self.client.get(SEARCH, params={"q": q, **params}, headers=actor.headers)

    async def found(self, actor: Actor, q: str) -> list[tuple[str, int]]:
        response = await self.search(actor, q)
        assert response.status_code == 200, response.text
        return [(item["kind"], item["id"]) for item in response.json()["items"]]

    def faq(self, *names: str) -> list[tuple[str, int]]:
        return [("faq", self.ids[name]) for name in names]

    def question(self, *names: str) -> list[tuple[str, int]]:
        return [("question", self.ids[name]) for name in names]


async def actor_in(factory: Factory, org: Any, name: str) -> Actor:
    member = await factory.member(org, name=name)
    account = await factory.account(member)
    return Actor(member=member, account=account, headers=factory.headers_for(account))


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Scene:
    world = await build_world(factory)
    me = await actor_in(factory, world.branch_a1, "李明")
    other = await actor_in(factory, world.branch_a1, "王芳")
    instructor = await factory.actor(Role.INSTRUCTOR, world.branch_a1)
    admin_a = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    city_admin = await factory.actor(Role.COMMITTEE_ADMIN, world.city)
    ids = {
        "dues": await add_faq(
            app,
            org_id=world.street_a.id,
            title="党费交纳标准",
            question_text="党费按什么标准交纳？",
            answer_text="按月收入的比例交纳，见党费交纳规定。",
        ),
        "transfer": await add_faq(
            app,
            org_id=world.branch_a1.id,
            title="流动党员组织关系转接办法",
            question_text="外出务工的党员，组织关系怎么办？",
            answer_text=LONG_ANSWER,
        ),
        "other_street": await add_faq(
            app,
            org_id=world.street_b.id,
            title="乙街道党费减免",
            question_text="困难党员的党费可以减免吗？",
            answer_text="经支部大会讨论，报乙街道工委批准。",
        ),
        "withdrawn": await add_faq(
            app,
            org_id=world.city.id,
            title="党费补交的旧规定",
            question_text="党费补交按旧规定办吗？",
            answer_text="已废止。",
        ),
        "mine": await add_question(
            app,
            asker_id=me.member.id,
            org_id=world.branch_a1.id,
            routed_org_id=world.branch_a1.id,
            title="出国期间党费",
            body="我出国三个月，党费可以回来后补交吗？",
        ),
        "anonymous": await add_question(
            app,
            asker_id=other.member.id,
            org_id=world.branch_a1.id,
            routed_org_id=world.branch_a1.id,
            title="党费交多了能退吗",
            body="上个月的党费多交了一百元。",
            anonymous=True,
        ),
        "routed_elsewhere": await add_question(
            app,
            asker_id=other.member.id,
            org_id=world.branch_a1.id,
            routed_org_id=world.street_b.id,
            title="党费转到乙街道",
            body="工作调动后党费交到哪里？",
        ),
    }
    withdrawn = await client.delete(
        f"/api/v1/qa/faq/{ids['withdrawn']}", headers=city_admin.headers
    )
    assert withdrawn.status_code == 204, withdrawn.text
    return Scene(client, world, me, other, instructor, admin_a, ids)


async def test_a_member_finds_the_faq_and_their_own_questions_by_a_two_character_word(
    scene: Scene,
) -> None:
    found = await scene.found(scene.me, "党费")
    # Not another member's question, not another street's entry, not the withdrawn one.
    assert set(found) == set(scene.faq("dues", "transfer") + scene.question("mine"))
    assert found[0] == ("faq", scene.ids["dues"])  # the word is in its title, twice in its text


async def test_a_two_character_word_of_a_longer_title_finds_it(scene: Scene) -> None:
    for word in ("转接", "关系", "流动", "组织关系转接", "流动党员"):
        assert await scene.found(scene.me, word) == scene.faq("transfer"), word


async def test_items_carry_what_the_list_shows(scene: Scene) -> None:
    response = await scene.search(scene.me, "回来后补交")
    assert response.json() == {
        "items": [
            {
                "kind": "question",
                "id": scene.ids["mine"],
                "title": "出国期间党费",
                "snippet": "我出国三个月，党费可以回来后补交吗？",
                "status": "open",
                "anonymous": False,
                "asker": {"member_id": scene.me.member.id, "name": "李明"},
            }
        ]
    }
    faq = (await scene.search(scene.me, "介绍信")).json()["items"]
    assert faq == [
        {
            "kind": "faq",
            "id": scene.ids["transfer"],
            "title": "流动党员组织关系转接办法",
            "snippet": faq[0]["snippet"],
            "status": None,
            "anonymous": None,
            "asker": None,
        }
    ]
    # From a little before the match in the answer, cut to 80 characters.
    assert faq[0]["snippet"].startswith("…")
    assert "介绍信" in faq[0]["snippet"]
    assert len(faq[0]["snippet"]) <= 82


async def test_an_instructor_finds_the_questions_routed_to_them_with_their_askers(
    scene: Scene,
) -> None:
    found = await scene.found(scene.instructor, "党费")
    assert set(found) == set(scene.faq("dues", "transfer") + scene.question("mine", "anonymous"))
    response = await scene.search(scene.instructor, "退")
    items = {item["id"]: item for item in response.json()["items"]}
    anonymous = items[scene.ids["anonymous"]]
    assert anonymous["anonymous"] is True
    assert anonymous["asker"] == {"member_id": scene.other.member.id, "name": "王芳"}
    # Routed to street B: not theirs, though asked in their branch.
    assert scene.ids["routed_elsewhere"] not in items


async def test_another_member_never_finds_an_anonymous_question(scene: Scene) -> None:
    assert await scene.found(scene.me, "多交") == []
    # Its asker does.
    assert await scene.found(scene.other, "多交") == scene.question("anonymous")


async def test_a_committee_admin_finds_their_subtrees_faq_and_routed_questions(
    scene: Scene,
) -> None:
    found = await scene.found(scene.admin_a, "党费")
    assert set(found) == set(scene.faq("dues", "transfer") + scene.question("mine", "anonymous"))


async def test_the_limit_keeps_the_best(scene: Scene) -> None:
    response = await scene.search(scene.me, "党费", limit=1)
    assert [(i["kind"], i["id"]) for i in response.json()["items"]] == scene.faq("dues")


async def test_a_query_of_no_words_finds_nothing(scene: Scene) -> None:
    assert await scene.found(scene.me, "& | !") == []
    assert await scene.found(scene.me, "房贷利率") == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "必填"),
        ({"q": ""}, "至少1个字符"),
        ({"q": "   "}, "至少1个字符"),
        ({"q": "党" * 51}, "最多50个字符"),
        ({"q": "党费\x00"}, "不能包含控制字符"),
        ({"q": "党费", "limit": "0"}, "应不小于1"),
        ({"q": "党费", "limit": "51"}, "应不大于50"),
        ({"q": "党费", "limit": "1.0"}, "应为整数"),
    ],
)
async def test_a_bad_query_is_a_422_with_a_chinese_field_error(
    scene: Scene, params: dict[str, str], expected: str
) -> None:
    response = await scene.client.get(SEARCH, params=params, headers=scene.me.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    [field] = error["details"]["fields"]
    assert field["message"] == expected


async def test_a_query_of_fifty_characters_is_taken(scene: Scene) -> None:
    response = await scene.search(scene.me, "党费" * 25)
    assert response.status_code == 200, response.text


async def test_search_needs_a_signed_in_caller(scene: Scene) -> None:
    response = await scene.client.get(SEARCH, params={"q": "党费"})
    assert response.status_code == 401


def test_a_snippet_starts_a_little_before_the_first_match() -> None:
    text = "甲" * 100 + "党费" + "乙" * 100
    cut = snippet([text], ["党费"])
    assert cut == "…" + "甲" * 20 + "党费" + "乙" * 58 + "…"
    assert snippet(["短文本，党费"], ["党费"]) == "短文本，党费"
    # Near the end: the last 80 characters.
    assert snippet(["甲" * 100 + "党费"], ["党费"]) == "…" + "甲" * 78 + "党费"
    # Found in the second text; none found: the first text's start; full-width matched.
    assert snippet(["没有", "这里有ＡＢＣ"], ["abc"]) == "这里有ＡＢＣ"
    assert snippet(["标题才有", "别处"], ["党费"]) == "标题才有"
    assert snippet(["第一行\n\n第二行  党费"], ["党费"]) == "第一行 第二行 党费"
