"""Self-study time is credited by the server's clock alone (issue 11, item 4)."""

from __future__ import annotations

from tests.study.conftest import Scene


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
