"""Reject with a reason, withdraw by the starter, return for edits and resubmit: what each
leaves, who is told, and what may follow it."""

from __future__ import annotations

from app.models import NotificationKind
from tests.transfers.scene import OUTSIDE, Scene


async def test_a_rejection_ends_the_transfer_with_its_reason(scene: Scene) -> None:
    w = scene.world
    asked = await scene.ask(scene.mover, to_org_id=w.branch_a2.id)
    await scene.approve(asked, scene.sec_a1, "out_branch")
    rejected = await scene.refuse("reject", asked, scene.sec_a2, "in_branch", "本支部不接收")
    assert (rejected["status"], rejected["status_label"]) == ("rejected", "未通过")
    assert rejected["step"] is None
    last = rejected["timeline"][-1]
    assert (last["action"], last["step"]) == ("rejected", "in_branch")
    assert last["reason"] == "本支部不接收"
    assert (await scene.member()).relation_org_id == w.branch_a1.id
    assert await scene.ledger() == []

    [(_, _), (notice, members)] = await scene.notices(NotificationKind.TRANSFER_DECIDED)
    assert notice.title == "组织关系转接未通过：李转接"
    assert notice.body == "转入接收未通过：甲一支部 → 甲二支部。原因：本支部不接收"
    assert members == [scene.mover.member.id]
    assert notice.data["reason"] == "本支部不接收"
    assert notice.data["decision"] == "未通过"

    # Decided: a second decision is refused, and a reason is required.
    again = await scene.approve(asked, scene.sec_a2, "in_branch", expect=409)
    assert again["error"]["code"] == "transfer.already_decided"
    assert again["error"]["message"] == "该步骤已处理，请刷新后查看"
    other = await scene.ask(scene.mover, to_org_id=w.branch_a2.id)
    await scene.call(
        "POST",
        f"/transfers/{other['id']}/reject",
        scene.sec_a1,
        json={"step": "out_branch"},
        expect=422,
    )


async def test_a_decision_must_name_the_step_waiting(scene: Scene) -> None:
    asked = await scene.ask(scene.mover, to_org_id=scene.world.branch_a2.id)
    early = await scene.approve(asked, scene.sec_a2, "in_branch", expect=409)
    assert early["error"]["code"] == "transfer.already_decided"
    assert (await scene.get(asked, scene.mover))["step"] == "out_branch"


async def test_returned_then_edited_and_resubmitted_it_passes_every_step_again(
    scene: Scene,
) -> None:
    w = scene.world
    started = await scene.start(scene.sec_a1, to_org_id=w.branch_a2.id)
    await scene.approve(started, scene.sec_a1, "out_branch")
    returned = await scene.refuse("return", started, scene.sec_a2, "in_branch", "请改转乙联合支部")
    assert (returned["status"], returned["status_label"], returned["step"]) == (
        "returned",
        "退回修改",
        None,
    )
    [_, (notice, members)] = await scene.notices(NotificationKind.TRANSFER_DECIDED)
    assert notice.title == "组织关系转接已退回：李转接"
    assert members == [scene.mover.member.id, scene.sec_a1.member.id]

    url = f"/transfers/{started['id']}/resubmit"
    # Only the starter resubmits.
    for actor in (scene.mover, scene.sec_a2):
        refused = await scene.call("POST", url, actor, json={}, expect=403)
        assert refused["error"]["code"] == "transfer.not_starter"
    edits = {"to_org_id": w.joint_b.id, "letter_number": "甲转字1号"}
    again = await scene.call("POST", url, scene.sec_a1, json=edits)
    assert (again["status"], again["step"]) == ("pending", "out_branch")
    assert again["steps"] == ["out_branch", "committee", "in_branch"]
    assert (again["to_name"], again["letter_number"], again["committee_id"]) == (
        "乙联合支部",
        "甲转字1号",
        w.street_b.id,
    )
    assert [(e["action"], e["reason"]) for e in again["timeline"]] == [
        ("created", None),
        ("approved", None),
        ("returned", "请改转乙联合支部"),
        ("resubmitted", None),
    ]
    refused = await scene.call("POST", url, scene.sec_a1, json={}, expect=409)
    assert refused["error"]["code"] == "transfer.not_returned"
    # The former in-branch no longer sees it.
    await scene.get(started, scene.sec_a2, expect=404)

    await scene.approve(started, scene.sec_a1, "out_branch")
    await scene.approve(started, scene.admin_b, "committee")
    await scene.approve(started, scene.sec_b, "in_branch")
    assert (await scene.member()).relation_org_id == w.joint_b.id


async def test_the_starter_withdraws_before_completion_and_no_one_else(scene: Scene) -> None:
    started = await scene.start(scene.sec_a1, **OUTSIDE)
    url = f"/transfers/{started['id']}/withdraw"
    # The member sees it, but did not start it.
    refused = await scene.call("POST", url, scene.mover, json={}, expect=403)
    assert refused["error"]["code"] == "transfer.not_starter"
    withdrawn = await scene.call("POST", url, scene.sec_a1, json={"reason": "信息填错"})
    assert (withdrawn["status"], withdrawn["status_label"]) == ("withdrawn", "已撤回")
    last = withdrawn["timeline"][-1]
    assert (last["action"], last["step"]) == ("withdrawn", "out_branch")
    assert last["reason"] == "信息填错"
    again = await scene.call("POST", url, scene.sec_a1, json={}, expect=409)
    assert again["error"]["code"] == "transfer.closed"
    refused = await scene.approve(started, scene.sec_a1, "out_branch", expect=409)
    assert refused["error"]["code"] == "transfer.already_decided"
    assert (await scene.member()).departed_at is None

    # A member withdraws their own request; not one already completed.
    asked = await scene.ask(scene.mover, to_org_id=scene.world.branch_a2.id)
    url = f"/transfers/{asked['id']}/withdraw"
    await scene.approve(asked, scene.sec_a1, "out_branch")
    await scene.approve(asked, scene.sec_a2, "in_branch")
    closed = await scene.call("POST", url, scene.mover, json={}, expect=409)
    assert closed["error"]["code"] == "transfer.closed"
    assert closed["error"]["message"] == "转接已办结，不能撤回"


async def test_a_relation_edited_by_hand_meanwhile_is_not_moved_by_old_approvals(
    scene: Scene,
) -> None:
    w = scene.world
    started = await scene.start(scene.sec_a1, to_org_id=w.joint_b.id)
    await scene.approve(started, scene.sec_a1, "out_branch")
    await scene.approve(started, scene.admin_b, "committee")
    edited = {"relation_org_id": w.branch_a2.id}
    await scene.call("PATCH", f"/members/{scene.mover.member.id}", scene.admin_a, json=edited)
    before = await scene.ledger()
    refused = await scene.approve(started, scene.sec_b, "in_branch", expect=409)
    assert refused["error"]["code"] == "transfer.relation_changed"
    assert (await scene.get(started, scene.sec_b))["step"] == "in_branch"
    assert (await scene.member()).relation_org_id == w.branch_a2.id
    assert await scene.ledger() == before
    # Returned to its starter, who withdraws it.
    await scene.refuse("return", started, scene.sec_b, "in_branch", "组织关系已变更")
    await scene.call("POST", f"/transfers/{started['id']}/withdraw", scene.sec_a1, json={})
