"""The 3-day reminder: a step waiting 3 days reminds whoever must decide it (the secretaries
of the branch, the admins of the committee), a returned transfer its starter; once per
3-day window. The notify worker runs it: it is registered where the other jobs are."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import FastAPI

from app.kit.clock import FrozenClock
from app.models import NotificationKind, Role
from app.notify.catalogue import KIND_VALUES
from app.notify.registry import registry_of
from app.transfers.reminders import remind_waiting
from tests.notify.helpers import worker
from tests.transfers.scene import T0, Scene

REMINDER = NotificationKind.TRANSFER_REMINDER


async def run(app: FastAPI, at: datetime) -> int:
    async with app.state.runtime.sessionmaker.begin() as session:
        return await remind_waiting(session, app.state.runtime.settings, at)


async def test_after_3_days_the_deciders_of_the_step_waiting_are_reminded_once_a_window(
    scene: Scene, clock: FrozenClock
) -> None:
    w = scene.world
    second_secretary = await scene.factory.actor(Role.SECRETARY, w.branch_a1)
    asked = await scene.ask(scene.mover, to_org_id=w.branch_a2.id)

    assert await run(scene.app, T0 + timedelta(days=3, seconds=-1)) == 0
    assert await run(scene.app, T0 + timedelta(days=3)) == 1
    deciders = sorted([scene.sec_a1.member.id, second_secretary.member.id])
    assert await scene.told(REMINDER) == [("组织关系转接转出审批提醒：李转接", deciders)]
    [(notice, _)] = await scene.notices(REMINDER)
    assert notice.body == "该转接已等待3天，请尽快办理"
    assert notice.subject == f"transfer:{asked['id']}"
    assert notice.page == f"pages/transfers/detail?id={asked['id']}"
    assert notice.org_id == w.branch_a1.id
    assert notice.data == {
        "member_name": "李转接",
        "from_name": "甲一支部",
        "to_name": "甲二支部",
        "step": "转出审批",
        "waiting_since": "2025-06-01T10:00:00+08:00",
    }
    assert set(KIND_VALUES[REMINDER]) == set(notice.data)
    # Not again within the window; again once the next one has begun.
    assert await run(scene.app, T0 + timedelta(days=5)) == 0
    assert await run(scene.app, T0 + timedelta(days=6)) == 1
    assert len(await scene.told(REMINDER)) == 2

    # Approved on day 7: the in-branch's wait starts then.
    clock.advance(days=7)
    await scene.approve(asked, scene.sec_a1, "out_branch")
    assert await run(scene.app, T0 + timedelta(days=9)) == 0
    assert await run(scene.app, T0 + timedelta(days=10)) == 1
    assert (await scene.told(REMINDER))[-1] == (
        "组织关系转接转入接收提醒：李转接",
        [scene.sec_a2.member.id],
    )


async def test_a_crossing_reminds_the_committee_and_a_returned_one_its_starter(
    scene: Scene, clock: FrozenClock
) -> None:
    w = scene.world
    crossing = await scene.start(scene.sec_a1, to_org_id=w.joint_b.id)
    await scene.approve(crossing, scene.sec_a1, "out_branch")
    returned = await scene.start(
        scene.sec_a1,
        member_id=(await scene.factory.member(w.branch_a1, name="赵退回")).id,
        to_org_id=w.branch_a2.id,
    )
    await scene.refuse("return", returned, scene.sec_a1, "out_branch", "请补充转接原因")
    clock.advance(days=3)
    await worker(scene.app).tick()
    assert sorted(await scene.told(REMINDER)) == sorted(
        [
            ("组织关系转接党委审批提醒：李转接", [scene.admin_b.member.id]),
            ("组织关系转接待修改提醒：赵退回", [scene.sec_a1.member.id]),
        ]
    )
    # Finished transfers are never reminded.
    await scene.call("POST", f"/transfers/{returned['id']}/withdraw", scene.sec_a1, json={})
    await scene.approve(crossing, scene.admin_b, "committee")
    await scene.approve(crossing, scene.sec_b, "in_branch")
    assert await run(scene.app, T0 + timedelta(days=30)) == 0


def test_the_job_is_registered_with_the_worker(app: FastAPI) -> None:
    assert "transfers.remind_waiting" in registry_of(app).jobs
