"""Races on PostgreSQL (SQLite has one writer at a time): two approvals of one step leave one
decision, two transfers of one member at once leave one, and two reminder runs at once
remind once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, select
from sqlalchemy.util import await_only

from app.models import NotificationKind, TransferEvent
from app.transfers.reminders import remind_waiting
from tests.transfers.scene import OUTSIDE, T0, V1, Scene

pytestmark = pytest.mark.postgres_only


@contextmanager
def both_at(app: FastAPI, statement: str) -> Iterator[None]:
    """Holds each of two transactions before the first statement starting with
    ``statement`` until the other has reached it too."""
    barrier = asyncio.Barrier(2)
    engine = app.state.runtime.engine.sync_engine
    held: list[str] = []

    def hold(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.lstrip().startswith(statement) and len(held) < 2:
            held.append(sql)
            await_only(asyncio.wait_for(barrier.wait(), timeout=10))

    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", hold)
    assert len(held) == 2, f"the race never reached {statement!r}"


async def test_two_approvals_of_one_step_at_once_leave_one_decision(scene: Scene) -> None:
    asked = await scene.ask(scene.mover, to_org_id=scene.world.branch_a2.id)
    url = f"{V1}/transfers/{asked['id']}/approve"
    with both_at(scene.app, "SELECT transfers."):
        responses = await asyncio.gather(
            *(
                scene.client.post(url, json={"step": "out_branch"}, headers=actor.headers)
                for actor in (scene.sec_a1, scene.admin_a)
            )
        )
    assert sorted(r.status_code for r in responses) == [200, 409]
    [refused] = [r.json() for r in responses if r.status_code == 409]
    assert refused["error"]["code"] == "transfer.already_decided"
    async with scene.app.state.runtime.sessionmaker() as session:
        decisions = (
            await session.scalars(
                select(TransferEvent.action).where(TransferEvent.transfer_id == asked["id"])
            )
        ).all()
    assert [d.value for d in decisions] == ["created", "approved"]
    assert (await scene.get(asked, scene.mover))["step"] == "in_branch"
    assert len(await scene.told(NotificationKind.TRANSFER_DECIDED)) == 1


async def test_two_last_approvals_at_once_move_the_relation_once(scene: Scene) -> None:
    w = scene.world
    started = await scene.start(scene.sec_a1, to_org_id=w.branch_a2.id)
    await scene.approve(started, scene.sec_a1, "out_branch")
    url = f"{V1}/transfers/{started['id']}/approve"
    with both_at(scene.app, "SELECT transfers."):
        responses = await asyncio.gather(
            *(
                scene.client.post(url, json={"step": "in_branch"}, headers=actor.headers)
                for actor in (scene.sec_a2, scene.admin_a)
            )
        )
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert await scene.ledger() == [
        ("transferred_out", w.branch_a1.id, None),
        ("transferred_in", w.branch_a2.id, None),
    ]


async def test_two_transfers_of_one_member_at_once_leave_one(scene: Scene) -> None:
    w = scene.world
    with both_at(scene.app, "INSERT INTO transfers "):
        responses = await asyncio.gather(
            scene.client.post(
                f"{V1}/transfers",
                json={"member_id": scene.mover.member.id, **OUTSIDE},
                headers=scene.sec_a1.headers,
            ),
            scene.client.post(
                f"{V1}/me/transfers",
                json={"to_org_id": w.branch_a2.id},
                headers=scene.mover.headers,
            ),
        )
    assert sorted(r.status_code for r in responses) == [201, 409]
    [refused] = [r.json() for r in responses if r.status_code == 409]
    assert refused["error"]["code"] == "transfer.already_open"


async def test_two_reminder_runs_at_once_remind_once(scene: Scene) -> None:
    await scene.ask(scene.mover, to_org_id=scene.world.branch_a2.id)
    runtime = scene.app.state.runtime
    at = T0 + timedelta(days=3)

    async def run() -> int:
        async with runtime.sessionmaker.begin() as session:
            return await remind_waiting(session, runtime.settings, at)

    with both_at(scene.app, "SELECT transfers."):
        counts = await asyncio.gather(run(), run())
    assert sorted(counts) == [0, 1]
    assert len(await scene.told(NotificationKind.TRANSFER_REMINDER)) == 1
