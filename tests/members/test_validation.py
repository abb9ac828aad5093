"""Bad input: a 422 with a stable code per field, never a 500, and nothing written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.models import Member, Organization, Role
from tests.factories import Actor, Factory, World, build_world, unique_credit_code

ORGS = "/api/v1/orgs"
MEMBERS = "/api/v1/members"
TOO_BIG = 2_147_483_648  # one past what an id column holds


@pytest.fixture
async def world(factory: Factory) -> World:
    return await build_world(factory)


@pytest.fixture
async def admin(factory: Factory, world: World) -> Actor:
    return await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)


async def row_counts(app: FastAPI) -> tuple[int, int]:
    async with app.state.runtime.sessionmaker() as session:
        orgs = await session.scalar(select(func.count()).select_from(Organization))
        members = await session.scalar(select(func.count()).select_from(Member))
    return int(orgs or 0), int(members or 0)


def fields(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    found: list[dict[str, Any]] = error["details"]["fields"]
    for field in found:
        assert set(field) == {"loc", "code", "message"}
        assert field["message"]
    return found


def field_codes(response: httpx.Response) -> dict[tuple[str, ...], str]:
    return {tuple(field["loc"]): field["code"] for field in fields(response)}


def social_org(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "social_org",
        "name": "校验协会",
        "parent_id": world.branch_a1.id,
        "social_org_type": "social_group",
        "credit_code": unique_credit_code(),
        **overrides,
    }


def member(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "校验党员",
        "party_status": "full_member",
        "relation_org_id": world.branch_a1.id,
        **overrides,
    }


@pytest.mark.parametrize(
    ("credit_code", "code"),
    [
        ("91350100M000100Y44", "credit_code.check_char"),
        ("91350100M000100Y4", "credit_code.length"),
        ("91350100M000100Y433", "credit_code.length"),
        ("", "credit_code.length"),
        ("91350100I000100Y43", "credit_code.charset"),
        ("91350100O000100Y43", "credit_code.charset"),
        ("91350100Z000100Y43", "credit_code.charset"),
        ("91350100S000100Y43", "credit_code.charset"),
        ("91350100V000100Y43", "credit_code.charset"),
        ("91350100v000100Y43", "credit_code.charset"),  # lowercase is uppercased, then refused
        ("9135010０M000100Y43", "credit_code.charset"),  # a full-width digit
    ],
)
async def test_credit_code_errors(
    client: httpx.AsyncClient, app: FastAPI, world: World, admin: Actor, credit_code: str, code: str
) -> None:
    before = await row_counts(app)
    created = await client.post(
        ORGS, json=social_org(world, credit_code=credit_code), headers=admin.headers
    )
    assert field_codes(created) == {("body", "credit_code"): code}
    patched = await client.patch(
        f"{ORGS}/{world.social_a1.id}", json={"credit_code": credit_code}, headers=admin.headers
    )
    assert field_codes(patched) == {("body", "credit_code"): code}
    assert await row_counts(app) == before


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("110105194912310021", "id_number.check_char"),
        ("110105194902300020", "id_number.birth_date"),  # 30 February
        ("110105194900010020", "id_number.birth_date"),  # month 0
        ("11010519491231002", "id_number.length"),
        ("11010519491231002XX", "id_number.length"),
        ("1101051949123100AX", "id_number.charset"),
        ("１１０１０５１９４９１２３１００２X", "id_number.charset"),  # full-width digits
    ],
)
async def test_id_number_errors(
    client: httpx.AsyncClient, app: FastAPI, world: World, admin: Actor, id_number: str, code: str
) -> None:
    before = await row_counts(app)
    created = await client.post(
        MEMBERS, json=member(world, id_number=id_number), headers=admin.headers
    )
    assert field_codes(created) == {("body", "id_number"): code}
    assert await row_counts(app) == before


@pytest.mark.parametrize(
    "phone", ["1381234567", "138123456789", "23812345678", "138-1234-567", "1３８１２３４５６７８"]
)
async def test_phone_errors(
    client: httpx.AsyncClient, world: World, admin: Actor, phone: str
) -> None:
    created = await client.post(MEMBERS, json=member(world, phone=phone), headers=admin.headers)
    assert field_codes(created) == {("body", "phone"): "phone.invalid"}


async def test_lengths(client: httpx.AsyncClient, app: FastAPI, world: World, admin: Actor) -> None:
    before = await row_counts(app)
    long_member = await client.post(
        MEMBERS, json=member(world, name="长" * 51), headers=admin.headers
    )
    assert field_codes(long_member) == {("body", "name"): "string_too_long"}
    blank = await client.post(MEMBERS, json=member(world, name="   "), headers=admin.headers)
    assert field_codes(blank) == {("body", "name"): "string_too_short"}
    fifty = await client.post(MEMBERS, json=member(world, name="长" * 50), headers=admin.headers)
    assert fifty.status_code == 201, fifty.text

    long_org = await client.post(
        ORGS,
        json={"kind": "branch", "name": "长" * 101, "parent_id": world.street_a.id},
        headers=admin.headers,
    )
    assert field_codes(long_org) == {("body", "name"): "string_too_long"}
    long_query = await client.get(MEMBERS, params={"q": "长" * 51}, headers=admin.headers)
    assert field_codes(long_query) == {("query", "q"): "string_too_long"}
    assert await row_counts(app) == (before[0], before[1] + 1)


async def test_unknown_enum_values(client: httpx.AsyncClient, world: World, admin: Actor) -> None:
    status = await client.post(
        MEMBERS, json=member(world, party_status="chairman"), headers=admin.headers
    )
    assert field_codes(status) == {("body", "party_status"): "enum"}
    kind = await client.post(
        ORGS,
        json={"kind": "party_group", "name": "未知类型", "parent_id": world.street_a.id},
        headers=admin.headers,
    )
    assert field_codes(kind) == {("body", "kind"): "enum"}
    rating = await client.patch(
        f"{ORGS}/{world.social_a1.id}", json={"rating": "6A"}, headers=admin.headers
    )
    assert field_codes(rating) == {("body", "rating"): "enum"}
    query = await client.get(MEMBERS, params={"party_status": "chairman"}, headers=admin.headers)
    assert field_codes(query) == {("query", "party_status"): "enum"}


async def test_wrong_types(
    client: httpx.AsyncClient, app: FastAPI, world: World, admin: Actor
) -> None:
    before = await row_counts(app)
    relation = await client.post(
        MEMBERS, json=member(world, relation_org_id="甲一支部"), headers=admin.headers
    )
    # Bodies are strict: a string is not an id, "maybe" not a flag, 1.5 not a count.
    assert field_codes(relation) == {("body", "relation_org_id"): "int_type"}
    name = await client.post(MEMBERS, json=member(world, name=["张", "三"]), headers=admin.headers)
    assert field_codes(name) == {("body", "name"): "string_type"}
    flag = await client.post(MEMBERS, json=member(world, is_mobile="maybe"), headers=admin.headers)
    assert field_codes(flag) == {("body", "is_mobile"): "bool_type"}
    day = await client.post(
        MEMBERS, json=member(world, birth_date="1990-02-30"), headers=admin.headers
    )
    assert field_codes(day)[("body", "birth_date")].startswith("date_")
    ancient = await client.post(
        MEMBERS, json=member(world, birth_date="1800-01-01"), headers=admin.headers
    )
    assert field_codes(ancient) == {("body", "birth_date"): "date.out_of_range"}
    staff = await client.patch(
        f"{ORGS}/{world.social_a1.id}", json={"staff_count": 1.5}, headers=admin.headers
    )
    assert field_codes(staff) == {("body", "staff_count"): "int_type"}
    not_object = await client.post(MEMBERS, json=["name"], headers=admin.headers)
    assert fields(not_object)
    not_json = await client.post(
        MEMBERS, content=b"{name", headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert field_codes(not_json) == {("body", "1"): "json_invalid"}
    assert await row_counts(app) == before


async def test_missing_required_fields(
    client: httpx.AsyncClient, world: World, admin: Actor
) -> None:
    response = await client.post(
        MEMBERS, json={"relation_org_id": world.branch_a1.id}, headers=admin.headers
    )
    assert field_codes(response) == {
        ("body", "name"): "missing",
        ("body", "party_status"): "missing",
    }


async def test_unknown_fields_are_refused(
    client: httpx.AsyncClient, app: FastAPI, world: World, admin: Actor
) -> None:
    before = await row_counts(app)
    created = await client.post(MEMBERS, json=member(world, nickname="小张"), headers=admin.headers)
    assert field_codes(created) == {("body", "nickname"): "extra_forbidden"}
    patched = await client.patch(
        f"{ORGS}/{world.branch_a1.id}", json={"kind": "committee"}, headers=admin.headers
    )
    assert field_codes(patched) == {("body", "kind"): "extra_forbidden"}
    depth = await client.post(
        ORGS,
        json={"kind": "branch", "name": "深度", "parent_id": world.street_a.id, "depth": 0},
        headers=admin.headers,
    )
    assert field_codes(depth) == {("body", "depth"): "extra_forbidden"}
    assert await row_counts(app) == before


async def test_control_characters_are_refused(
    client: httpx.AsyncClient, app: FastAPI, world: World, admin: Actor
) -> None:
    before = await row_counts(app)
    name = await client.post(MEMBERS, json=member(world, name="张\u0000三"), headers=admin.headers)
    assert field_codes(name) == {("body", "name"): "text.control_char"}
    org_name = await client.post(
        ORGS,
        json={"kind": "branch", "name": "支\x07部", "parent_id": world.street_a.id},
        headers=admin.headers,
    )
    assert field_codes(org_name) == {("body", "name"): "text.control_char"}
    authority = await client.patch(
        f"{ORGS}/{world.social_a1.id}",
        json={"registration_authority": "民政\u0000局"},
        headers=admin.headers,
    )
    assert field_codes(authority) == {("body", "registration_authority"): "text.control_char"}
    for path in (MEMBERS, ORGS):
        query = await client.get(path, params={"q": "a\x00b"}, headers=admin.headers)
        assert field_codes(query) == {("query", "q"): "text.control_char"}
    assert await row_counts(app) == before


async def test_ids_out_of_range_are_422_everywhere(
    client: httpx.AsyncClient, app: FastAPI, world: World, admin: Actor
) -> None:
    before = await row_counts(app)
    h = admin.headers
    path_cases = [
        (client.get(f"{ORGS}/{TOO_BIG}", headers=h), "org_id"),
        (client.patch(f"{ORGS}/{TOO_BIG}", json={"name": "x"}, headers=h), "org_id"),
        (client.delete(f"{ORGS}/{TOO_BIG}", headers=h), "org_id"),
        (client.get(f"{MEMBERS}/{TOO_BIG}", headers=h), "member_id"),
        (client.get(f"{MEMBERS}/{TOO_BIG}/sensitive", headers=h), "member_id"),
        (client.patch(f"{MEMBERS}/{TOO_BIG}", json={"name": "x"}, headers=h), "member_id"),
        (
            client.post(
                f"{MEMBERS}/{TOO_BIG}/departure",
                json={"reason": "deceased", "left_on": "2025-01-01"},
                headers=h,
            ),
            "member_id",
        ),
        (client.post(f"{MEMBERS}/{TOO_BIG}/erasure", headers=h), "member_id"),
    ]
    for attempt, param in path_cases:
        response = await attempt
        assert field_codes(response) == {("path", param): "less_than_equal"}

    for path, param in [(ORGS, "parent_id"), (f"{ORGS}/tree", "root_id"), (MEMBERS, "org_id")]:
        response = await client.get(path, params={param: TOO_BIG}, headers=h)
        assert field_codes(response) == {("query", param): "less_than_equal"}
        zero = await client.get(path, params={param: 0}, headers=h)
        assert field_codes(zero) == {("query", param): "greater_than_equal"}

    body_cases = [
        (
            client.post(
                ORGS, json={"kind": "branch", "name": "x", "parent_id": TOO_BIG}, headers=h
            ),
            "parent_id",
        ),
        (
            client.patch(f"{ORGS}/{world.branch_a1.id}", json={"parent_id": TOO_BIG}, headers=h),
            "parent_id",
        ),
        (
            client.post(MEMBERS, json=member(world, relation_org_id=TOO_BIG), headers=h),
            "relation_org_id",
        ),
        (
            client.post(MEMBERS, json=member(world, workplace_org_id=10**30), headers=h),
            "workplace_org_id",
        ),
        (
            client.patch(
                f"{MEMBERS}/{admin.member.id}", json={"relation_org_id": TOO_BIG}, headers=h
            ),
            "relation_org_id",
        ),
    ]
    for attempt, field in body_cases:
        response = await attempt
        assert field_codes(response) == {("body", field): "less_than_equal"}

    negative = await client.get(f"{ORGS}/-1", headers=h)
    assert field_codes(negative) == {("path", "org_id"): "greater_than_equal"}
    assert await row_counts(app) == before


async def test_staff_count_bounds(
    client: httpx.AsyncClient, app: FastAPI, world: World, admin: Actor
) -> None:
    negative = await client.post(
        ORGS, json=social_org(world, staff_count=-1), headers=admin.headers
    )
    assert field_codes(negative) == {("body", "staff_count"): "greater_than_equal"}
    patched = await client.patch(
        f"{ORGS}/{world.social_a1.id}", json={"staff_count": -5}, headers=admin.headers
    )
    assert field_codes(patched) == {("body", "staff_count"): "greater_than_equal"}
    huge = await client.patch(
        f"{ORGS}/{world.social_a1.id}", json={"staff_count": 10**12}, headers=admin.headers
    )
    assert field_codes(huge) == {("body", "staff_count"): "less_than_equal"}
    async with app.state.runtime.sessionmaker() as session:
        row = await session.get(Organization, world.social_a1.id)
    assert row is not None
    assert row.staff_count is None


async def test_messages_are_chinese_by_default_and_english_on_request(
    client: httpx.AsyncClient, world: World, admin: Actor
) -> None:
    bad = social_org(world, credit_code="91350100M000100Y44")

    chinese = await client.post(ORGS, json=bad, headers=admin.headers)
    assert chinese.json()["error"]["message"] == "请求数据校验失败"
    assert fields(chinese)[0]["message"] == "统一社会信用代码校验位不正确"

    english = await client.post(ORGS, json=bad, headers={**admin.headers, "Accept-Language": "en"})
    assert english.status_code == 422
    assert english.json()["error"]["message"] == "Validation failed"
    assert fields(english)[0]["code"] == "credit_code.check_char"

    weighted = await client.post(
        ORGS, json=bad, headers={**admin.headers, "Accept-Language": "en-US,en;q=0.9,zh;q=0.8"}
    )
    assert weighted.json()["error"]["message"] == "Validation failed"
    prefers_chinese = await client.post(
        ORGS, json=bad, headers={**admin.headers, "Accept-Language": "zh-CN,en;q=0.5"}
    )
    assert prefers_chinese.json()["error"]["message"] == "请求数据校验失败"

    # Service-level refusals follow the same rule.
    not_found_zh = await client.get(f"{ORGS}/{world.street_b.id}", headers=admin.headers)
    assert not_found_zh.json()["error"]["message"] == "组织不存在"
    not_found_en = await client.get(
        f"{ORGS}/{world.street_b.id}", headers={**admin.headers, "Accept-Language": "en"}
    )
    assert not_found_en.json()["error"] == {
        "code": "org.not_found",
        "message": "Organization not found",
        "details": {},
    }
    required_en = await client.post(
        ORGS,
        json={"kind": "social_org", "name": "缺字段", "parent_id": world.branch_a1.id},
        headers={**admin.headers, "Accept-Language": "en"},
    )
    assert (
        required_en.json()["error"]["message"]
        == "A social organization needs its type and credit code"
    )
