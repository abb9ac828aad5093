"""The 六有 checklist of one organization: checking items, photo evidence stored and read
back through its URL, the refusals, who may read and write, and other organizations' 404."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.kit.storage import StorageError
from app.models import OrgKind, Role, VenuePhoto
from tests.factories import Actor, Factory, World, build_world

V1 = "/api/v1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def venue(org_id: int) -> str:
    return f"{V1}/orgs/{org_id}/venue"


def stored_files(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


async def upload(
    client: httpx.AsyncClient,
    actor: Actor,
    org_id: int,
    item: str,
    data: bytes = PNG,
    name: str = "党旗.png",
    content_type: str = "image/png",
) -> httpx.Response:
    return await client.post(
        f"{venue(org_id)}/items/{item}/photos",
        files={"file": (name, data, content_type)},
        headers=actor.headers,
    )


@pytest.fixture
async def world(factory: Factory) -> World:
    return await build_world(factory)


async def test_round_trip_with_a_photo(
    client: httpx.AsyncClient, factory: Factory, world: World, storage_dir: Path
) -> None:
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)

    empty = await client.get(venue(world.branch_a1.id), headers=secretary.headers)
    assert empty.status_code == 200, empty.text
    body = empty.json()
    assert body["met_count"] == 0
    assert [i["item"] for i in body["items"]] == [
        "site",
        "facilities",
        "signage",
        "party_flag",
        "reading",
        "rules",
    ]
    assert [i["label"] for i in body["items"]] == ["场所", "设施", "标志", "党旗", "书报", "制度"]
    assert not any(i["checked"] or i["met"] for i in body["items"])

    put = await client.put(
        f"{venue(world.branch_a1.id)}/items/party_flag",
        json={"met": True, "note": "会议室正面墙悬挂党旗"},
        headers=secretary.headers,
    )
    assert put.status_code == 200, put.text
    flag = put.json()["items"][3]
    assert flag["checked"] is True
    assert flag["met"] is True
    assert flag["note"] == "会议室正面墙悬挂党旗"
    assert flag["checked_by"] == {
        "account_id": secretary.account.id,
        "name": secretary.member.name,
    }
    assert flag["checked_at"].endswith("+08:00")
    assert put.json()["met_count"] == 1

    # A second check replaces the first: the latest holds.
    put = await client.put(
        f"{venue(world.branch_a1.id)}/items/rules",
        json={"met": False, "note": "制度未上墙"},
        headers=secretary.headers,
    )
    assert put.json()["met_count"] == 1
    put = await client.put(
        f"{venue(world.branch_a1.id)}/items/rules", json={"met": True}, headers=secretary.headers
    )
    rules = put.json()["items"][5]
    assert (rules["met"], rules["note"], put.json()["met_count"]) == (True, None, 2)

    uploaded = await upload(client, secretary, world.branch_a1.id, "party_flag")
    assert uploaded.status_code == 201, uploaded.text
    photo = uploaded.json()
    assert photo["filename"] == "党旗.png"
    assert photo["content_type"] == "image/png"
    assert photo["size_bytes"] == len(PNG)
    assert photo["url"] == f"{venue(world.branch_a1.id)}/photos/{photo['id']}"
    assert list(stored_files(storage_dir).values()) == [PNG]

    shown = (await client.get(venue(world.branch_a1.id), headers=secretary.headers)).json()
    assert shown["items"][3]["photos"] == [photo]
    assert all(i["photos"] == [] for n, i in enumerate(shown["items"]) if n != 3)

    downloaded = await client.get(photo["url"], headers=secretary.headers)
    assert downloaded.status_code == 200
    assert downloaded.content == PNG
    assert downloaded.headers["content-type"] == "image/png"

    deleted = await client.delete(photo["url"], headers=secretary.headers)
    assert deleted.status_code == 204
    shown = (await client.get(venue(world.branch_a1.id), headers=secretary.headers)).json()
    assert shown["items"][3]["photos"] == []
    assert stored_files(storage_dir) == {}
    gone = await client.get(photo["url"], headers=secretary.headers)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "venue.photo_not_found"


async def test_refusals(client: httpx.AsyncClient, factory: Factory, world: World) -> None:
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    unknown = await client.put(
        f"{venue(world.branch_a1.id)}/items/garden", json={"met": True}, headers=admin.headers
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "venue.unknown_item"
    assert unknown.json()["error"]["message"].startswith("六有检查项不存在")
    photo = await upload(client, admin, world.branch_a1.id, "garden")
    assert photo.json()["error"]["code"] == "venue.unknown_item"

    for org in (world.street_a, world.social_a1):
        refused = await client.get(venue(org.id), headers=admin.headers)
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "venue.not_applicable"
    general = await factory.org(OrgKind.GENERAL_BRANCH, "甲总支", world.street_a)
    assert (await client.get(venue(general.id), headers=admin.headers)).status_code == 200

    text = await upload(client, admin, world.branch_a1.id, "site", b"hello", "a.txt", "text/plain")
    assert text.status_code == 422
    assert text.json()["error"]["code"] == "venue.photo_type_not_allowed"
    fake = await upload(client, admin, world.branch_a1.id, "site", b"<svg/>", "a.png")
    assert fake.json()["error"]["code"] == "venue.photo_type_not_allowed"
    empty = await upload(client, admin, world.branch_a1.id, "site", b"")
    assert empty.json()["error"]["code"] in ("venue.photo_empty", "venue.photo_missing")
    missing = await client.post(
        f"{venue(world.branch_a1.id)}/items/site/photos",
        files={"photo": ("a.png", PNG, "image/png")},
        headers=admin.headers,
    )
    assert missing.json()["error"]["code"] == "venue.photo_missing"
    octet = await upload(
        client, admin, world.branch_a1.id, "site", JPEG, "现场.jpg", "application/octet-stream"
    )
    assert octet.status_code == 201
    assert octet.json()["content_type"] == "image/jpeg"

    for _ in range(8):
        assert (await upload(client, admin, world.branch_a1.id, "site")).status_code == 201
    full = await upload(client, admin, world.branch_a1.id, "site")
    assert full.status_code == 409
    assert full.json()["error"]["code"] == "venue.too_many_photos"
    assert full.json()["error"]["message"] == "每个检查项最多上传 9 张照片"
    # Another item has room of its own.
    assert (await upload(client, admin, world.branch_a1.id, "reading")).status_code == 201

    bad_note = await client.put(
        f"{venue(world.branch_a1.id)}/items/site",
        json={"met": "yes"},
        headers=admin.headers,
    )
    assert bad_note.status_code == 422


async def test_who_may_read_and_write(
    client: httpx.AsyncClient, factory: Factory, world: World
) -> None:
    url = f"{venue(world.branch_a1.id)}/items/site"
    plain = await factory.actor(None, None, relation=world.branch_a1)
    assert (await client.get(venue(world.branch_a1.id), headers=plain.headers)).status_code == 403
    refused = await client.put(url, json={"met": True}, headers=plain.headers)
    assert refused.status_code == 403

    # An instructor reads the checklist of the street they guide, but does not fill it in.
    instructor = await factory.actor(Role.INSTRUCTOR, world.street_a)
    assert (
        await client.get(venue(world.branch_a1.id), headers=instructor.headers)
    ).status_code == 200
    refused = await client.put(url, json={"met": True}, headers=instructor.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "auth.forbidden"

    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    assert (await client.put(url, json={"met": True}, headers=admin.headers)).status_code == 200
    uploaded = await upload(client, admin, world.branch_a1.id, "site")
    photo_url = uploaded.json()["url"]

    # The sibling branch's secretary and the sibling street's admin: not found.
    sibling = await factory.actor(Role.SECRETARY, world.branch_a2)
    other_admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_b)
    for outsider in (sibling, other_admin):
        for response in (
            await client.get(venue(world.branch_a1.id), headers=outsider.headers),
            await client.put(url, json={"met": False}, headers=outsider.headers),
            await upload(client, outsider, world.branch_a1.id, "site"),
            await client.get(photo_url, headers=outsider.headers),
            await client.delete(photo_url, headers=outsider.headers),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "org.not_found"
    # A photo id of another organization, under one's own: not found either.
    own = await factory.actor(Role.SECRETARY, world.branch_a2)
    photo_id = uploaded.json()["id"]
    crossed = await client.get(
        f"{venue(world.branch_a2.id)}/photos/{photo_id}", headers=own.headers
    )
    assert crossed.json()["error"]["code"] == "venue.photo_not_found"
    crossed = await client.delete(
        f"{venue(world.branch_a2.id)}/photos/{photo_id}", headers=own.headers
    )
    assert crossed.json()["error"]["code"] == "venue.photo_not_found"
    shown = (await client.get(venue(world.branch_a1.id), headers=admin.headers)).json()
    assert shown["items"][0]["met"] is True
    assert len(shown["items"][0]["photos"]) == 1


async def test_a_storage_failure_writes_no_row(
    client: httpx.AsyncClient,
    factory: Factory,
    world: World,
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)

    async def broken(*_: object) -> None:
        raise StorageError(details={"reason": "test"})

    monkeypatch.setattr(app.state.runtime.storage, "put", broken)
    failed = await upload(client, admin, world.branch_a1.id, "site")
    assert failed.status_code == 502
    assert failed.json()["error"]["code"] == "storage.failed"
    async with factory.runtime.sessionmaker() as session:
        assert (await session.scalars(select(VenuePhoto))).all() == []
