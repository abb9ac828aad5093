"""Finding a member by their whole phone or ID number: exact, masked, in scope, audited, and
never with the number in a URL."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.models import AuditEvent, Role
from tests.factories import Factory, build_world, unique_id_number

MEMBERS = "/api/v1/members"
LOOKUP = f"{MEMBERS}/lookup"
WHOLE_NUMBER = re.compile(r"(?<![\d*])(1\d{10}|\d{17}[\dX])(?![\d*])")


async def audit_rows(app: FastAPI) -> list[AuditEvent]:
    async with app.state.runtime.sessionmaker() as session:
        return list((await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all())


def masked(id_number: str) -> str:
    return id_number[:4] + "*" * 10 + id_number[-4:]


async def test_a_secretary_finds_exactly_the_member_by_phone_or_id_number_masked_and_audited(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    id_number, other_id = unique_id_number(), unique_id_number()
    wanted = await factory.member(
        world.branch_a1, name="张三", phone="13812345678", id_number=id_number
    )
    await factory.member(world.branch_a1, name="张四", phone="13812345679", id_number=other_id)

    by_phone = await client.post(LOOKUP, json={"phone": "13812345678"}, headers=secretary.headers)
    assert by_phone.status_code == 200, by_phone.text
    [item] = by_phone.json()["items"]
    assert (item["id"], item["name"], item["phone"], item["id_number"]) == (
        wanted.id,
        "张三",
        "138****5678",
        masked(id_number),
    )
    assert by_phone.json()["next_cursor"] is None

    # Lower-case check character and spaces around: the same number.
    by_id = await client.post(
        LOOKUP, json={"id_number": f" {id_number.lower()} "}, headers=secretary.headers
    )
    assert by_id.status_code == 200, by_id.text
    assert [m["id"] for m in by_id.json()["items"]] == [wanted.id]
    for response in (by_phone, by_id):
        assert not WHOLE_NUMBER.search(response.text), response.text

    nobody = await client.post(LOOKUP, json={"phone": "13900000000"}, headers=secretary.headers)
    assert nobody.json() == {"items": [], "next_cursor": None}

    events = await audit_rows(app)
    assert [(e.action, e.details["by"], e.details["found_member_ids"]) for e in events] == [
        ("member.search_sensitive", ["phone"], [wanted.id]),
        ("member.search_sensitive", ["id_number"], [wanted.id]),
        ("member.search_sensitive", ["phone"], []),
    ]
    first = events[0]
    assert (first.actor_account_id, first.object_type, first.object_id, first.org_id) == (
        secretary.account.id,
        "member",
        wanted.id,
        world.branch_a1.id,
    )
    assert first.request_id == by_phone.headers["x-request-id"]
    assert events[2].object_id is None
    for event in events:
        assert "13812345678" not in str(event.details)
        assert id_number not in str(event.details)


async def test_a_committee_admin_finds_a_member_of_their_street_by_id_number(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    id_number = unique_id_number()
    wanted = await factory.member(world.branch_a2, id_number=id_number)
    await factory.member(world.branch_a1, id_number=unique_id_number())
    found = await client.post(LOOKUP, json={"id_number": id_number}, headers=admin.headers)
    assert found.status_code == 200, found.text
    assert [m["id"] for m in found.json()["items"]] == [wanted.id]


async def test_a_sibling_branch_secretary_finds_nobody(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    sibling = await factory.actor(Role.SECRETARY, world.branch_a2)
    id_number = unique_id_number()
    await factory.member(world.branch_a1, phone="13812345678", id_number=id_number)

    for params in ({"phone": "13812345678"}, {"id_number": id_number}):
        response = await client.post(LOOKUP, json=params, headers=sibling.headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [], "next_cursor": None}


async def test_an_instructor_may_not_search_by_the_numbers_they_may_not_read(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    instructor = await factory.actor(Role.INSTRUCTOR, world.street_a)
    await factory.member(world.branch_a1, name="张三", phone="13812345678")

    refused = await client.post(LOOKUP, json={"phone": "13812345678"}, headers=instructor.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "auth.forbidden"
    assert await audit_rows(app) == []
    by_name = await client.get(MEMBERS, params={"q": "张三"}, headers=instructor.headers)
    assert by_name.status_code == 200
    assert [m["name"] for m in by_name.json()["items"]] == ["张三"]


async def test_malformed_numbers_are_refused(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    valid = unique_id_number()
    wrong_check = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    cases = [
        ({"phone": "1381234567"}, "phone", "phone.invalid"),
        ({"phone": "23812345678"}, "phone", "phone.invalid"),
        ({"id_number": wrong_check}, "id_number", "id_number.check_char"),
        ({"id_number": "1234"}, "id_number", "id_number.length"),
    ]
    for params, field, code in cases:
        response = await client.post(LOOKUP, json=params, headers=secretary.headers)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["error"]["code"] == "validation_failed"
        [problem] = response.json()["error"]["details"]["fields"]
        assert (problem["loc"], problem["code"]) == (["body", field], code), params
    assert await audit_rows(app) == []


async def test_a_lookup_names_a_number_and_the_roster_takes_none(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    empty = await client.post(LOOKUP, json={}, headers=secretary.headers)
    assert empty.status_code == 422
    [problem] = empty.json()["error"]["details"]["fields"]
    assert (problem["code"], problem["message"]) == (
        "member.lookup_number_required",
        "请填写手机号或身份证号",
    )
    # The roster no longer takes a number in its URL (and so searches by nothing of it).
    roster = await client.get(MEMBERS, params={"phone": "13812345678"}, headers=secretary.headers)
    assert roster.status_code == 200
    assert await audit_rows(app) == []
