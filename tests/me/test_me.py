"""The signed-in person's own page, and binding the WeChat phone number, which links the
account to the member record a branch entered with that number."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from typing import TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.integrations.wechat.fake import fake_wechat_handler
from app.kit.clock import FrozenClock
from app.models import Account, Member, Role
from tests.factories import Factory, World, build_world, unique_id_number
from tests.fixtures.wechat import FakeWeChat

ME = "/api/v1/me"
PHONE = "/api/v1/me/phone"
GET_PHONE = "/wxa/business/getuserphonenumber"
STABLE_TOKEN = "/cgi-bin/stable_token"
Row = TypeVar("Row", Account, Member)
FULL_PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
FULL_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


@pytest.fixture
async def world(factory: Factory) -> World:
    return await build_world(factory)


async def fresh(db: AsyncSession, model: type[Row], row_id: int) -> Row:
    row = await db.get_one(model, row_id, populate_existing=True)
    await db.commit()  # on SQLite an open transaction holds the write lock
    return row


def assert_no_whole_personal_numbers(response: httpx.Response) -> None:
    text = response.text
    assert not FULL_PHONE.search(text), text
    assert not FULL_ID_NUMBER.search(text), text


async def test_account_without_member(client: httpx.AsyncClient, factory: Factory) -> None:
    account = await factory.account()

    response = await client.get(ME, headers=factory.headers_for(account))

    assert response.status_code == 200
    assert response.json() == {
        "account_id": account.id,
        "phone": None,
        "member": None,
        "roles": [],
        "branch": None,
    }


async def test_member_with_roles_sees_them_with_org_names_and_masked_numbers(
    client: httpx.AsyncClient, factory: Factory, world: World
) -> None:
    id_number = unique_id_number()
    member = await factory.member(
        world.branch_a1, name="王书记", phone="13812345678", id_number=id_number
    )
    account = await factory.account(member)
    await factory.grant(member, Role.SECRETARY, world.branch_a1)
    await factory.grant(member, Role.INSTRUCTOR, world.street_a)

    response = await client.get(ME, headers=factory.headers_for(account))

    assert response.status_code == 200
    body = response.json()
    assert body["account_id"] == account.id
    assert body["member"]["id"] == member.id
    assert body["member"]["name"] == "王书记"
    assert body["member"]["relation_org_id"] == world.branch_a1.id
    assert body["member"]["has_account"] is True
    assert body["member"]["phone"] == "138****5678"
    assert body["member"]["id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]
    assert sorted(body["roles"], key=lambda r: r["role"]) == [
        {"role": "instructor", "org_id": world.street_a.id, "org_name": "甲街道工委"},
        {"role": "secretary", "org_id": world.branch_a1.id, "org_name": "甲一支部"},
    ]
    assert_no_whole_personal_numbers(response)


async def test_a_member_sees_their_branch_named_until_they_leave(
    client: httpx.AsyncClient, factory: Factory, world: World
) -> None:
    # Working at a social organization of another branch: the branch is the relation's.
    member = await factory.member(world.branch_a1, world.social_a2, name="张党员")
    headers = factory.headers_for(await factory.account(member))

    response = await client.get(ME, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["branch"] == {
        "id": world.branch_a1.id,
        "name": "甲一支部",
        "kind": "branch",
    }
    assert response.json()["roles"] == []

    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    departed = await client.post(
        f"/api/v1/members/{member.id}/departure",
        json={"reason": "moved_away", "left_on": "2025-01-02"},
        headers=admin.headers,
    )
    assert departed.status_code == 200, departed.text
    after = await client.get(ME, headers=headers)
    assert after.status_code == 200
    assert after.json()["branch"] is None
    assert after.json()["member"]["relation_org_id"] == world.branch_a1.id


async def test_a_member_of_a_social_org_only_has_no_branch(
    client: httpx.AsyncClient, factory: Factory, world: World
) -> None:
    member = await factory.member(None, world.social_a1)
    response = await client.get(ME, headers=factory.headers_for(await factory.account(member)))
    assert response.status_code == 200
    assert response.json()["branch"] is None


async def test_system_admin_role_has_no_org(client: httpx.AsyncClient, factory: Factory) -> None:
    actor = await factory.actor(Role.SYSTEM_ADMIN, None)

    response = await client.get(ME, headers=actor.headers)

    assert response.status_code == 200
    assert response.json()["roles"] == [{"role": "system_admin", "org_id": None, "org_name": None}]


async def test_me_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(ME)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.missing_token"


async def test_binding_the_phone_links_the_one_member_with_that_number(
    client: httpx.AsyncClient, factory: Factory, world: World, db: AsyncSession
) -> None:
    member = await factory.member(world.branch_a1, name="李党员", phone="13812345678")
    await factory.member(world.branch_a1, name="别人", phone="13900001111")
    account = await factory.account()
    headers = factory.headers_for(account)

    response = await client.post(PHONE, json={"code": "13812345678"}, headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert body["phone"] == "138****5678"
    assert body["member"]["id"] == member.id
    assert body["member"]["phone"] == "138****5678"
    assert_no_whole_personal_numbers(response)

    stored_account = await fresh(db, Account, account.id)
    assert stored_account.phone == "13812345678"
    linked = await fresh(db, Member, member.id)
    assert linked.account_id == account.id

    me = await client.get(ME, headers=headers)
    assert me.json()["member"]["id"] == member.id
    assert me.json()["member"]["name"] == "李党员"


async def test_a_slow_phone_number_call_holds_up_no_other_request(
    client: httpx.AsyncClient, factory: Factory, world: World, wechat: FakeWeChat, db: AsyncSession
) -> None:
    """While WeChat keeps a bind waiting, another member reads their page and a secretary
    changes a record. On SQLite the bind's writer session sends BEGIN IMMEDIATE with its first
    statement and holds the database's one write lock until it commits: were that statement
    sent before the WeChat call, both requests would queue behind the lock for as long as
    WeChat takes (the busy timeout is 30 seconds), and this test would fail on the guards."""
    member = await factory.member(world.branch_a1, name="李党员", phone="13812345678")
    binder = await factory.account()
    reader = await factory.actor(None, None, relation=world.branch_a1)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    record = await factory.member(world.branch_a1, name="待修改")
    asked, answer = asyncio.Event(), asyncio.Event()

    async def slow_phone_number(request: httpx.Request) -> httpx.Response:
        asked.set()
        await answer.wait()
        return fake_wechat_handler(request)

    wechat.overrides[GET_PHONE] = slow_phone_number
    bind = asyncio.create_task(
        client.post(PHONE, json={"code": "13812345678"}, headers=factory.headers_for(binder))
    )
    try:
        await asyncio.wait_for(asked.wait(), timeout=10)

        me = await asyncio.wait_for(client.get(ME, headers=reader.headers), timeout=10)
        assert me.status_code == 200, me.text
        assert me.json()["member"]["id"] == reader.member.id
        changed = await asyncio.wait_for(
            client.patch(
                f"/api/v1/members/{record.id}", json={"name": "已修改"}, headers=secretary.headers
            ),
            timeout=10,
        )
        assert changed.status_code == 200, changed.text
        assert (await fresh(db, Member, record.id)).name == "已修改"
        assert not bind.done()  # still waiting for WeChat
    finally:
        answer.set()

    response = await asyncio.wait_for(bind, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "138****5678"
    assert response.json()["member"]["id"] == member.id
    assert (await fresh(db, Account, binder.id)).phone == "13812345678"
    assert (await fresh(db, Member, member.id)).account_id == binder.id
    assert len(wechat.calls_to(GET_PHONE)) == 1


async def test_binding_dates_the_changed_rows_by_the_clock(
    client: httpx.AsyncClient, factory: Factory, world: World, db: AsyncSession, app: FastAPI
) -> None:
    member = await factory.member(world.branch_a1, phone="13812345678")
    account = await factory.account()
    bound_at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    app.state.runtime.clock = FrozenClock(bound_at)

    response = await client.post(
        PHONE, json={"code": "13812345678"}, headers=factory.headers_for(account)
    )

    assert response.status_code == 200, response.text
    assert (await fresh(db, Account, account.id)).updated_at == bound_at
    linked = await fresh(db, Member, member.id)
    assert (linked.account_id, linked.updated_at) == (account.id, bound_at)
    assert datetime.fromisoformat(response.json()["member"]["updated_at"]) == bound_at


async def test_phone_call_carries_the_access_token_from_stable_token(
    client: httpx.AsyncClient, factory: Factory, wechat: FakeWeChat, settings: Settings
) -> None:
    wechat.overrides[STABLE_TOKEN] = lambda _request: httpx.Response(
        200, json={"access_token": "token-from-stable-token", "expires_in": 7200}
    )
    account = await factory.account()

    response = await client.post(
        PHONE, json={"code": "13812345678"}, headers=factory.headers_for(account)
    )

    assert response.status_code == 200
    [token_call] = wechat.calls_to(STABLE_TOKEN)
    token_request = json.loads(token_call.content)
    assert token_request["grant_type"] == "client_credential"
    assert token_request["appid"] == settings.wechat_appid
    assert token_request["secret"] == settings.wechat_secret
    [phone_call] = wechat.calls_to(GET_PHONE)
    assert phone_call.method == "POST"
    assert phone_call.url.params["access_token"] == "token-from-stable-token"
    assert json.loads(phone_call.content) == {"code": "13812345678"}


async def test_two_members_with_the_phone_means_no_link(
    client: httpx.AsyncClient, factory: Factory, world: World, db: AsyncSession
) -> None:
    first = await factory.member(world.branch_a1, phone="13812345678")
    second = await factory.member(world.branch_a2, phone="13812345678")
    account = await factory.account()
    headers = factory.headers_for(account)

    response = await client.post(PHONE, json={"code": "13812345678"}, headers=headers)

    assert response.status_code == 200
    assert response.json()["phone"] == "138****5678"
    assert response.json()["member"] is None
    assert (await fresh(db, Account, account.id)).phone == "13812345678"
    for member in (first, second):
        assert (await fresh(db, Member, member.id)).account_id is None
    assert (await client.get(ME, headers=headers)).json()["member"] is None


async def test_member_already_linked_to_another_account_is_not_taken(
    client: httpx.AsyncClient, factory: Factory, world: World, db: AsyncSession
) -> None:
    member = await factory.member(world.branch_a1, phone="13812345678")
    owner = await factory.account(member)
    newcomer = await factory.account()

    response = await client.post(
        PHONE, json={"code": "13812345678"}, headers=factory.headers_for(newcomer)
    )

    assert response.status_code == 200
    assert response.json()["member"] is None
    assert (await fresh(db, Member, member.id)).account_id == owner.id


async def test_phone_without_any_member_is_only_stored(
    client: httpx.AsyncClient, factory: Factory, world: World, db: AsyncSession
) -> None:
    await factory.member(world.branch_a1, phone="13900001111")
    account = await factory.account()

    response = await client.post(
        PHONE, json={"code": "13812345678"}, headers=factory.headers_for(account)
    )

    assert response.status_code == 200
    assert response.json()["member"] is None
    assert (await fresh(db, Account, account.id)).phone == "13812345678"
    unlinked = (await db.scalars(select(Member.account_id))).all()
    await db.commit()
    assert unlinked == [None]


@pytest.mark.parametrize("errcode", [40029, 40163])
async def test_invalid_phone_code_is_401_and_stores_nothing(
    client: httpx.AsyncClient,
    factory: Factory,
    world: World,
    wechat: FakeWeChat,
    db: AsyncSession,
    errcode: int,
) -> None:
    wechat.overrides[GET_PHONE] = lambda _request: httpx.Response(
        200, json={"errcode": errcode, "errmsg": "invalid code"}
    )
    member = await factory.member(world.branch_a1, phone="13812345678")
    account = await factory.account()

    response = await client.post(
        PHONE, json={"code": "13812345678"}, headers=factory.headers_for(account)
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.wechat_code_invalid"
    assert len(wechat.calls_to(GET_PHONE)) == 1
    assert (await fresh(db, Account, account.id)).phone is None
    assert (await fresh(db, Member, member.id)).account_id is None


async def test_wechat_down_while_binding_is_503(
    client: httpx.AsyncClient, factory: Factory, wechat: FakeWeChat, db: AsyncSession
) -> None:
    wechat.overrides[GET_PHONE] = lambda _request: httpx.Response(503, text="busy")
    account = await factory.account()

    response = await client.post(
        PHONE, json={"code": "13812345678"}, headers=factory.headers_for(account)
    )

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "wechat.unavailable"
    assert (await fresh(db, Account, account.id)).phone is None


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "x" * 200}, {"code": 13812345678}])
async def test_invalid_phone_body_is_422_and_wechat_is_not_asked(
    client: httpx.AsyncClient, factory: Factory, wechat: FakeWeChat, body: dict[str, object]
) -> None:
    account = await factory.account()

    response = await client.post(PHONE, json=body, headers=factory.headers_for(account))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"
    assert ["body", "code"] in [f["loc"] for f in response.json()["error"]["details"]["fields"]]
    assert wechat.requests == []


async def test_binding_needs_a_token(client: httpx.AsyncClient, wechat: FakeWeChat) -> None:
    response = await client.post(PHONE, json={"code": "13812345678"})

    assert response.status_code == 401
    assert wechat.requests == []


async def test_a_phone_code_the_fake_never_issued_binds_nothing(
    client: httpx.AsyncClient, factory: Factory, world: World, db: AsyncSession
) -> None:
    # The development fake answers as WeChat answers a code it never issued.
    await factory.member(world.branch_a1, phone="13812345678")
    account = await factory.account()

    response = await client.post(
        PHONE, json={"code": "not-a-real-code"}, headers=factory.headers_for(account)
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.wechat_code_invalid"
    stored = await fresh(db, Account, account.id)
    assert stored.phone is None
    linked = await db.scalars(select(Member).where(Member.account_id == account.id))
    assert linked.all() == []
