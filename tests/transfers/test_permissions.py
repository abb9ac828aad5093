"""Who may start, see and list transfers: every step is checked in the actor's scope, and a
transfer outside it is not found."""

from __future__ import annotations

from tests.factories import Actor
from tests.transfers.scene import OUTSIDE, Scene


async def test_a_plain_member_only_asks_for_themselves(scene: Scene) -> None:
    for method, url in (("GET", "/transfers"), ("POST", "/transfers")):
        refused = await scene.call(method, url, scene.mover, json={}, expect=403)
        assert refused["error"]["code"] == "auth.forbidden"
    asked = await scene.ask(scene.mover, to_org_id=scene.world.branch_a2.id)
    refused = await scene.approve(asked, scene.mover, "out_branch", expect=403)
    assert refused["error"]["code"] == "auth.forbidden"
    mine = await scene.call("GET", "/me/transfers", scene.mover)
    assert [t["id"] for t in mine["items"]] == [asked["id"]]
    assert await scene.call("GET", "/me/transfers", scene.sec_b) == {
        "items": [],
        "next_cursor": None,
    }


async def test_outside_the_callers_scope_a_transfer_is_not_found(scene: Scene) -> None:
    w = scene.world
    started = await scene.start(scene.sec_a1, to_org_id=w.branch_a2.id)
    # 乙's secretary and committee admin: neither side is theirs.
    for actor in (scene.sec_b, scene.admin_b):
        missing = await scene.get(started, actor, expect=404)
        assert missing["error"]["code"] == "transfer.not_found"
        assert missing["error"]["message"] == "转接记录不存在"
        await scene.approve(started, actor, "out_branch", expect=404)
        await scene.refuse("return", started, actor, "out_branch", "越权", expect=404)
        await scene.call("POST", f"/transfers/{started['id']}/withdraw", actor, json={}, expect=404)
    # Both branches and the committee above them see it; the member too.
    for actor in (scene.sec_a1, scene.sec_a2, scene.admin_a, scene.mover):
        assert (await scene.get(started, actor))["id"] == started["id"]
    # A committee admin decides a branch's step of their subtree.
    done = await scene.approve(started, scene.admin_a, "out_branch")
    assert done["timeline"][-1]["actor_name"] == scene.admin_a.member.name


async def test_a_starter_reaches_only_members_and_branches_of_their_scope(scene: Scene) -> None:
    w = scene.world
    of_b = await scene.factory.member(w.joint_b)
    missing = await scene.start(scene.sec_a1, expect=404, member_id=of_b.id, **OUTSIDE)
    assert missing["error"]["code"] == "member.not_found"

    # A 流动党员 of 乙 working at 甲一协会: 甲一 may take the relation in, not send it on.
    mobile = await scene.factory.member(w.joint_b, w.social_a1, is_mobile=True)
    refused = await scene.start(
        scene.sec_a1, expect=403, member_id=mobile.id, to_org_id=w.branch_a2.id
    )
    assert refused["error"]["code"] == "transfer.out_of_reach"
    taken = await scene.start(scene.sec_a1, member_id=mobile.id, to_org_id=w.branch_a1.id)
    assert taken["steps"] == ["out_branch", "committee", "in_branch"]
    assert taken["committee_id"] == w.street_a.id
    # 乙's secretary decides the first step, though another started it.
    await scene.approve(taken, scene.sec_b, "out_branch")
    await scene.approve(taken, scene.admin_b, "committee", expect=403)
    await scene.approve(taken, scene.admin_a, "committee")
    await scene.approve(taken, scene.sec_a1, "in_branch")
    assert (await scene.member(mobile.id)).relation_org_id == w.branch_a1.id


async def test_the_list_is_the_callers_scope_newest_first_by_status_and_cursor(
    scene: Scene,
) -> None:
    w = scene.world
    movers = [await scene.factory.member(w.branch_a1) for _ in range(3)]
    made = [
        await scene.start(scene.sec_a1, member_id=m.id, to_org_id=w.branch_a2.id) for m in movers
    ]
    await scene.call("POST", f"/transfers/{made[0]['id']}/withdraw", scene.sec_a1, json={})
    newest_first = [t["id"] for t in reversed(made)]

    first = await scene.call("GET", "/transfers?limit=2", scene.sec_a2)
    assert [t["id"] for t in first["items"]] == newest_first[:2]
    assert first["next_cursor"]
    next_page = f"/transfers?limit=2&cursor={first['next_cursor']}"
    rest = await scene.call("GET", next_page, scene.sec_a2)
    assert ([t["id"] for t in rest["items"]], rest["next_cursor"]) == (newest_first[2:], None)

    pending = await scene.call("GET", "/transfers?status=pending", scene.admin_a)
    assert [t["id"] for t in pending["items"]] == newest_first[:2]
    withdrawn = await scene.call("GET", "/transfers?status=withdrawn", scene.sec_a1)
    assert [t["status_label"] for t in withdrawn["items"]] == ["已撤回"]
    assert (await scene.call("GET", "/transfers", scene.sec_b))["items"] == []
    bad = await scene.call("GET", "/transfers?status=lost", scene.sec_a1, expect=422)
    assert bad["error"]["code"]


async def test_waiting_on_me_lists_the_steps_the_caller_decides(scene: Scene) -> None:
    w = scene.world
    into_b = await scene.start(scene.sec_a1, to_org_id=w.joint_b.id)
    other = await scene.factory.member(w.branch_a1)
    into_a2 = await scene.start(scene.sec_a1, member_id=other.id, to_org_id=w.branch_a2.id)

    async def waiting(actor: Actor) -> list[int]:
        found = await scene.call("GET", "/transfers?waiting_on_me=true", actor)
        return [t["id"] for t in found["items"]]

    assert await waiting(scene.sec_a1) == [into_a2["id"], into_b["id"]]
    assert await waiting(scene.sec_a2) == []
    await scene.approve(into_b, scene.sec_a1, "out_branch")
    await scene.approve(into_a2, scene.sec_a1, "out_branch")
    assert await waiting(scene.sec_a1) == []
    assert await waiting(scene.sec_a2) == [into_a2["id"]]
    # The committee step is its committee admin's, not the in-branch secretary's.
    assert await waiting(scene.admin_b) == [into_b["id"]]
    assert await waiting(scene.sec_b) == []
    await scene.approve(into_b, scene.admin_b, "committee")
    assert await waiting(scene.sec_b) == [into_b["id"]]
