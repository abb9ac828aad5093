"""The transfer kinds for tests/notify/test_wechat_rules.py's every-kind flow, made the way
production makes them: a member asks for a transfer, the out-branch approves it
(``transfer_decided``), and the in-branch leaves it waiting 3 days, which the worker's job
reminds it of (``transfer_reminder``). Builds a small tree of its own, beside whatever the
caller has built."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from app.kit.clock import FrozenClock
from app.models import OrgKind, Role
from tests.factories import Actor, Factory
from tests.notify.helpers import worker

V1 = "/api/v1"


async def _post(client: httpx.AsyncClient, url: str, actor: Actor, body: object) -> int:
    response = await client.post(f"{V1}{url}", json=body, headers=actor.headers)
    assert response.status_code in (200, 201), response.text
    transfer_id: int = response.json()["id"]
    return transfer_id


async def a_transfer_decided_and_reminded(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory, clock: FrozenClock
) -> None:
    committee = await factory.org(OrgKind.COMMITTEE, "转接示例工委")
    out_branch = await factory.org(OrgKind.BRANCH, "转接示例一支部", committee)
    in_branch = await factory.org(OrgKind.BRANCH, "转接示例二支部", committee)
    out_secretary = await factory.actor(Role.SECRETARY, out_branch)
    await factory.actor(Role.SECRETARY, in_branch)
    mover = await factory.actor(None, None, relation=out_branch)
    transfer_id = await _post(client, "/me/transfers", mover, {"to_org_id": in_branch.id})
    await _post(client, f"/transfers/{transfer_id}/approve", out_secretary, {"step": "out_branch"})
    clock.advance(days=3)
    await worker(app).tick()
