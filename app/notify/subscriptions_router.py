"""The caller's WeChat subscribe-message credits: reported by the mini-program, listed back."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import CurrentMember
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.notify import subscriptions
from app.notify.channels.wechat_templates import parse_templates
from app.notify.errors import UnknownTemplate
from app.notify.schemas import SubscribeResults, TemplateCreditsRead
from app.runtime import Runtime, RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/me", tags=["notifications"])


async def _credits(
    session: AsyncSession, runtime: Runtime, member_id: int
) -> list[TemplateCreditsRead]:
    templates = parse_templates(runtime.settings.wechat_templates)
    held = await subscriptions.list_credits(session, templates, member_id)
    return [TemplateCreditsRead.model_validate(credit) for credit in held]


@router.post("/subscriptions", responses=responses(UnknownTemplate))
async def record_subscriptions(
    body: SubscribeResults, caller: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> list[TemplateCreditsRead]:
    """Report a wx.requestSubscribeMessage answer; each "accept" allows one more message."""
    templates = parse_templates(runtime.settings.wechat_templates)
    await subscriptions.record_results(
        session, templates, caller.member_id, body.results, runtime.clock.now()
    )
    return await _credits(session, runtime, caller.member_id)


@router.get("/subscriptions")
async def list_subscriptions(
    caller: CurrentMember, session: ReadSession, runtime: RuntimeDep
) -> list[TemplateCreditsRead]:
    """The messages WeChat will let us send: credits per configured template."""
    return await _credits(session, runtime, caller.member_id)
