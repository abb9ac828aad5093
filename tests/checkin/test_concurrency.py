"""Exactly one attendance per (member, activity), however many requests race
(reliability 1). The 200-request runs need PostgreSQL, where requests really run in
parallel; the 50-request runs also pass on SQLite, where writers queue one behind another."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import httpx
import pytest

from tests.checkin.conftest import Scene, error_code, new_nonce

COUNTS = [
    pytest.param(200, marks=pytest.mark.postgres_only, id="200"),
    pytest.param(50, id="50"),
]


def summary(responses: list[httpx.Response]) -> Counter[str]:
    return Counter(
        f"{r.status_code} {error_code(r)}" if r.status_code >= 400 else str(r.status_code)
        for r in responses
    )


@pytest.mark.parametrize("count", COUNTS)
async def test_racing_check_ins_with_different_nonces_write_one_row(
    scene: Scene, count: int
) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    token = (await scene.code(meeting["id"]))["token"]

    responses = await asyncio.gather(
        *(
            scene.check_in(member, meeting["id"], nonce=new_nonce(), token=token)
            for _ in range(count)
        )
    )

    outcome = summary(responses)
    assert outcome == {"201": 1, "409 checkin.already_checked_in": count - 1}, outcome
    (winner,) = [r for r in responses if r.status_code == 201]
    for loser in responses:
        if loser.status_code == 409:
            assert loser.json()["error"]["details"]["attendance"] == winner.json()
    rows = await scene.attendances()
    assert len(rows) == 1
    assert rows[0].id == winner.json()["id"]
    assert rows[0].member_id == member.member.id


@pytest.mark.parametrize("count", COUNTS)
async def test_racing_check_ins_with_the_same_nonce_all_get_the_first_answer(
    scene: Scene, count: int
) -> None:
    member = await scene.member()
    meeting = await scene.meeting()
    token = (await scene.code(meeting["id"]))["token"]
    nonce = new_nonce()

    responses = await asyncio.gather(
        *(scene.check_in(member, meeting["id"], nonce=nonce, token=token) for _ in range(count))
    )

    assert summary(responses) == {"201": count}, summary(responses)
    assert len({json.dumps(r.json(), sort_keys=True) for r in responses}) == 1
    rows = await scene.attendances()
    assert len(rows) == 1
    assert rows[0].client_nonce == nonce


@pytest.mark.parametrize("count", COUNTS)
async def test_many_members_racing_each_get_their_own_row(scene: Scene, count: int) -> None:
    """Different members do not block each other out: one row each, each twice requested."""
    members = await scene.members(count // 10)
    meeting = await scene.meeting()
    token = (await scene.code(meeting["id"]))["token"]

    requests = [
        scene.check_in(m, meeting["id"], nonce=new_nonce(), token=token)
        for m in members
        for _ in range(10)
    ]
    responses = await asyncio.gather(*requests)

    outcome = summary(responses)
    assert outcome == {
        "201": len(members),
        "409 checkin.already_checked_in": count - len(members),
    }, outcome
    rows = await scene.attendances()
    assert sorted(r.member_id for r in rows) == sorted(m.member.id for m in members)
