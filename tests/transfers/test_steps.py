"""Each path of steps: inside one committee (out-branch, then in-branch), across committees
(the in-branch's committee between), out of the system and into it with the letter number;
on completion the relation moves (or the member departs) and the ledger records it."""

from __future__ import annotations

from datetime import date

from app.models import DepartureReason, NotificationKind, PartyStatus
from tests.transfers.scene import OUTSIDE, Scene

AT = "2025-06-01T10:00:00+08:00"  # the frozen clock, in Beijing time


def timeline(detail: dict[str, object]) -> list[tuple[object, ...]]:
    entries = detail["timeline"]
    assert isinstance(entries, list)
    return [(e["action"], e["step"], e["actor_name"], e["reason"]) for e in entries]


async def test_within_one_committee_out_branch_then_in_branch(scene: Scene) -> None:
    w = scene.world
    started = await scene.start(scene.sec_a1, to_org_id=w.branch_a2.id, reason="工作调动")
    assert started["kind"] == "internal"
    assert started["status"] == "pending"
    assert (started["step"], started["step_label"]) == ("out_branch", "转出审批")
    assert started["steps"] == ["out_branch", "in_branch"]
    assert started["committee_id"] is None
    assert (started["from_name"], started["to_name"]) == ("甲一支部", "甲二支部")
    assert started["member_name"] == "李转接"
    assert started["created_at"] == AT

    # The in-branch cannot decide the out-branch's step, nor the out-branch the in-branch's.
    refused = await scene.approve(started, scene.sec_a2, "out_branch", expect=403)
    assert refused["error"]["code"] == "transfer.not_your_step"
    assert refused["error"]["message"] == "当前步骤不由您审批"
    out = await scene.approve(started, scene.sec_a1, "out_branch")
    assert (out["status"], out["step"]) == ("pending", "in_branch")
    assert (await scene.member()).relation_org_id == w.branch_a1.id
    await scene.approve(started, scene.sec_a1, "in_branch", expect=403)

    done = await scene.approve(started, scene.sec_a2, "in_branch")
    assert (done["status"], done["status_label"], done["step"]) == ("completed", "已完成", None)
    assert done["completed_at"] == AT
    assert (await scene.member()).relation_org_id == w.branch_a2.id
    assert await scene.ledger() == [
        ("transferred_out", w.branch_a1.id, None),
        ("transferred_in", w.branch_a2.id, None),
    ]
    sec_a1, sec_a2 = scene.sec_a1.member.name, scene.sec_a2.member.name
    shown = await scene.get(started, scene.mover)
    assert timeline(shown) == [
        ("created", None, sec_a1, "工作调动"),
        ("approved", "out_branch", sec_a1, None),
        ("approved", "in_branch", sec_a2, None),
        ("completed", None, sec_a2, None),
    ]
    assert [e["action_label"] for e in shown["timeline"]] == ["发起", "同意", "同意", "办结"]
    assert {e["at"] for e in shown["timeline"]} == {AT}
    # Each decision told the member and the starter.
    told = [scene.mover.member.id, scene.sec_a1.member.id]
    assert await scene.told(NotificationKind.TRANSFER_DECIDED) == [
        ("组织关系转接已同意：李转接", told),
        ("组织关系转接已完成：李转接", told),
    ]


async def test_across_committees_the_in_branchs_committee_approves_between(
    scene: Scene,
) -> None:
    w = scene.world
    asked = await scene.ask(scene.mover, to_org_id=w.joint_b.id)
    assert asked["steps"] == ["out_branch", "committee", "in_branch"]
    assert asked["committee_id"] == w.street_b.id
    assert asked["started_by_name"] == "李转接"

    await scene.approve(asked, scene.sec_a1, "out_branch")
    # The out-branch's committee does not decide it, nor the in-branch's secretary.
    for actor in (scene.admin_a, scene.sec_b):
        refused = await scene.approve(asked, actor, "committee", expect=403)
        assert refused["error"]["code"] == "transfer.not_your_step"
    committee = await scene.approve(asked, scene.admin_b, "committee")
    assert committee["step"] == "in_branch"
    done = await scene.approve(asked, scene.sec_b, "in_branch")
    assert done["status"] == "completed"

    assert (await scene.member()).relation_org_id == w.joint_b.id
    assert await scene.ledger() == [
        ("transferred_out", w.branch_a1.id, None),
        ("transferred_in", w.joint_b.id, None),
    ]
    steps = [(e["action"], e["step"]) for e in done["timeline"]]
    assert steps == [
        ("created", None),
        ("approved", "out_branch"),
        ("approved", "committee"),
        ("approved", "in_branch"),
        ("completed", None),
    ]
    # The member asked: they alone hear of each decision.
    told = await scene.told(NotificationKind.TRANSFER_DECIDED)
    assert [members for _, members in told] == [[scene.mover.member.id]] * 3


async def test_out_of_the_system_with_the_letter_number_the_member_departs(
    scene: Scene,
) -> None:
    started = await scene.start(scene.sec_a1, **OUTSIDE)
    assert (started["kind"], started["kind_label"]) == ("outbound", "转出系统外")
    assert started["steps"] == ["out_branch"]
    assert started["to_org_id"] is None
    assert started["to_name"] == "江苏省某协会党支部"
    assert started["letter_number"] == "苏组转字2025第018号"

    done = await scene.approve(started, scene.sec_a1, "out_branch")
    assert done["status"] == "completed"
    member = await scene.member()
    assert member.departure_reason is DepartureReason.TRANSFERRED_OUT
    assert member.left_on == date(2025, 6, 1)
    note = "转往江苏省某协会党支部，介绍信编号苏组转字2025第018号"
    assert member.departure_note == note
    assert await scene.ledger() == [("transferred_out", scene.world.branch_a1.id, note)]


async def test_into_the_system_from_outside_only_the_in_branch_accepts(scene: Scene) -> None:
    w = scene.world
    # Entered with a workplace only: the relation still lies outside the system.
    arriving = await scene.factory.member(None, w.social_a1, name="王新来")
    started = await scene.start(
        scene.sec_a1,
        member_id=arriving.id,
        to_org_id=w.branch_a1.id,
        from_outside_name="浙江省某单位党支部",
        letter_number="浙组转字第9号",
    )
    assert (started["kind"], started["steps"]) == ("inbound", ["in_branch"])
    assert started["from_name"] == "浙江省某单位党支部"
    done = await scene.approve(started, scene.sec_a1, "in_branch")
    assert done["status"] == "completed"
    assert (await scene.member(arriving.id)).relation_org_id == w.branch_a1.id
    # Until now the member counted at their workplace (the ledger's rule): moved from there.
    assert await scene.ledger(arriving.id) == [
        ("transferred_out", w.social_a1.id, None),
        ("transferred_in", w.branch_a1.id, None),
    ]


async def test_what_a_transfer_must_name(scene: Scene) -> None:
    w = scene.world
    cases = [
        ({"to_org_id": w.branch_a1.id}, 422, "transfer.same_branch"),
        ({}, 422, "transfer.destination_required"),
        ({"to_org_id": w.branch_a2.id, **OUTSIDE}, 422, "transfer.destination_required"),
        ({"to_org_id": w.social_a2.id}, 422, "transfer.not_a_branch"),
        ({"to_org_id": w.street_b.id}, 422, "transfer.not_a_branch"),
        ({"to_org_id": 999_999}, 404, "transfer.branch_not_found"),
        ({"to_outside_name": "外省支部"}, 422, "transfer.outside_details"),
        (
            {"to_org_id": w.branch_a2.id, "from_outside_name": "外省支部"},
            422,
            "transfer.outside_details",
        ),
    ]
    for body, status, code in cases:
        refused = await scene.start(scene.sec_a1, expect=status, **body)
        assert refused["error"]["code"] == code, body
    same = await scene.start(scene.sec_a1, expect=422, to_org_id=w.branch_a1.id)
    assert same["error"]["message"] == "转入支部与转出支部相同"

    masses = await scene.factory.member(w.branch_a1, party_status=PartyStatus.MASSES)
    refused = await scene.start(scene.sec_a1, expect=422, member_id=masses.id, **OUTSIDE)
    assert refused["error"]["code"] == "transfer.not_a_party_member"

    first = await scene.start(scene.sec_a1, to_org_id=w.branch_a2.id)
    again = await scene.ask(scene.mover, expect=409, **OUTSIDE)
    assert again["error"]["code"] == "transfer.already_open"
    await scene.call("POST", f"/transfers/{first['id']}/withdraw", scene.sec_a1, json={})
    await scene.ask(scene.mover, **OUTSIDE)
