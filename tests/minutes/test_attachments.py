from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.kit.clock import FrozenClock
from app.minutes.service import DOCX
from app.models import Activity, MinutesAttachment, Role
from tests.factories import Actor, Factory, World, build_world
from tests.leave.helpers import V1, create_activity, snapshot

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
ZIP = b"PK\x03\x04" + b"\x00" * 64
MIB = 1024 * 1024


@dataclass
class Scene:
    world: World
    secretary: Actor
    reviewer: Actor
    activity_id: int


@pytest.fixture
async def scene(client: httpx.AsyncClient, factory: Factory, clock: FrozenClock) -> Scene:
    world = await build_world(factory)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    reviewer = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    activity_id = await create_activity(
        client, secretary.headers, world.branch_a1, starts_at=clock.now() + timedelta(hours=1)
    )
    return Scene(world, secretary, reviewer, activity_id)


def attachments_url(activity_id: int, attachment_id: int | None = None) -> str:
    base = f"{V1}/activities/{activity_id}/attachments"
    return base if attachment_id is None else f"{base}/{attachment_id}"


async def upload(
    client: httpx.AsyncClient,
    scene: Scene,
    data: bytes,
    filename: str = "会议照片.jpg",
    content_type: str = "image/jpeg",
    *,
    headers: dict[str, str] | None = None,
    activity_id: int | None = None,
) -> httpx.Response:
    return await client.post(
        attachments_url(activity_id or scene.activity_id),
        files={"file": (filename, data, content_type)},
        headers=headers or scene.secretary.headers,
    )


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def stored_files(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


async def attachment_rows(app: FastAPI) -> list[MinutesAttachment]:
    async with app.state.runtime.sessionmaker() as session:
        return list(
            (await session.scalars(select(MinutesAttachment).order_by(MinutesAttachment.id))).all()
        )


async def test_upload_list_download_and_delete(
    client: httpx.AsyncClient, scene: Scene, app: FastAPI, storage_dir: Path, clock: FrozenClock
) -> None:
    uploaded = await upload(client, scene, JPEG, "主题党日合影.jpg")
    assert uploaded.status_code == 201, uploaded.text
    meta = uploaded.json()
    assert meta["filename"] == "主题党日合影.jpg"
    assert meta["content_type"] == "image/jpeg"
    assert meta["size_bytes"] == len(JPEG)
    assert meta["uploaded_by_account_id"] == scene.secretary.account.id
    [(key, content)] = stored_files(storage_dir).items()
    assert content == JPEG
    assert key.startswith(f"activities/{scene.activity_id}/")
    assert "主题" not in key
    [row] = await attachment_rows(app)
    assert row.storage_key == key
    assert row.created_at == clock.now()

    listed = await client.get(attachments_url(scene.activity_id), headers=scene.reviewer.headers)
    assert listed.status_code == 200
    assert listed.json() == {"items": [meta], "next_cursor": None}

    clock.advance(hours=2)
    await client.put(
        f"{V1}/activities/{scene.activity_id}/minutes",
        json={"content": "记录"},
        headers=scene.secretary.headers,
    )
    minutes = await client.get(
        f"{V1}/activities/{scene.activity_id}/minutes", headers=scene.secretary.headers
    )
    assert minutes.json()["attachments"] == [meta]

    downloaded = await client.get(
        attachments_url(scene.activity_id, meta["id"]), headers=scene.reviewer.headers
    )
    assert downloaded.status_code == 200
    assert downloaded.content == JPEG
    assert downloaded.headers["content-type"] == "image/jpeg"
    assert downloaded.headers["x-content-type-options"] == "nosniff"
    disposition = downloaded.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert f"filename*=UTF-8''{quote('主题党日合影.jpg')}" in disposition
    assert disposition.isascii()

    deleted = await client.delete(
        attachments_url(scene.activity_id, meta["id"]), headers=scene.secretary.headers
    )
    assert deleted.status_code == 204
    assert stored_files(storage_dir) == {}
    assert await attachment_rows(app) == []
    assert (
        await client.get(attachments_url(scene.activity_id), headers=scene.secretary.headers)
    ).json() == {"items": [], "next_cursor": None}
    gone = await client.get(
        attachments_url(scene.activity_id, meta["id"]), headers=scene.secretary.headers
    )
    assert gone.status_code == 404
    assert error_code(gone) == "attachment.not_found"


async def test_attachments_are_paged_oldest_first(client: httpx.AsyncClient, scene: Scene) -> None:
    ids = []
    files = [
        ("一.jpg", JPEG, "image/jpeg"),
        ("二.png", PNG, "image/png"),
        ("三.pdf", PDF, "application/pdf"),
    ]
    for name, data, kind in files:
        uploaded = await upload(client, scene, data, name, kind)
        assert uploaded.status_code == 201, uploaded.text
        ids.append(uploaded.json()["id"])
    url = attachments_url(scene.activity_id)

    first = await client.get(url, params={"limit": 1}, headers=scene.reviewer.headers)
    assert first.status_code == 200, first.text
    assert [(a["id"], a["filename"]) for a in first.json()["items"]] == [(ids[0], "一.jpg")]
    assert first.json()["next_cursor"]
    rest = await client.get(
        url,
        params={"limit": 5, "cursor": first.json()["next_cursor"]},
        headers=scene.reviewer.headers,
    )
    assert rest.status_code == 200, rest.text
    assert [a["id"] for a in rest.json()["items"]] == ids[1:]
    assert rest.json()["next_cursor"] is None


@pytest.mark.parametrize(
    ("filename", "content_type", "data", "stored_type"),
    [
        ("会议议程.pdf", "application/pdf", PDF, "application/pdf"),
        ("签到表.pdf", "application/octet-stream", PDF, "application/pdf"),  # wx without a type
        ("照片.PNG", "image/png", PNG, "image/png"),
        ("photo.jpg", "image/jpg", JPEG, "image/jpeg"),
        ("心得.docx", DOCX, ZIP, DOCX),
        (
            "名单.xlsx",
            "application/octet-stream",
            ZIP,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("现场.webp", "image/webp", b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 16, "image/webp"),
    ],
)
async def test_allowed_types(
    client: httpx.AsyncClient,
    scene: Scene,
    filename: str,
    content_type: str,
    data: bytes,
    stored_type: str,
) -> None:
    response = await upload(client, scene, data, filename, content_type)
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == stored_type
    downloaded = await client.get(
        attachments_url(scene.activity_id, response.json()["id"]), headers=scene.secretary.headers
    )
    assert downloaded.headers["content-type"] == stored_type
    assert downloaded.content == data


@pytest.mark.parametrize(
    ("filename", "content_type", "data"),
    [
        ("notes.txt", "text/plain", b"hello"),
        ("page.html", "text/html", b"<script>alert(1)</script>"),
        ("setup.exe", "application/octet-stream", b"MZ\x90\x00"),
        ("no-extension", "application/octet-stream", PDF),
        ("fake.png", "image/png", b"<svg onload=alert(1)>"),  # claims PNG, is not
        ("fake.pdf", "application/pdf", JPEG),
        ("fake.webp", "image/webp", b"RIFF\x10\x00\x00\x00WAVEfmt "),
        ("drawing.svg", "image/svg+xml", b"<svg/>"),
    ],
)
async def test_other_types_are_refused(
    client: httpx.AsyncClient,
    scene: Scene,
    app: FastAPI,
    storage_dir: Path,
    filename: str,
    content_type: str,
    data: bytes,
) -> None:
    response = await upload(client, scene, data, filename, content_type)
    assert response.status_code == 422, response.text
    assert error_code(response) == "attachment.type_not_allowed"
    assert "image/jpeg" in response.json()["error"]["details"]["allowed"]
    assert stored_files(storage_dir) == {}
    assert await attachment_rows(app) == []


async def test_an_empty_file_is_refused(
    client: httpx.AsyncClient, scene: Scene, storage_dir: Path
) -> None:
    response = await upload(client, scene, b"", "空.pdf", "application/pdf")
    assert response.status_code == 422
    assert error_code(response) == "attachment.empty"
    assert stored_files(storage_dir) == {}


async def test_a_request_without_the_file_field_is_refused(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    url = attachments_url(scene.activity_id)
    headers = scene.secretary.headers
    for response in (
        await client.post(url, files={"photo": ("a.jpg", JPEG, "image/jpeg")}, headers=headers),
        await client.post(
            url,
            data={"file": "not a file"},
            files={"other": ("a.jpg", JPEG, "image/jpeg")},
            headers=headers,
        ),
        await client.post(url, data={"file": "not a file"}, headers=headers),
        await client.post(url, json={"file": "x"}, headers=headers),
        await client.post(url, headers=headers),
        await client.post(
            url,
            content=b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            b"\r\nunterminated",
            headers={**headers, "Content-Type": "multipart/form-data; boundary=b"},
        ),
    ):
        assert response.status_code == 422, response.text
        assert error_code(response) in ("attachment.file_missing", "attachment.malformed_upload")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\张三\\Desktop\\学习总结.pdf", "学习总结.pdf"),
        ("  \u202egpj.pdf  ", "gpj.pdf"),
        ("..", "附件.pdf"),
        ("长" * 250 + ".pdf", "长" * 196 + ".pdf"),
    ],
)
async def test_filenames_are_sanitized(
    client: httpx.AsyncClient, scene: Scene, sent: str, kept: str
) -> None:
    response = await upload(client, scene, PDF, sent, "application/pdf")
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == kept
    assert len(kept) <= 200


async def test_control_characters_are_dropped_from_filenames(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    # Sent raw: httpx would percent-encode them itself.
    raw = (
        b'--b\r\nContent-Disposition: form-data; name="file"; '
        b'filename="\xe7\xba\xaa\x7f\x1b[31m\t\xe8\xa6\x81.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n--b--\r\n"
    )
    response = await client.post(
        attachments_url(scene.activity_id),
        content=raw,
        headers={**scene.secretary.headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "纪[31m要.pdf"


async def test_the_size_cap(
    client: httpx.AsyncClient, scene: Scene, app: FastAPI, storage_dir: Path
) -> None:
    limit = app.state.runtime.settings.attachment_max_bytes
    assert limit == 10 * MIB  # the default
    at_limit = JPEG + b"\x00" * (limit - len(JPEG))
    accepted = await upload(client, scene, at_limit)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["size_bytes"] == limit
    before = stored_files(storage_dir)

    refused = await upload(client, scene, at_limit + b"\x00")
    assert refused.status_code == 413
    assert error_code(refused) == "attachment.too_large"
    assert refused.json()["error"]["details"] == {"max_bytes": limit, "max_size": "10 MB"}
    assert "10 MB" in refused.json()["error"]["message"]
    assert stored_files(storage_dir) == before
    assert len(await attachment_rows(app)) == 1


async def test_an_oversized_stream_is_cut_off_early(
    client: httpx.AsyncClient, scene: Scene, app: FastAPI, storage_dir: Path
) -> None:
    """Sent without a Content-Length, in 1 MiB chunks: reading stops soon after the limit."""
    sent_chunks = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent_chunks
        yield (
            b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n" + JPEG
        )
        for _ in range(100):
            sent_chunks += 1
            yield b"\x00" * MIB
        yield b"\r\n--xyz--\r\n"

    response = await client.post(
        attachments_url(scene.activity_id),
        content=body(),
        headers={**scene.secretary.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code == 413
    assert error_code(response) == "attachment.too_large"
    assert sent_chunks <= 11  # 10 MiB limit: the 11th chunk crosses it, nothing more is read
    assert stored_files(storage_dir) == {}
    assert await attachment_rows(app) == []


async def test_a_declared_length_far_over_the_cap_is_refused_before_reading(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    read = False

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        read = True
        yield b"--xyz--\r\n"

    response = await client.post(
        attachments_url(scene.activity_id),
        content=body(),
        headers={
            **scene.secretary.headers,
            "Content-Type": "multipart/form-data; boundary=xyz",
            "Content-Length": str(50 * MIB),
        },
    )
    assert response.status_code == 413
    assert error_code(response) == "attachment.too_large"
    assert not read


async def test_attachments_are_final_once_the_minutes_are_reviewed(
    client: httpx.AsyncClient, scene: Scene, clock: FrozenClock, app: FastAPI, storage_dir: Path
) -> None:
    kept = (await upload(client, scene, JPEG)).json()
    clock.advance(hours=2)
    await client.put(
        f"{V1}/activities/{scene.activity_id}/minutes",
        json={"content": "记录"},
        headers=scene.secretary.headers,
    )
    assert (
        await client.post(
            f"{V1}/activities/{scene.activity_id}/minutes/review", headers=scene.reviewer.headers
        )
    ).status_code == 200
    files = stored_files(storage_dir)

    added = await upload(client, scene, PNG, "补充.png", "image/png")
    assert added.status_code == 409
    assert error_code(added) == "minutes.reviewed"
    removed = await client.delete(
        attachments_url(scene.activity_id, kept["id"]), headers=scene.secretary.headers
    )
    assert removed.status_code == 409
    assert error_code(removed) == "minutes.reviewed"
    assert stored_files(storage_dir) == files
    assert len(await attachment_rows(app)) == 1
    downloaded = await client.get(
        attachments_url(scene.activity_id, kept["id"]), headers=scene.secretary.headers
    )
    assert downloaded.status_code == 200
    assert downloaded.content == JPEG


async def test_an_attachment_of_another_activity_is_not_found(
    client: httpx.AsyncClient, scene: Scene, clock: FrozenClock, app: FastAPI
) -> None:
    other = await create_activity(
        client,
        scene.secretary.headers,
        scene.world.branch_a1,
        starts_at=clock.now() + timedelta(days=1),
    )
    attachment = (await upload(client, scene, JPEG, activity_id=other)).json()
    for method in ("GET", "DELETE"):
        response = await client.request(
            method,
            attachments_url(scene.activity_id, attachment["id"]),
            headers=scene.secretary.headers,
        )
        assert response.status_code == 404
        assert error_code(response) == "attachment.not_found"
    assert len(await attachment_rows(app)) == 1


async def test_a_file_missing_from_storage_is_a_storage_error(
    client: httpx.AsyncClient, scene: Scene, storage_dir: Path
) -> None:
    attachment = (await upload(client, scene, JPEG)).json()
    for key in stored_files(storage_dir):
        (storage_dir / key).unlink()
    response = await client.get(
        attachments_url(scene.activity_id, attachment["id"]), headers=scene.secretary.headers
    )
    assert response.status_code == 502
    assert error_code(response) == "storage.failed"


async def test_a_sibling_branch_secretary_finds_none_of_it_and_changes_nothing(
    client: httpx.AsyncClient,
    scene: Scene,
    factory: Factory,
    app: FastAPI,
    clock: FrozenClock,
    storage_dir: Path,
) -> None:
    attachment = (await upload(client, scene, JPEG)).json()
    clock.advance(hours=2)
    await client.put(
        f"{V1}/activities/{scene.activity_id}/minutes",
        json={"content": "记录"},
        headers=scene.secretary.headers,
    )
    sibling = await factory.actor(Role.SECRETARY, scene.world.branch_a2)
    minutes_url = f"{V1}/activities/{scene.activity_id}/minutes"
    calls: list[tuple[str, str, dict[str, object]]] = [
        ("GET", minutes_url, {}),
        ("PUT", minutes_url, {"json": {"content": "越权改写"}}),
        ("GET", attachments_url(scene.activity_id), {}),
        (
            "POST",
            attachments_url(scene.activity_id),
            {"files": {"file": ("x.jpg", JPEG, "image/jpeg")}},
        ),
        ("GET", attachments_url(scene.activity_id, attachment["id"]), {}),
        ("DELETE", attachments_url(scene.activity_id, attachment["id"]), {}),
    ]
    before, files = await snapshot(app), stored_files(storage_dir)
    for method, url, kwargs in calls:
        response = await client.request(method, url, headers=sibling.headers, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 404, (method, url, response.text)
        assert error_code(response) == "activity.not_found", (method, url)
    # Reviewing needs minutes:review, which no secretary holds anywhere.
    review = await client.post(f"{minutes_url}/review", headers=sibling.headers)
    assert review.status_code == 403
    assert error_code(review) == "auth.forbidden"
    assert await snapshot(app) == before
    assert stored_files(storage_dir) == files


async def test_an_upload_cut_off_by_the_client_writes_nothing(
    scene: Scene, app: FastAPI, storage_dir: Path
) -> None:
    url = attachments_url(scene.activity_id)
    incoming = [
        {
            "type": "http.request",
            "body": b'--xyz\r\nContent-Disposition: form-data; name="file"; '
            b'filename="a.jpg"\r\n\r\n' + JPEG,
            "more_body": True,
        },
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"multipart/form-data; boundary=xyz"),
            *((k.lower().encode(), v.encode()) for k, v in scene.secretary.headers.items()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 400
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["error"]["code"] == "attachment.upload_interrupted"
    assert stored_files(storage_dir) == {}
    assert await attachment_rows(app) == []


async def test_a_slow_upload_holds_up_no_other_request(
    client: httpx.AsyncClient,
    scene: Scene,
    factory: Factory,
    app: FastAPI,
    clock: FrozenClock,
    storage_dir: Path,
) -> None:
    """On SQLite the writer's first statement takes the database's write lock: while a phone
    is still sending its file, another member's read and another secretary's write go
    through, because the route receives and stores the upload before it writes."""
    other_secretary = await factory.actor(Role.SECRETARY, scene.world.branch_a2)
    last_chunk_wanted = asyncio.Event()
    release = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield (
            b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="'
            + "合影.jpg".encode()
            + b'"\r\nContent-Type: image/jpeg\r\n\r\n'
            + JPEG
        )
        last_chunk_wanted.set()  # the route is reading the body
        await release.wait()
        yield b"\r\n--xyz--\r\n"

    upload = asyncio.create_task(
        client.post(
            attachments_url(scene.activity_id),
            content=slow_body(),
            headers={
                **scene.secretary.headers,
                "Content-Type": "multipart/form-data; boundary=xyz",
            },
        )
    )
    try:
        await asyncio.wait_for(last_chunk_wanted.wait(), timeout=10)
        read = await asyncio.wait_for(
            client.get(f"{V1}/activities/{scene.activity_id}", headers=scene.reviewer.headers),
            timeout=10,
        )
        assert read.status_code == 200, read.text
        other_activity = await asyncio.wait_for(
            create_activity(
                client,
                other_secretary.headers,
                scene.world.branch_a2,
                starts_at=clock.now() + timedelta(days=1),
                publish=False,
            ),
            timeout=10,
        )
        assert not upload.done()  # both answered while the upload was still in flight
    finally:
        release.set()

    uploaded = await asyncio.wait_for(upload, timeout=10)
    assert uploaded.status_code == 201, uploaded.text
    meta = uploaded.json()
    assert meta["filename"] == "合影.jpg"
    assert meta["size_bytes"] == len(JPEG)
    [row] = await attachment_rows(app)
    assert (row.id, row.activity_id, row.content_type) == (
        meta["id"],
        scene.activity_id,
        "image/jpeg",
    )
    assert row.uploaded_by_account_id == scene.secretary.account.id
    assert stored_files(storage_dir) == {row.storage_key: JPEG}
    async with app.state.runtime.sessionmaker() as session:
        created = await session.get(Activity, other_activity)
    assert created is not None
    assert created.org_id == scene.world.branch_a2.id
