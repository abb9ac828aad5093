"""Study materials: written by the study managers of their organization, draft → published →
archived; open to the members of its subtree; a video's MP4 or a document's PDF stored."""

from __future__ import annotations

from typing import Any

from app.models import Role
from tests.study.conftest import MATERIALS, Scene, article, error_code

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


async def test_an_article_is_stored_sanitized_with_80_percent_required(scene: Scene) -> None:
    created = await scene.client.post(
        MATERIALS,
        json=article(scene.world.branch_a1, length_seconds=601, summary="第一章学习"),
        headers=scene.manager.headers,
    )
    assert created.status_code == 201, created.text
    material = created.json()
    assert material["status"] == "draft"
    assert material["required_seconds"] == 481  # round(0.8 × 601)
    assert material["body_html"] == "<p>第一章 党员</p>"
    assert "<script>" in material["body"]
    assert material["category"] == "党章党规"


async def test_refusals_of_a_new_material(scene: Scene) -> None:
    branch = scene.world.branch_a1
    cases: list[tuple[dict[str, Any], int, str]] = [
        (article(branch, required_seconds=601), 422, "study.required_exceeds_length"),
        (article(branch, length_seconds=0), 422, "validation_failed"),
        (article(branch, length_seconds=86_401), 422, "validation_failed"),
        (article(branch, body=None), 422, "validation_failed"),
        (
            article(branch, kind="video", body=None, video_url="http://v.example/1"),
            422,
            "validation_failed",
        ),
        (
            article(branch, kind="document", body=None, video_url="https://v.example/1"),
            422,
            "validation_failed",
        ),
        (article(scene.world.branch_a2), 404, "org.not_found"),
    ]
    for body, status, code in cases:
        response = await scene.client.post(MATERIALS, json=body, headers=scene.manager.headers)
        assert (response.status_code, error_code(response)) == (status, code), body
    member = await scene.member()
    response = await scene.client.post(MATERIALS, json=article(branch), headers=member.headers)
    assert response.status_code == 403


async def test_publish_needs_content_and_only_drafts_publish(scene: Scene) -> None:
    headers = scene.manager.headers
    video = await scene.material(publish=False, kind="video", body=None)
    refused = await scene.client.post(f"{MATERIALS}/{video['id']}/publish", headers=headers)
    assert (refused.status_code, error_code(refused)) == (422, "study.material_incomplete")
    patched = await scene.client.patch(
        f"{MATERIALS}/{video['id']}", json={"video_url": "https://v.example/1"}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    published = await scene.client.post(f"{MATERIALS}/{video['id']}/publish", headers=headers)
    assert published.status_code == 200
    assert published.json()["published_at"].endswith("+08:00")
    again = await scene.client.post(f"{MATERIALS}/{video['id']}/publish", headers=headers)
    assert (again.status_code, error_code(again)) == (409, "study.material_not_draft")
    # Published, it may not lose its only content.
    cleared = await scene.client.patch(
        f"{MATERIALS}/{video['id']}", json={"video_url": None}, headers=headers
    )
    assert (cleared.status_code, error_code(cleared)) == (422, "study.material_incomplete")

    document = await scene.material(publish=False, kind="document", body=None)
    refused = await scene.client.post(f"{MATERIALS}/{document['id']}/publish", headers=headers)
    assert error_code(refused) == "study.material_incomplete"


async def test_patch_keeps_required_within_length_and_fields_to_their_kind(scene: Scene) -> None:
    headers = scene.manager.headers
    material = await scene.material(length_seconds=600)  # required 480
    url = f"{MATERIALS}/{material['id']}"
    shorter = await scene.client.patch(url, json={"length_seconds": 400}, headers=headers)
    assert (shorter.status_code, error_code(shorter)) == (422, "study.required_exceeds_length")
    both = await scene.client.patch(
        url, json={"length_seconds": 400, "required_seconds": 300}, headers=headers
    )
    assert both.status_code == 200
    assert (both.json()["length_seconds"], both.json()["required_seconds"]) == (400, 300)
    wrong = await scene.client.patch(
        url, json={"video_url": "https://v.example/1"}, headers=headers
    )
    assert (wrong.status_code, error_code(wrong)) == (422, "study.field_not_for_kind")
    body = await scene.client.patch(
        url, json={"body": '<p onclick="x()">第二章</p>'}, headers=headers
    )
    assert body.json()["body_html"] == "<p>第二章</p>"


async def test_archive_delete_and_their_refusals(scene: Scene) -> None:
    headers = scene.manager.headers
    draft = await scene.material(publish=False)
    published = await scene.material()
    refused = await scene.client.post(f"{MATERIALS}/{draft['id']}/archive", headers=headers)
    assert (refused.status_code, error_code(refused)) == (409, "study.material_not_archivable")
    refused = await scene.client.delete(f"{MATERIALS}/{published['id']}", headers=headers)
    assert (refused.status_code, error_code(refused)) == (409, "study.material_not_deletable")
    archived = await scene.client.post(f"{MATERIALS}/{published['id']}/archive", headers=headers)
    assert archived.json()["status"] == "archived"
    patched = await scene.client.patch(
        f"{MATERIALS}/{published['id']}", json={"title": "改"}, headers=headers
    )
    assert (patched.status_code, error_code(patched)) == (409, "study.material_archived")
    deleted = await scene.client.delete(f"{MATERIALS}/{draft['id']}", headers=headers)
    assert deleted.status_code == 204
    gone = await scene.client.get(f"{MATERIALS}/{draft['id']}", headers=headers)
    assert gone.status_code == 404


async def test_members_see_published_materials_of_their_subtree_with_progress(
    scene: Scene,
) -> None:
    member = await scene.member()
    street_admin = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    own = await scene.material(title="支部资料", category="理论学习")
    above = await scene.material(title="街道资料", org=scene.world.street_a, by=street_admin)
    await scene.material(title="兄弟支部资料", org=scene.world.branch_a2, by=street_admin)
    draft = await scene.material(title="草稿", publish=False)
    video = await scene.material(
        title="视频", kind="video", body=None, video_url="https://v.example/1"
    )
    await scene.beat(member, own["id"])
    scene.clock.advance(seconds=45)
    await scene.beat(member, own["id"], {"position_seconds": 40})

    listed = await scene.client.get(MATERIALS, headers=member.headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [i["title"] for i in items] == ["视频", "街道资料", "支部资料"]
    mine = items[2]
    assert (mine["credited_seconds"], mine["completed"], mine["position_seconds"]) == (
        45,
        False,
        40,
    )
    assert items[0]["credited_seconds"] == 0

    paged = await scene.client.get(MATERIALS, params={"limit": 2}, headers=member.headers)
    second = await scene.client.get(
        MATERIALS,
        params={"limit": 2, "cursor": paged.json()["next_cursor"]},
        headers=member.headers,
    )
    assert [i["id"] for i in paged.json()["items"] + second.json()["items"]] == [
        video["id"],
        above["id"],
        own["id"],
    ]
    by_kind = await scene.client.get(MATERIALS, params={"kind": "video"}, headers=member.headers)
    assert [i["id"] for i in by_kind.json()["items"]] == [video["id"]]
    by_category = await scene.client.get(
        MATERIALS, params={"category": "理论学习"}, headers=member.headers
    )
    assert [i["id"] for i in by_category.json()["items"]] == [own["id"]]

    detail = await scene.client.get(f"{MATERIALS}/{own['id']}", headers=member.headers)
    assert detail.json()["credited_seconds"] == 45
    assert detail.json()["body"] is None  # members get the sanitized HTML only
    hidden = await scene.client.get(f"{MATERIALS}/{draft['id']}", headers=member.headers)
    assert (hidden.status_code, error_code(hidden)) == (404, "study.material_not_found")
    managed = await scene.client.get(f"{MATERIALS}/{draft['id']}", headers=scene.manager.headers)
    assert managed.status_code == 200
    assert managed.json()["body"] is not None


async def test_an_archived_material_stays_readable_for_those_who_studied_it(
    scene: Scene,
) -> None:
    studied_it = await scene.member()
    never = await scene.member()
    material = await scene.material()
    await scene.beat(studied_it, material["id"])
    await scene.client.post(f"{MATERIALS}/{material['id']}/archive", headers=scene.manager.headers)
    shown = await scene.client.get(f"{MATERIALS}/{material['id']}", headers=studied_it.headers)
    assert shown.status_code == 200
    assert shown.json()["status"] == "archived"
    hidden = await scene.client.get(f"{MATERIALS}/{material['id']}", headers=never.headers)
    assert hidden.status_code == 404
    listed = await scene.client.get(MATERIALS, headers=studied_it.headers)
    assert listed.json()["items"] == []


async def test_managed_list_covers_the_scope_any_status(scene: Scene) -> None:
    street_admin = await scene.factory.actor(Role.COMMITTEE_ADMIN, scene.world.street_a)
    own = await scene.material(publish=False)
    other = await scene.material(org=scene.world.branch_a2, by=street_admin)
    url = f"{MATERIALS}/managed"
    mine = await scene.client.get(url, headers=scene.manager.headers)
    assert [i["id"] for i in mine.json()["items"]] == [own["id"]]
    everything = await scene.client.get(url, headers=street_admin.headers)
    assert [i["id"] for i in everything.json()["items"]] == [other["id"], own["id"]]
    drafts = await scene.client.get(url, params={"status": "draft"}, headers=street_admin.headers)
    assert [i["id"] for i in drafts.json()["items"]] == [own["id"]]
    in_a2 = await scene.client.get(
        url, params={"org_id": scene.world.branch_a2.id}, headers=street_admin.headers
    )
    assert [i["id"] for i in in_a2.json()["items"]] == [other["id"]]
    member = await scene.member()
    assert (await scene.client.get(url, headers=member.headers)).status_code == 403


async def upload(scene: Scene, material_id: int, data: bytes, name: str, content_type: str) -> Any:
    return await scene.client.post(
        f"{MATERIALS}/{material_id}/file",
        files={"file": (name, data, content_type)},
        headers=scene.manager.headers,
    )


async def test_a_document_is_uploaded_published_and_downloaded_by_its_members(
    scene: Scene,
) -> None:
    document = await scene.material(publish=False, kind="document", body=None)
    stored = await upload(scene, document["id"], PDF, "党章.pdf", "application/pdf")
    assert stored.status_code == 200, stored.text
    assert (stored.json()["has_file"], stored.json()["filename"]) == (True, "党章.pdf")
    published = await scene.client.post(
        f"{MATERIALS}/{document['id']}/publish", headers=scene.manager.headers
    )
    assert published.status_code == 200, published.text
    member = await scene.member()
    got = await scene.client.get(f"{MATERIALS}/{document['id']}/file", headers=member.headers)
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    outsider = await scene.member(scene.world.branch_a2)
    hidden = await scene.client.get(f"{MATERIALS}/{document['id']}/file", headers=outsider.headers)
    assert (hidden.status_code, error_code(hidden)) == (404, "study.material_not_found")


async def test_uploads_are_sniffed_and_limited(scene: Scene) -> None:
    video = await scene.material(publish=False, kind="video", body=None)
    art = await scene.material(publish=False)
    cases = [
        (video["id"], PDF, "a.mp4", "video/mp4", 422, "study.file_type_not_allowed"),
        (video["id"], MP4, "a.pdf", "application/pdf", 422, "study.file_type_not_allowed"),
        (video["id"], b"", "a.mp4", "video/mp4", 422, "study.file_empty"),
        (art["id"], PDF, "a.pdf", "application/pdf", 422, "study.file_type_not_allowed"),
    ]
    for material_id, data, name, content_type, status, code in cases:
        response = await upload(scene, material_id, data, name, content_type)
        assert (response.status_code, error_code(response)) == (status, code), name
    unknown = await upload(scene, video["id"], MP4, "学习.mp4", "application/octet-stream")
    assert unknown.status_code == 200, unknown.text
    assert unknown.json()["content_type"] == "video/mp4"
    scene.app.state.runtime.settings.study_file_max_bytes = 50
    too_large = await upload(scene, video["id"], MP4, "a.mp4", "video/mp4")
    assert (too_large.status_code, error_code(too_large)) == (413, "study.file_too_large")
    missing = await scene.client.post(
        f"{MATERIALS}/{video['id']}/file", json={}, headers=scene.manager.headers
    )
    assert (missing.status_code, error_code(missing)) == (422, "study.file_missing")
    no_file = await scene.client.get(f"{MATERIALS}/{art['id']}/file", headers=scene.manager.headers)
    assert (no_file.status_code, error_code(no_file)) == (404, "study.file_not_found")
