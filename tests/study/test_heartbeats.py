"""Self-study time is credited by the server's clock alone (issue 11, item 4): at most 60 s a
beat, nothing after a silence over 90 s or a beat on another material, never past 1.5 × the
length, nothing after completion, whatever the body says and however many beats race."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.kit.clock import Clock
from app.models import PointKind, PointRule, StudyDaily, StudyPresence
from tests.fixtures.apps import SpawnApp
from tests.study.conftest import MATERIALS, Scene, error_code


async def test_a_beat_credits_the_time_since_the_previous_one_at_most_60_s(scene: Scene) -> None:
    member = await scene.member()
    material = await scene.material(length_seconds=600)

    first = await scene.beat(member, material["id"])
    assert first.status_code == 200, first.text
    assert first.json() == {
        "material_id": material["id"],
        "credited_seconds": 0,
        "required_seconds": 480,
        "completed": False,
    }
    scene.clock.advance(seconds=30)
    assert (await scene.beat(member, material["id"])).json()["credited_seconds"] == 30
    scene.clock.advance(seconds=75)  # a late beat credits 60, not 75
    assert (await scene.beat(member, material["id"])).json()["credited_seconds"] == 90
    detail = await scene.client.get(f"{MATERIALS}/{material['id']}", headers=member.headers)
    assert detail.status_code == 200
    shown = detail.json()
    assert (shown["credited_seconds"], shown["required_seconds"], shown["completed"]) == (
        90,
        480,
        False,
    )
    assert [(d.day, d.seconds) for d in await scene.daily(member)] == [(date(2025, 6, 1), 90)]


async def test_a_gap_over_90_s_credits_nothing_and_starts_a_new_stretch(scene: Scene) -> None:
    member = await scene.member()
    material = await scene.material()
    await scene.beat(member, material["id"])
    scene.clock.advance(seconds=90)
    assert (await scene.beat(member, material["id"])).json()["credited_seconds"] == 60
    scene.clock.advance(seconds=91)
    assert (await scene.beat(member, material["id"])).json()["credited_seconds"] == 60
    scene.clock.advance(seconds=30)  # the new stretch counts from the late beat
    assert (await scene.beat(member, material["id"])).json()["credited_seconds"] == 90


async def test_two_materials_beaten_alternately_credit_no_double_time(scene: Scene) -> None:
    member = await scene.member()
    a = await scene.material(title="资料甲")
    b = await scene.material(title="资料乙")
    started = scene.clock.now()
    credited = {}
    for material in (a, b) * 5:
        response = await scene.beat(member, material["id"])
        credited[material["id"]] = response.json()["credited_seconds"]
        scene.clock.advance(seconds=20)
    assert credited == {a["id"]: 0, b["id"]: 0}

    # Staying on one material again credits from its own previous beat only.
    await scene.beat(member, a["id"])
    scene.clock.advance(seconds=30)
    assert (await scene.beat(member, a["id"])).json()["credited_seconds"] == 30
    scene.clock.advance(seconds=10)
    assert (await scene.beat(member, b["id"])).json()["credited_seconds"] == 0
    total = sum(d.seconds for d in await scene.daily(member))
    assert total == 30 <= (scene.clock.now() - started).total_seconds()


async def test_nothing_is_credited_past_one_and_a_half_times_the_length(scene: Scene) -> None:
    """A beat ends the study of a short material: completion stops credit, and the ceiling
    holds the beat that completes it (in-person sessions meet it too: test_sessions)."""
    member = await scene.member()
    material = await scene.material(length_seconds=20, required_seconds=20)
    answer = await scene.beats(member, material["id"], count=2, every=60)
    assert answer == {
        "material_id": material["id"],
        "credited_seconds": 30,
        "required_seconds": 20,
        "completed": True,
    }
    assert sum(d.seconds for d in await scene.daily(member)) == 30


async def test_completion_at_the_required_time_and_later_beats_credit_nothing(
    scene: Scene,
) -> None:
    member = await scene.member()
    material = await scene.material(length_seconds=200)  # required: 160
    answers = [await scene.beats(member, material["id"], count=3, every=60)]
    assert answers[0]["credited_seconds"] == 120
    assert answers[0]["completed"] is False
    scene.clock.advance(seconds=40)
    done = await scene.beat(member, material["id"])
    assert done.json() == {
        "material_id": material["id"],
        "credited_seconds": 160,
        "required_seconds": 160,
        "completed": True,
    }
    completed_at = scene.clock.now()
    scene.clock.advance(seconds=30)
    after = await scene.beat(member, material["id"])
    assert after.status_code == 200
    assert after.json()["credited_seconds"] == 160
    progress = await scene.progress(member, material["id"])
    assert progress is not None
    assert progress.completed_at == completed_at
    completions = [p for p in await scene.points(member) if p.kind is PointKind.MATERIAL_COMPLETED]
    assert [(p.source, p.points) for p in completions] == [
        (f"material:{material['id']}:completed", 2)
    ]


async def test_a_client_time_in_the_body_is_refused_and_changes_nothing(scene: Scene) -> None:
    member = await scene.member()
    material = await scene.material(kind="video", body=None, video_url="https://v.example/1")
    await scene.beat(member, material["id"])
    first_beat = scene.clock.now()
    scene.clock.advance(seconds=30)
    for forged in (
        {"client_time": "2025-06-01T12:00:00+08:00"},
        {"position_seconds": 10, "seconds": 3600},
        {"position_seconds": 10, "started_at": "2025-06-01T09:00:00+08:00"},
    ):
        refused = await scene.beat(member, material["id"], forged)
        assert refused.status_code == 422, refused.text
    async with scene.sessions()() as session:
        presence = await session.get(StudyPresence, member.member.id)
    assert presence is not None
    assert presence.last_beat_at == first_beat
    progress = await scene.progress(member, material["id"])
    assert progress is not None
    assert progress.credited_seconds == 0

    # The position is the only thing a beat carries: kept for resuming, never time.
    kept = await scene.beat(member, material["id"], {"position_seconds": 420})
    assert kept.json()["credited_seconds"] == 30
    progress = await scene.progress(member, material["id"])
    assert progress is not None
    assert progress.position_seconds == 420
    past = await scene.beat(member, material["id"], {"position_seconds": 601})
    assert past.status_code == 422
    assert error_code(past) == "study.position_out_of_range"


async def test_a_member_outside_the_organization_gets_404(scene: Scene) -> None:
    material = await scene.material()
    outsider = await scene.member(scene.world.branch_a2)
    refused = await scene.beat(outsider, material["id"])
    assert refused.status_code == 404
    assert error_code(refused) == "study.material_not_found"
    assert await scene.progress(outsider, material["id"]) is None
    async with scene.sessions()() as session:
        assert await session.get(StudyPresence, outsider.member.id) is None

    # Working at a social organization of the branch opens it too.
    worker = await scene.member(scene.world.branch_a2, workplace=scene.world.social_a1)
    assert (await scene.beat(worker, material["id"])).status_code == 200


async def test_draft_and_archived_materials_refuse_beats(scene: Scene) -> None:
    member = await scene.member()
    draft = await scene.material(publish=False)
    refused = await scene.beat(member, draft["id"])
    assert (refused.status_code, error_code(refused)) == (404, "study.material_not_found")

    studied = await scene.material()
    never = await scene.material()
    await scene.beat(member, studied["id"])
    for material in (studied, never):
        archived = await scene.client.post(
            f"{MATERIALS}/{material['id']}/archive", headers=scene.manager.headers
        )
        assert archived.status_code == 200, archived.text
    scene.clock.advance(seconds=30)
    refused = await scene.beat(member, studied["id"])
    assert (refused.status_code, error_code(refused)) == (409, "study.material_archived")
    refused = await scene.beat(member, never["id"])
    assert (refused.status_code, error_code(refused)) == (404, "study.material_not_found")


async def test_points_are_written_once_per_started_unit_and_once_for_completion(
    scene: Scene,
) -> None:
    member = await scene.member()
    material = await scene.material(length_seconds=1000, required_seconds=700)
    await scene.beats(member, material["id"], count=12, every=60)  # 660 s: 3 started units
    scene.clock.advance(seconds=60)
    await scene.beat(member, material["id"])  # 720 s: done, no new unit
    entries = await scene.points(member)
    assert [(e.kind, e.source, e.points) for e in entries] == [
        (PointKind.STUDY_TIME, f"material:{material['id']}:unit:1", 1),
        (PointKind.STUDY_TIME, f"material:{material['id']}:unit:2", 1),
        (PointKind.STUDY_TIME, f"material:{material['id']}:unit:3", 1),
        (PointKind.MATERIAL_COMPLETED, f"material:{material['id']}:completed", 2),
    ]
    scene.clock.advance(seconds=60)
    await scene.beats(member, material["id"], count=3, every=60)  # completed: nothing more
    assert len(await scene.points(member)) == 4


async def test_the_daily_cap_of_study_points_holds_across_midnight_in_beijing(
    scene: Scene,
) -> None:
    """A committee's rule of 1 point a started minute, 2 a day: 23:56 to 00:02 Beijing time."""
    async with scene.sessions().begin() as session:
        session.add(
            PointRule(
                org_id=scene.world.street_a.id,
                kind=PointKind.STUDY_TIME,
                points=1,
                unit_seconds=60,
                daily_cap=2,
                updated_at=scene.clock.now(),
            )
        )
    member = await scene.member()
    material = await scene.material(length_seconds=3600)
    scene.clock.at = datetime(2025, 6, 1, 15, 56, tzinfo=UTC)  # 23:56 on 1 June in Beijing
    await scene.beats(member, material["id"], count=7, every=60)  # the last at 00:02
    entries = await scene.points(member)
    first, second = date(2025, 6, 1), date(2025, 6, 2)
    assert [(e.source.rsplit(":", 1)[-1], e.day, e.points) for e in entries] == [
        ("1", first, 1),
        ("2", first, 1),
        ("3", first, 0),  # capped, still on record
        ("4", second, 1),  # the beat at 00:00 counts for the new day
        ("5", second, 1),
        ("6", second, 0),
    ]
    assert [(d.day, d.seconds) for d in await scene.daily(member)] == [
        (first, 180),
        (second, 180),
    ]


@pytest.mark.postgres_only
@pytest.mark.parametrize("clock", [Clock()])  # the real clock: these beats truly race
async def test_racing_beats_never_credit_more_than_the_wall_clock(
    scene: Scene, spawn_app: SpawnApp
) -> None:
    member = await scene.member()
    material = await scene.material(length_seconds=3600)
    clients = [scene.client] + [
        (await spawn_app(scene.app.state.runtime.settings))[1] for _ in range(2)
    ]
    started = time.monotonic()
    assert (await scene.beat(member, material["id"])).status_code == 200
    await asyncio.sleep(2.5)  # time to credit: a naive server would credit it 20 times
    url = f"{MATERIALS}/{material['id']}/heartbeats"
    answers = await asyncio.gather(
        *(clients[i % 3].post(url, headers=member.headers) for i in range(20))
    )
    elapsed = time.monotonic() - started
    assert {a.status_code for a in answers} == {200}
    progress = await scene.progress(member, material["id"])
    assert progress is not None
    assert 2 <= progress.credited_seconds <= elapsed
    assert max(a.json()["credited_seconds"] for a in answers) == progress.credited_seconds
    async with scene.sessions()() as session:
        daily = await session.scalar(select(func.sum(StudyDaily.seconds)))
    assert daily == progress.credited_seconds
