"""The caller's WeChat subscribe-message credits: reported by the mini-program, listed back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from app.auth.dependencies import CurrentPrincipal
from app.auth.scope import Principal
from app.db import DbSession
from app.errors import Forbidden
from app.models import NotificationKind
from app.notify import subscriptions
from app.notify.channels.wechat_templates import parse_templates
from app.runtime import Runtime, RuntimeDep

router = APIRouter(prefix="/api/v1/me", tags=["notifications"])

# wx.requestSubscribeMessage asks for at most 3 templates at once; leave room, stay bounded.
_MAX_RESULTS = 10
TemplateId = Annotated[str, StringConstraints(min_length=1, max_length=64)]  # as the column


class SubscribeResults(BaseModel):
    """What wx.requestSubscribeMessage answered, template id by template id."""

    results: dict[TemplateId, subscriptions.SubscribeResult] = Field(
        min_length=1, max_length=_MAX_RESULTS
    )


class TemplateCreditsRead(BaseModel):
    template_id: str
    kinds: list[NotificationKind]
    credits: int


def _member_id(caller: Principal) -> int:
    if caller.member_id is None:
        raise Forbidden(
            "auth.not_a_member",
            "账号尚未关联党员信息，请先绑定手机号",
            "Bind your phone to your member record first",
        )
    return caller.member_id


async def _read(session: DbSession, runtime: Runtime, member_id: int) -> list[TemplateCreditsRead]:
    templates = parse_templates(runtime.settings.wechat_templates)
    rows = await subscriptions.list_credits(session, templates, member_id)
    return [
        TemplateCreditsRead(template_id=r.template_id, kinds=r.kinds, credits=r.credits)
        for r in rows
    ]


@router.post("/subscriptions")
async def record_subscriptions(
    body: SubscribeResults, caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> list[TemplateCreditsRead]:
    """Report a wx.requestSubscribeMessage answer; each "accept" allows one more message."""
    member_id = _member_id(caller)
    templates = parse_templates(runtime.settings.wechat_templates)
    await subscriptions.record_results(
        session, templates, member_id, body.results, runtime.clock.now()
    )
    return await _read(session, runtime, member_id)


@router.get("/subscriptions")
async def list_subscriptions(
    caller: CurrentPrincipal, session: DbSession, runtime: RuntimeDep
) -> list[TemplateCreditsRead]:
    """The messages WeChat will let us send: credits per configured template."""
    return await _read(session, runtime, _member_id(caller))
