"""The demo seed and create-admin, checked in the database and through the real API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from app.config import Settings
from app.kit.identifiers import credit_code_problem, id_number_problem
from app.models import (
    Account,
    CommitteeSeat,
    Member,
    Organization,
    OrgClosure,
    OrgKind,
    PartyGroup,
    PartyGroupMember,
    Role,
    RoleAssignment,
)
from app.models.orgs import BRANCH_KINDS
from app.seed.admin import create_admin
from app.seed.demo import DEMO_LOGINS, ROOT_NAME, STREETS, run_seed

ID_CONTEXT = b"members.id_number"


async def _snapshot(app: FastAPI) -> dict[str, Any]:
    async with app.state.runtime.sessionmaker() as session:
        kinds = dict(
            (
                await session.execute(
                    select(Organization.kind, func.count()).group_by(Organization.kind)
                )
            ).all()
        )
        tables = {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in (
                Organization,
                OrgClosure,
                Member,
                Account,
                RoleAssignment,
                PartyGroup,
                PartyGroupMember,
                CommitteeSeat,
            )
        }
        return {"kinds": kinds, "tables": tables}


async def _sign_in(client: httpx.AsyncClient, code: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/wechat/login", json={"code": code})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _listed_members(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/api/v1/members", params=params, headers=headers)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def _subtree_member_ids(app: FastAPI, org_id: int) -> set[int]:
    async with app.state.runtime.sessionmaker() as session:
        subtree = select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id == org_id)
        rows = await session.scalars(
            select(Member.id).where(
                Member.relation_org_id.in_(subtree) | Member.workplace_org_id.in_(subtree)
            )
        )
        return set(rows)


async def test_seed_builds_the_demo_city_once(app: FastAPI, settings: Settings) -> None:
    assert await run_seed(settings) is True
    first = await _snapshot(app)
    assert await run_seed(settings) is False
    assert await _snapshot(app) == first

    assert first["kinds"][OrgKind.COMMITTEE] == 1 + 3
    assert first["kinds"][OrgKind.BRANCH] + first["kinds"][OrgKind.JOINT_BRANCH] == 12
    assert first["kinds"][OrgKind.JOINT_BRANCH] == 1
    assert first["kinds"][OrgKind.SOCIAL_ORG] == 30
    assert first["tables"]["members"] == 200
    assert first["tables"]["accounts"] == len(DEMO_LOGINS)

    async with app.state.runtime.sessionmaker() as session:
        orgs = (await session.scalars(select(Organization))).all()
        by_id = {org.id: org for org in orgs}
        roots = [org for org in orgs if org.parent_id is None]
        assert [root.name for root in roots] == [ROOT_NAME]
        social = [org for org in orgs if org.kind is OrgKind.SOCIAL_ORG]
        codes = [org.credit_code or "" for org in social]
        assert all(credit_code_problem(code) is None for code in codes)
        assert len(set(codes)) == 30
        assert all(code[0] == "5" for code in codes)
        assert {org.social_org_type for org in social} == {
            "social_group",
            "foundation",
            "social_service_agency",
        }
        assert len({org.affiliation_mode for org in social}) == 4
        assert len({org.rating for org in social}) >= 5
        under_committee = [
            org for org in social if by_id[org.parent_id or 0].kind is OrgKind.COMMITTEE
        ]
        assert 2 <= len(under_committee) <= 3
        # The closure table holds every ancestor of every node, each node with itself.
        pairs = await session.scalar(select(func.count()).select_from(OrgClosure))
        assert pairs == sum(org.depth + 1 for org in orgs)
        assert await session.scalar(
            select(func.count()).where(OrgClosure.ancestor_id == roots[0].id)
        ) == len(orgs)

        members = (await session.scalars(select(Member))).all()
        branch_ids = {org.id for org in orgs if org.kind in BRANCH_KINDS}
        assert all(m.relation_org_id is None or m.relation_org_id in branch_ids for m in members)
        transferred_in = [
            m
            for m in members
            if m.workplace_org_id and m.relation_org_id == by_id[m.workplace_org_id].parent_id
        ]
        elsewhere = [
            m
            for m in members
            if m.workplace_org_id and m.relation_org_id and m not in transferred_in
        ]
        mobile = [m for m in members if m.is_mobile and m.relation_org_id is None]
        assert transferred_in
        assert elsewhere
        assert mobile
        assert 0 < sum(m.is_lost_contact for m in members) < 20
        assert len({m.phone for m in members}) == 200
        assert all(
            m.phone and len(m.phone) == 11 and m.phone[:2] in ("13", "15", "18") for m in members
        )
        assert {m.party_status for m in members} == {
            "full_member",
            "probationary",
            "activist",
            "masses",
        }
        assert all(
            (m.joined_party_on is not None) == (m.party_status in ("full_member", "probationary"))
            for m in members
        )
        assert all(
            m.birth_date and m.joined_party_on > m.birth_date for m in members if m.joined_party_on
        )

        secretaries = await session.scalars(
            select(RoleAssignment.org_id).where(RoleAssignment.role == Role.SECRETARY)
        )
        assert set(secretaries) == branch_ids
        instructors = await session.scalars(
            select(RoleAssignment.member_id)
            .where(RoleAssignment.role == Role.INSTRUCTOR)
            .distinct()
        )
        assert len(set(instructors)) == 3


async def test_every_demo_login_signs_in_with_its_role(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert await run_seed(settings)
    me: dict[str, Any] = {}
    for label, code in DEMO_LOGINS.items():
        response = await client.get("/api/v1/me", headers=await _sign_in(client, code))
        assert response.status_code == 200, response.text
        me[label] = response.json()
        assert me[label]["member"] is not None, label

    def roles(label: str) -> list[tuple[str, str | None]]:
        return [(held["role"], held["org_name"]) for held in me[label]["roles"]]

    assert roles("system_admin") == [("system_admin", None)]
    assert roles("committee_admin") == [("committee_admin", ROOT_NAME)]
    assert roles("street_admin") == [("committee_admin", STREETS[0])]
    instructor = roles("instructor")
    assert 2 <= len(instructor) <= 3
    assert {role for role, _ in instructor} == {"instructor"}
    assert [role for role, _ in roles("secretary")] == ["secretary"]
    assert roles("member") == []
    secretary_branch = me["secretary"]["roles"][0]["org_id"]
    assert me["member"]["member"]["relation_org_id"] == secretary_branch
    assert me["member"]["member"]["party_status"] == "full_member"


async def test_the_demo_branch_has_a_committee_and_a_party_group(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert await run_seed(settings)
    secretary = await _sign_in(client, DEMO_LOGINS["secretary"])
    member = await _sign_in(client, DEMO_LOGINS["member"])
    me = (await client.get("/api/v1/me", headers=secretary)).json()
    own = (await client.get("/api/v1/me", headers=member)).json()["member"]
    branch = me["roles"][0]["org_id"]

    committee = await client.get(f"/api/v1/orgs/{branch}/committee", headers=secretary)
    assert committee.status_code == 200, committee.text
    seats = [(s["member_id"], s["post_label"]) for s in committee.json()["items"]]
    assert seats[:2] == [(me["member"]["id"], "书记"), (own["id"], "组织委员")]
    assert len(seats) == 3
    groups = await client.get(f"/api/v1/orgs/{branch}/party-groups", headers=secretary)
    [group] = groups.json()["items"]
    assert (group["name"], group["leader_member_id"]) == ("第一党小组", own["id"])
    assert group["member_count"] >= 2

    start = datetime.now(UTC) + timedelta(days=1)
    meeting = await client.post(
        "/api/v1/activities",
        json={
            "org_id": branch,
            "type": "branch_committee",
            "title": "支委会",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        },
        headers=secretary,
    )
    assert meeting.status_code == 201, meeting.text
    assert meeting.json()["expected_count"] == 3


async def test_each_role_sees_its_subtree_only(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    assert await run_seed(settings)
    headers = {label: await _sign_in(client, code) for label, code in DEMO_LOGINS.items()}
    me = {label: (await client.get("/api/v1/me", headers=h)).json() for label, h in headers.items()}
    seen = {
        label: {m["id"] for m in await _listed_members(client, headers[label])}
        for label in ("secretary", "street_admin", "committee_admin", "system_admin")
    }

    for label in ("secretary", "street_admin", "committee_admin"):
        org_id = me[label]["roles"][0]["org_id"]
        assert seen[label] == await _subtree_member_ids(app, org_id), label
    assert 0 < len(seen["secretary"]) < len(seen["street_admin"]) < len(seen["committee_admin"])
    assert len(seen["system_admin"]) == 200  # staff without an organization included
    assert me["member"]["member"]["id"] in seen["secretary"]

    members = await client.get("/api/v1/members", headers=headers["member"])
    assert members.status_code == 403


async def test_id_numbers_are_encrypted_at_rest_and_masked(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    assert await run_seed(settings)
    cipher = app.state.runtime.cipher
    async with app.state.runtime.sessionmaker() as session:
        members = (
            await session.scalars(select(Member).where(Member.id_number_cipher.is_not(None)))
        ).all()
    assert len(members) >= 190
    plain = {m.id: cipher.decrypt(m.id_number_cipher, context=ID_CONTEXT) for m in members}
    assert len(set(plain.values())) == len(plain)
    for member in members:
        number = plain[member.id]
        assert id_number_problem(number) is None
        assert member.id_number_cipher is not None
        assert number.encode() not in member.id_number_cipher
        assert member.id_number_hash == cipher.lookup_hash(number)
        assert member.birth_date is not None
        assert number[6:14] == f"{member.birth_date:%Y%m%d}"

    listed = await _listed_members(client, await _sign_in(client, DEMO_LOGINS["committee_admin"]))
    shown = {m["id"]: m for m in listed}
    for member_id, number in plain.items():
        if member_id not in shown:
            continue
        assert shown[member_id]["id_number"] == number[:4] + "*" * 10 + number[-4:]
        assert "*" in shown[member_id]["phone"]


async def test_create_admin_is_idempotent(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    first = await create_admin(settings, name="系统管理员", openid="fake-ops-admin")
    assert await create_admin(settings, name="系统管理员", openid="fake-ops-admin") == first
    async with app.state.runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Account)) == 1
        assert await session.scalar(select(func.count()).select_from(Member)) == 1
        assert await session.scalar(select(func.count()).select_from(RoleAssignment)) == 1
        role = await session.scalar(select(RoleAssignment))
        assert role is not None
        assert role.member_id == first
        assert role.org_id is None
        assert role.role is Role.SYSTEM_ADMIN

    me = await client.get("/api/v1/me", headers=await _sign_in(client, "ops-admin"))
    assert me.json()["member"]["id"] == first
    assert me.json()["roles"] == [{"role": "system_admin", "org_id": None, "org_name": None}]


async def test_create_admin_reuses_an_existing_account_and_member(
    app: FastAPI, settings: Settings
) -> None:
    assert await run_seed(settings)
    before = await _snapshot(app)
    openid = "fake-" + DEMO_LOGINS["system_admin"]
    member_id = await create_admin(settings, name="另一个名字", openid=openid)
    assert await _snapshot(app) == before
    async with app.state.runtime.sessionmaker() as session:
        member = await session.get_one(Member, member_id)
        account = await session.scalar(select(Account).where(Account.openid == openid))
        assert account is not None
        assert member.account_id == account.id
        assert member.name != "另一个名字"

    # A seeded secretary made system admin keeps the branch role and gains the global one.
    secretary_openid = "fake-" + DEMO_LOGINS["secretary"]
    await create_admin(settings, name="x", openid=secretary_openid)
    await create_admin(settings, name="x", openid=secretary_openid)
    after = await _snapshot(app)
    assert after["tables"]["role_assignments"] == before["tables"]["role_assignments"] + 1
    assert after["tables"]["members"] == 200
