"""Members: scope, search, changes, identifiers, masking and audited sensitive reads."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.kit.clock import FrozenClock
from app.kit.identifiers import make_id_number
from app.models import AuditEvent, Member, PartyStatus, Role
from tests.factories import Factory, World, build_world, unique_id_number

MEMBERS = "/api/v1/members"
ID_CONTEXT = b"members.id_number"
ID_NUMBER_PATTERN = re.compile(r"\d{17}[\dX]")
PHONE_PATTERN = re.compile(r"1\d{10}")


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


@pytest.fixture
async def responses(client: httpx.AsyncClient) -> AsyncIterator[list[httpx.Response]]:
    """Every response this test's client receives, to scan for unmasked personal data."""
    seen: list[httpx.Response] = []

    async def record(response: httpx.Response) -> None:
        await response.aread()
        seen.append(response)

    client.event_hooks["response"].append(record)
    yield seen
    client.event_hooks["response"].remove(record)


def assert_nothing_unmasked(responses: list[httpx.Response]) -> None:
    assert responses
    for response in responses:
        if response.request.url.path.endswith("/sensitive"):
            continue
        assert not ID_NUMBER_PATTERN.search(response.text), (response.request.url, response.text)
        assert not PHONE_PATTERN.search(response.text), (response.request.url, response.text)


async def member_row(app: FastAPI, member_id: int) -> Member | None:
    async with app.state.runtime.sessionmaker() as session:
        return await session.get(Member, member_id)


async def all_members(app: FastAPI) -> list[tuple[Any, ...]]:
    async with app.state.runtime.sessionmaker() as session:
        rows = (await session.execute(select(Member.__table__).order_by(Member.id))).all()
    return [tuple(row) for row in rows]


async def audit_rows(app: FastAPI) -> list[AuditEvent]:
    async with app.state.runtime.sessionmaker() as session:
        return list((await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all())


async def list_ids(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> set[int]:
    response = await client.get(MEMBERS, params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


class People:
    def __init__(self, factory: Factory, world: World) -> None:
        self.factory = factory
        self.world = world

    async def arrange(self) -> None:
        w, f = self.world, self.factory
        self.a1 = await f.member(w.branch_a1, name="张三")
        self.a1_probationary = await f.member(
            w.branch_a1, name="张小三", party_status=PartyStatus.PROBATIONARY
        )
        self.a2 = await f.member(w.branch_a2, name="李四")
        self.b = await f.member(w.joint_b, name="王五")
        # 流动党员: the membership is held in street B, the workplace sits under branch A1.
        self.mobile = await f.member(w.joint_b, w.social_a1, name="赵六", is_mobile=True)
        # Working at a social org of branch A2, with no relation in this system.
        self.worker_a2 = await f.member(None, w.social_a2, name="钱七")


async def test_secretary_sees_own_branch_and_mobile_members_working_under_it(
    client: httpx.AsyncClient, factory: Factory, responses: list[httpx.Response]
) -> None:
    world = await build_world(factory)
    people = People(factory, world)
    await people.arrange()
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)

    seen = await list_ids(client, secretary.headers)
    assert seen == {secretary.member.id, people.a1.id, people.a1_probationary.id, people.mobile.id}
    mobile = await client.get(f"{MEMBERS}/{people.mobile.id}", headers=secretary.headers)
    assert mobile.status_code == 200
    assert mobile.json()["is_mobile"] is True
    assert mobile.json()["workplace_org_id"] == world.social_a1.id

    # The mobile member is seen by the branch of their relation too.
    joint_secretary = await factory.actor(Role.SECRETARY, world.joint_b)
    assert await list_ids(client, joint_secretary.headers) == {
        joint_secretary.member.id,
        people.b.id,
        people.mobile.id,
    }
    assert_nothing_unmasked(responses)


async def test_street_admin_sees_the_whole_street(
    client: httpx.AsyncClient, factory: Factory, responses: list[httpx.Response]
) -> None:
    world = await build_world(factory)
    people = People(factory, world)
    await people.arrange()
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    instructor = await factory.actor(Role.INSTRUCTOR, world.street_a)

    expected = {
        people.a1.id,
        people.a1_probationary.id,
        people.a2.id,
        people.mobile.id,
        people.worker_a2.id,
    }
    assert await list_ids(client, admin.headers) == expected
    assert await list_ids(client, instructor.headers) == expected

    system = await factory.actor(Role.SYSTEM_ADMIN, None)
    assert await list_ids(client, system.headers) >= expected | {people.b.id}
    assert_nothing_unmasked(responses)


async def test_sibling_members_are_not_found_and_untouched(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, responses: list[httpx.Response]
) -> None:
    world = await build_world(factory)
    people = People(factory, world)
    await people.arrange()
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    before = await all_members(app)

    attempts = [
        (secretary, people.a2),
        (secretary, people.worker_a2),
        (secretary, people.b),
        (admin, people.b),
    ]
    for actor, victim in attempts:
        for response in (
            await client.get(f"{MEMBERS}/{victim.id}", headers=actor.headers),
            await client.get(f"{MEMBERS}/{victim.id}/sensitive", headers=actor.headers),
            await client.patch(
                f"{MEMBERS}/{victim.id}",
                json={"name": "被改名", "party_status": "masses", "phone": "13900000000"},
                headers=actor.headers,
            ),
            await client.post(
                f"{MEMBERS}/{victim.id}/departure",
                json={"reason": "transferred_out", "left_on": "2025-01-01"},
                headers=actor.headers,
            ),
        ):
            assert response.status_code == 404, response.text
            assert error_code(response) == "member.not_found"
            assert response.json()["error"]["message"] == "党员不存在"

    missing = await client.get(f"{MEMBERS}/999999", headers=admin.headers)
    assert missing.status_code == 404
    assert await all_members(app) == before
    assert await audit_rows(app) == []
    assert_nothing_unmasked(responses)


async def test_search_by_name_org_subtree_and_status(
    client: httpx.AsyncClient, factory: Factory, responses: list[httpx.Response]
) -> None:
    world = await build_world(factory)
    people = People(factory, world)
    await people.arrange()
    percent = await factory.member(world.branch_a1, name="百分之100%")
    underscore = await factory.member(world.branch_a2, name="下_划线")
    lookalike = await factory.member(world.branch_a2, name="下x划线")
    plain = await factory.member(world.branch_a1, name="百分之100")
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    h = admin.headers

    assert await list_ids(client, h, q="张") == {people.a1.id, people.a1_probationary.id}
    assert await list_ids(client, h, q="小三") == {people.a1_probationary.id}
    assert await list_ids(client, h, q="王五") == set()  # outside scope
    assert await list_ids(client, h, q="%") == {percent.id}
    assert await list_ids(client, h, q="_") == {underscore.id}
    assert await list_ids(client, h, q="下_") == {underscore.id}

    assert await list_ids(client, h, q="100") == {percent.id, plain.id}
    assert await list_ids(client, h, org_id=world.branch_a2.id) == {
        people.a2.id,
        people.worker_a2.id,
        underscore.id,
        lookalike.id,
    }
    assert await list_ids(client, h, org_id=world.social_a1.id) == {people.mobile.id}
    assert await list_ids(client, h, org_id=world.social_a2.id) == {people.worker_a2.id}
    assert await list_ids(
        client, h, org_id=world.branch_a1.id, party_status=PartyStatus.PROBATIONARY
    ) == {people.a1_probationary.id}
    assert await list_ids(client, h, party_status=PartyStatus.PROBATIONARY) == {
        people.a1_probationary.id
    }
    assert await list_ids(client, h, party_status="activist") == set()

    outside = await client.get(MEMBERS, params={"org_id": world.joint_b.id}, headers=h)
    assert outside.status_code == 404
    assert error_code(outside) == "org.not_found"
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    sibling = await client.get(
        MEMBERS, params={"org_id": world.branch_a2.id}, headers=secretary.headers
    )
    assert sibling.status_code == 404
    assert error_code(sibling) == "org.not_found"
    assert_nothing_unmasked(responses)


async def test_cursor_pagination_walks_every_member_once(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    for n in range(7):
        await factory.member(world.branch_a1, name=f"分页党员{n}", phone=f"1380000{n:04d}")
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    expected = sorted(await list_ids(client, admin.headers))
    assert len(expected) == 7

    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        page = await client.get(MEMBERS, params=params, headers=admin.headers)
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) <= 2
        seen.extend(item["id"] for item in page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == expected

    narrowed = await client.get(
        MEMBERS, params={"limit": 2, "q": "分页党员6"}, headers=admin.headers
    )
    assert len(narrowed.json()["items"]) == 1
    assert narrowed.json()["next_cursor"] is None

    bad = await client.get(MEMBERS, params={"cursor": "!!"}, headers=admin.headers)
    assert bad.status_code == 422
    assert error_code(bad) == "pagination.invalid_cursor"


async def test_create_patch_and_depart(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, responses: list[httpx.Response]
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    id_number = make_id_number("320102", date(1990, 3, 7), 123)

    created = await client.post(
        MEMBERS,
        json={
            "name": " 孙八 ",
            "party_status": "full_member",
            "gender": "female",
            "phone": "13812345678",
            "id_number": id_number,
            "joined_party_on": "2015-07-01",
            "relation_org_id": world.branch_a1.id,
            "workplace_org_id": world.social_a1.id,
        },
        headers=secretary.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "孙八"
    assert body["gender"] == "female"
    assert body["phone"] == "138****5678"
    assert body["id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]
    assert body["birth_date"] == "1990-03-07"  # read from the ID number
    assert body["joined_party_on"] == "2015-07-01"
    assert body["relation_org_id"] == world.branch_a1.id
    assert body["workplace_org_id"] == world.social_a1.id
    assert body["is_mobile"] is False
    assert body["is_lost_contact"] is False
    assert body["has_account"] is False

    row = await member_row(app, body["id"])
    assert row is not None
    assert row.name == "孙八"
    assert row.phone == "13812345678"
    assert row.birth_date == date(1990, 3, 7)
    assert row.id_number_cipher is not None
    assert id_number.encode() not in row.id_number_cipher
    assert app.state.runtime.cipher.decrypt(row.id_number_cipher, context=ID_CONTEXT) == id_number
    assert row.id_number_hash == app.state.runtime.cipher.lookup_hash(id_number)
    assert id_number not in (row.id_number_hash or "")
    assert row.id_number_masked == body["id_number"]

    got = await client.get(f"{MEMBERS}/{body['id']}", headers=secretary.headers)
    assert got.json() == body

    patched = await client.patch(
        f"{MEMBERS}/{body['id']}",
        json={
            "name": "孙八妹",
            "party_status": "probationary",
            "phone": "13987654321",
            "is_lost_contact": True,
        },
        headers=secretary.headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "孙八妹"
    assert patched.json()["party_status"] == "probationary"
    assert patched.json()["phone"] == "139****4321"
    assert patched.json()["is_lost_contact"] is True
    assert patched.json()["id_number"] == body["id_number"]  # untouched
    row = await member_row(app, body["id"])
    assert row is not None
    assert row.phone == "13987654321"
    assert row.name == "孙八妹"

    # Null for a required field leaves it; null for an optional one clears it.
    cleared = await client.patch(
        f"{MEMBERS}/{body['id']}",
        json={"name": None, "phone": None, "workplace_org_id": None},
        headers=secretary.headers,
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["name"] == "孙八妹"
    assert cleared.json()["phone"] is None
    assert cleared.json()["workplace_org_id"] is None

    new_id = make_id_number("320102", date(1990, 3, 7), 456)
    replaced = await client.patch(
        f"{MEMBERS}/{body['id']}", json={"id_number": new_id}, headers=secretary.headers
    )
    assert replaced.status_code == 200, replaced.text
    row = await member_row(app, body["id"])
    assert row is not None
    assert row.id_number_cipher is not None
    assert app.state.runtime.cipher.decrypt(row.id_number_cipher, context=ID_CONTEXT) == new_id

    # A member is not deleted: they leave, and the record stays readable.
    assert body["departure"] is None
    departed = await client.post(
        f"{MEMBERS}/{body['id']}/departure",
        json={"reason": "withdrew", "left_on": "2025-01-01"},
        headers=secretary.headers,
    )
    assert departed.status_code == 200, departed.text
    assert departed.json()["departure"]["reason_label"] == "退党"
    assert await member_row(app, body["id"]) is not None
    kept = await client.get(f"{MEMBERS}/{body['id']}", headers=secretary.headers)
    assert kept.status_code == 200
    assert kept.json()["departure"]["left_on"] == "2025-01-01"
    assert_nothing_unmasked(responses)


async def test_times_come_from_the_clock(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    created_at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    app.state.runtime.clock = clock = FrozenClock(created_at)

    created = await client.post(
        MEMBERS,
        json={"name": "周九", "party_status": "full_member", "relation_org_id": world.branch_a1.id},
        headers=secretary.headers,
    )
    assert created.status_code == 201, created.text
    member_id = created.json()["id"]
    assert datetime.fromisoformat(created.json()["created_at"]) == created_at
    assert datetime.fromisoformat(created.json()["updated_at"]) == created_at

    clock.advance(days=1)
    same = await client.patch(
        f"{MEMBERS}/{member_id}", json={"name": "周九"}, headers=secretary.headers
    )
    assert datetime.fromisoformat(same.json()["updated_at"]) == created_at  # nothing changed
    changed = await client.patch(
        f"{MEMBERS}/{member_id}", json={"is_mobile": True}, headers=secretary.headers
    )
    assert datetime.fromisoformat(changed.json()["created_at"]) == created_at
    assert datetime.fromisoformat(changed.json()["updated_at"]) == clock.now()

    clock.advance(hours=1)
    read = await client.get(f"{MEMBERS}/{member_id}/sensitive", headers=secretary.headers)
    assert read.status_code == 200, read.text
    [event] = await audit_rows(app)
    assert event.created_at == clock.now()


async def test_birth_date_and_id_number_must_agree(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, responses: list[httpx.Response]
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    id_number = make_id_number("320102", date(1990, 3, 7), 321)
    before = await all_members(app)

    mismatch = await client.post(
        MEMBERS,
        json={
            "name": "生日不符",
            "party_status": "full_member",
            "id_number": id_number,
            "birth_date": "1990-03-08",
            "relation_org_id": world.branch_a1.id,
        },
        headers=secretary.headers,
    )
    assert mismatch.status_code == 422
    assert error_code(mismatch) == "member.birth_date_mismatch"
    assert mismatch.json()["error"]["message"] == "出生日期与身份证号码不一致"
    assert await all_members(app) == before

    matching = await client.post(
        MEMBERS,
        json={
            "name": "生日相符",
            "party_status": "full_member",
            "id_number": id_number,
            "birth_date": "1990-03-07",
            "relation_org_id": world.branch_a1.id,
        },
        headers=secretary.headers,
    )
    assert matching.status_code == 201, matching.text
    member_id = matching.json()["id"]

    # A new birth date alone is checked against the ID number on file.
    moved_birthday = await client.patch(
        f"{MEMBERS}/{member_id}", json={"birth_date": "1991-03-07"}, headers=secretary.headers
    )
    assert moved_birthday.status_code == 422
    assert error_code(moved_birthday) == "member.birth_date_mismatch"
    row = await member_row(app, member_id)
    assert row is not None
    assert row.birth_date == date(1990, 3, 7)

    # An ID number whose birth date lies in the future is refused, typed or derived.
    future = make_id_number("320102", date(2090, 1, 1), 1)
    unborn = await client.post(
        MEMBERS,
        json={
            "name": "未出生",
            "party_status": "masses",
            "id_number": future,
            "relation_org_id": world.branch_a1.id,
        },
        headers=secretary.headers,
    )
    assert unborn.status_code == 422
    assert error_code(unborn) == "member.birth_date_future"

    joined_before_birth = await client.post(
        MEMBERS,
        json={
            "name": "先入党后出生",
            "party_status": "full_member",
            "id_number": make_id_number("320102", date(1990, 3, 7), 9),
            "joined_party_on": "1980-07-01",
            "relation_org_id": world.branch_a1.id,
        },
        headers=secretary.headers,
    )
    assert joined_before_birth.status_code == 422
    assert error_code(joined_before_birth) == "member.joined_before_birth"
    assert_nothing_unmasked(responses)


async def test_relation_and_workplace_kinds(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    before = await all_members(app)

    def body(**orgs: int | None) -> dict[str, Any]:
        return {"name": "组织校验", "party_status": "full_member", **orgs}

    cases = [
        (body(relation_org_id=world.street_a.id), 422, "member.relation_not_branch"),
        (body(relation_org_id=world.social_a1.id), 422, "member.relation_not_branch"),
        (body(workplace_org_id=world.branch_a1.id), 422, "member.workplace_not_social_org"),
        (body(workplace_org_id=world.street_a.id), 422, "member.workplace_not_social_org"),
        (body(), 422, "member.org_required"),
        (body(relation_org_id=None, workplace_org_id=None), 422, "member.org_required"),
        (body(relation_org_id=world.joint_b.id), 404, "org.not_found"),
        (body(workplace_org_id=world.social_b.id), 404, "org.not_found"),
        (
            body(relation_org_id=world.branch_a1.id, workplace_org_id=world.social_b.id),
            404,
            "org.not_found",
        ),
        (body(relation_org_id=999_999), 404, "org.not_found"),
    ]
    for payload, status, code in cases:
        response = await client.post(MEMBERS, json=payload, headers=admin.headers)
        assert response.status_code == status, (payload, response.text)
        assert error_code(response) == code
    assert await all_members(app) == before

    # A joint branch holds relations; a social org alone is enough as a workplace.
    for payload in (
        body(relation_org_id=world.branch_a2.id),
        body(workplace_org_id=world.social_a2.id),
    ):
        ok = await client.post(MEMBERS, json=payload, headers=admin.headers)
        assert ok.status_code == 201, ok.text
    system = await factory.actor(Role.SYSTEM_ADMIN, None)
    joint = await client.post(
        MEMBERS, json=body(relation_org_id=world.joint_b.id), headers=system.headers
    )
    assert joint.status_code == 201, joint.text

    member = await factory.member(world.branch_a1, name="待修改")
    for changes, status, code in [
        ({"relation_org_id": world.street_a.id}, 422, "member.relation_not_branch"),
        ({"workplace_org_id": world.branch_a2.id}, 422, "member.workplace_not_social_org"),
        ({"relation_org_id": None}, 422, "member.org_required"),
        ({"relation_org_id": world.joint_b.id}, 404, "org.not_found"),
    ]:
        response = await client.patch(f"{MEMBERS}/{member.id}", json=changes, headers=admin.headers)
        assert response.status_code == status, (changes, response.text)
        assert error_code(response) == code
    row = await member_row(app, member.id)
    assert row is not None
    assert row.relation_org_id == world.branch_a1.id
    assert row.workplace_org_id is None


async def test_secretary_cannot_place_members_in_a_sibling_branch(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    mine = await factory.member(world.branch_a1, name="本支部党员")
    before = await all_members(app)

    created = await client.post(
        MEMBERS,
        json={"name": "越界", "party_status": "masses", "relation_org_id": world.branch_a2.id},
        headers=secretary.headers,
    )
    assert created.status_code == 404
    assert error_code(created) == "org.not_found"
    moved = await client.patch(
        f"{MEMBERS}/{mine.id}",
        json={"relation_org_id": world.branch_a2.id},
        headers=secretary.headers,
    )
    assert moved.status_code == 404
    assert error_code(moved) == "org.not_found"
    assert await all_members(app) == before


async def test_id_numbers_are_unique(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, responses: list[httpx.Response]
) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    taken = "11010519491231002X"
    await factory.member(
        world.joint_b, name="已登记", id_number=taken
    )  # outside the caller's scope
    before = await all_members(app)

    for value in (taken, taken.lower(), f" {taken} "):
        duplicate = await client.post(
            MEMBERS,
            json={
                "name": "重复",
                "party_status": "full_member",
                "id_number": value,
                "relation_org_id": world.branch_a1.id,
            },
            headers=admin.headers,
        )
        assert duplicate.status_code == 409, duplicate.text
        assert error_code(duplicate) == "member.id_number_taken"
    assert await all_members(app) == before

    # Born the same day, so only the number itself is in question.
    other = await factory.member(
        world.branch_a1, name="另一人", id_number=unique_id_number(date(1949, 12, 31))
    )
    patched = await client.patch(
        f"{MEMBERS}/{other.id}", json={"id_number": taken}, headers=admin.headers
    )
    assert patched.status_code == 409
    assert error_code(patched) == "member.id_number_taken"
    # Re-sending one's own number is no conflict.
    own = await member_row(app, other.id)
    assert own is not None
    assert own.id_number_cipher is not None
    own_number = app.state.runtime.cipher.decrypt(own.id_number_cipher, context=ID_CONTEXT)
    same = await client.patch(
        f"{MEMBERS}/{other.id}", json={"id_number": own_number}, headers=admin.headers
    )
    assert same.status_code == 200, same.text
    assert_nothing_unmasked(responses)


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.COMMITTEE_ADMIN])
async def test_sensitive_read_is_unmasked_and_audited(
    client: httpx.AsyncClient,
    factory: Factory,
    app: FastAPI,
    role: Role,
    responses: list[httpx.Response],
) -> None:
    world = await build_world(factory)
    actor = await factory.actor(role, world.branch_a1 if role is Role.SECRETARY else world.street_a)
    id_number = "11010519491231002X"
    member = await factory.member(
        world.branch_a1, name="敏感", phone="13812345678", id_number=id_number
    )

    response = await client.get(f"{MEMBERS}/{member.id}/sensitive", headers=actor.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": member.id, "phone": "13812345678", "id_number": id_number}

    events = await audit_rows(app)
    assert len(events) == 1
    event = events[0]
    assert event.action == "member.read_sensitive"
    assert event.actor_account_id == actor.account.id
    assert event.object_type == "member"
    assert event.object_id == member.id
    assert event.org_id == world.branch_a1.id
    assert event.request_id == response.headers["x-request-id"]
    assert id_number not in str(event.details)
    assert "13812345678" not in str(event.details)

    # The ordinary reads stay masked for the same caller.
    plain = await client.get(f"{MEMBERS}/{member.id}", headers=actor.headers)
    assert plain.json()["phone"] == "138****5678"
    assert plain.json()["id_number"] == "1101**********002X"
    assert_nothing_unmasked(responses)


async def test_sensitive_read_of_a_member_without_identifiers(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI
) -> None:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    member = await factory.member(world.branch_a1, name="无证件")
    response = await client.get(f"{MEMBERS}/{member.id}/sensitive", headers=secretary.headers)
    assert response.status_code == 200
    assert response.json() == {"id": member.id, "phone": None, "id_number": None}
    assert len(await audit_rows(app)) == 1


async def test_instructor_may_not_read_sensitive_fields(
    client: httpx.AsyncClient, factory: Factory, app: FastAPI, responses: list[httpx.Response]
) -> None:
    world = await build_world(factory)
    instructor = await factory.actor(Role.INSTRUCTOR, world.street_a)
    member = await factory.member(
        world.branch_a1, phone="13812345678", id_number="11010519491231002X"
    )

    refused = await client.get(f"{MEMBERS}/{member.id}/sensitive", headers=instructor.headers)
    assert refused.status_code == 403
    assert error_code(refused) == "auth.forbidden"
    assert await audit_rows(app) == []

    # Reading the masked record is fine; writing is not.
    assert (
        await client.get(f"{MEMBERS}/{member.id}", headers=instructor.headers)
    ).status_code == 200
    write = await client.patch(
        f"{MEMBERS}/{member.id}", json={"name": "指导员改名"}, headers=instructor.headers
    )
    assert write.status_code == 403
    assert_nothing_unmasked(responses)


async def test_plain_member_without_role_is_forbidden(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    world = await build_world(factory)
    plain = await factory.actor(None, None, relation=world.branch_a1)
    for response in (
        await client.get(MEMBERS, headers=plain.headers),
        await client.get(f"{MEMBERS}/{plain.member.id}", headers=plain.headers),
    ):
        assert response.status_code == 403
        assert error_code(response) == "auth.forbidden"
