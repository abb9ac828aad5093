"""WeChat one-time subscribe messages. A send takes one of the member's credits for the
template first (no credit, no call); WeChat spends the user's accept only when it delivers,
so every failure but 43101 gives the credit back."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.integrations.wechat import WeChatClient, WeChatError, WeChatUnavailable
from app.integrations.wechat.client import TOKEN_INVALID_CODES
from app.kit.clock import Clock
from app.models import Channel, NotificationKind
from app.notify import subscriptions
from app.notify.channels.base import (
    Message,
    Outcome,
    Recipient,
    SendResult,
    delivered,
    not_subscribed,
    permanent,
    retry,
)
from app.notify.channels.wechat_templates import WeChatTemplate, render

NO_AUTHORIZATION = 43101  # refused, or no accept left on WeChat's side
# Will fail the same way next time: bad openid, template, page or field value. A client-side
# HTTP status arrives as its negative (the client's convention).
PERMANENT_CODES = frozenset({40003, 40037, 41030, 47003, -400, -401, -403, -404})
RATE_LIMITED = 45009  # the API's daily quota: wait, do not hammer


class WeChatSubscribeAdapter:
    channel = Channel.WECHAT

    def __init__(
        self,
        wechat: WeChatClient,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        templates: dict[NotificationKind, WeChatTemplate],
        zone: ZoneInfo,
        clock: Clock,
        miniprogram_state: str = "formal",
        lang: str = "zh_CN",
    ) -> None:
        self._wechat = wechat
        self._sessionmaker = sessionmaker
        self._templates = templates
        self._zone = zone
        self._clock = clock
        self._state = miniprogram_state
        self._lang = lang

    async def send(self, message: Message, recipient: Recipient) -> SendResult:
        template = self._templates.get(message.kind)
        if template is None:
            return not_subscribed(f"wechat: no template for {message.kind.value}")
        if recipient.member_id is None or not recipient.openid:
            return not_subscribed("wechat: member has no openid")
        member_id, template_id = recipient.member_id, template.template_id
        async with self._sessionmaker() as session, session.begin():
            taken = await subscriptions.take_credit(
                session, member_id, template_id, self._clock.now()
            )
            if not taken:
                return not_subscribed("wechat: no subscription credit")
        result = await self._send(message, recipient.openid, template)
        if result.outcome is Outcome.DELIVERED:
            return result
        async with self._sessionmaker() as session, session.begin():
            if result.outcome is Outcome.NOT_SUBSCRIBED:
                await subscriptions.clear_credits(
                    session, member_id, template_id, self._clock.now()
                )
            else:
                await subscriptions.give_back_credit(
                    session, member_id, template_id, self._clock.now()
                )
        return result

    async def _send(self, message: Message, openid: str, template: WeChatTemplate) -> SendResult:
        try:
            await self._wechat.send_subscribe_message(
                touser=openid,
                template_id=template.template_id,
                data=render(template, message, self._zone),
                page=message.page,
                miniprogram_state=self._state,
                lang=self._lang,
            )
        except WeChatUnavailable as exc:
            return retry(f"wechat: {exc}")
        except WeChatError as exc:
            return classify(exc)
        return delivered()


def classify(exc: WeChatError) -> SendResult:
    detail = f"wechat {exc.errcode}: {exc.errmsg}"[:300]
    if exc.errcode == NO_AUTHORIZATION:
        return not_subscribed(detail)
    if exc.errcode in PERMANENT_CODES:
        return permanent(detail)
    if exc.errcode == RATE_LIMITED:
        return retry(detail, retry_after=60.0)
    if exc.errcode in TOKEN_INVALID_CODES:
        return retry(detail)  # still refused after the client's one refresh: try later
    # Unknown codes are retried: the worker's attempt limit dead-letters them in the end.
    return retry(detail)
