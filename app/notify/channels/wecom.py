"""WeCom (企业微信) group bot webhook. The URL's ``key`` is the credential."""

from __future__ import annotations

from typing import Any, Literal

import httpx

from app.models import Channel
from app.notify.channels.base import Message, Recipient, SendResult
from app.notify.channels.bots import cut_bytes, markdown_text, post_to_bot

RATE_LIMITED = frozenset({45009})  # 20 messages a minute per bot
# Bad or removed webhook key, unknown message type, bad or empty content.
PERMANENT_CODES = frozenset({93000, 40008, 40058, 44004, 40035})
_MARKDOWN_BYTES = 4096
_TEXT_BYTES = 2048


class WeComBotAdapter:
    channel = Channel.WECOM_BOT

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        webhook_url: str,
        msgtype: Literal["markdown", "text"] = "markdown",
        timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._url = webhook_url
        self._msgtype = msgtype
        self._timeout = timeout

    def _body(self, message: Message) -> dict[str, Any]:
        if self._msgtype == "markdown":
            content = markdown_text(message.title, message.body, _MARKDOWN_BYTES)
            return {"msgtype": "markdown", "markdown": {"content": content}}
        content = cut_bytes(f"{message.title}\n{message.body}", _TEXT_BYTES)
        return {"msgtype": "text", "text": {"content": content}}

    async def send(self, message: Message, recipient: Recipient) -> SendResult:
        del recipient  # a group channel's is always empty
        return await post_to_bot(
            self._http,
            "wecom",
            self._url,
            self._body(message),
            request_timeout=self._timeout,
            rate_limited=RATE_LIMITED,
            permanent_codes=PERMANENT_CODES,
        )
