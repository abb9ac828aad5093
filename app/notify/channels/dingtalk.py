"""DingTalk (钉钉) custom group bot with the "加签" security setting: every request carries a
millisecond timestamp and its HMAC-SHA256 under the bot's secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, Literal

import httpx

from app.kit.clock import Clock
from app.models import Channel
from app.notify.channels.base import Message, Recipient, SendResult, permanent
from app.notify.channels.bots import cut_bytes, markdown_text, post_to_bot

# 130101 (older) and 410100: sending too fast, 20 messages a minute per bot.
RATE_LIMITED = frozenset({130101, 410100})
# 310000: keyword, signature or IP-allowlist check failed. 4001xx: the group or the bot is
# gone, stopped or the token unknown; 4301xx: content refused as unsafe.
PERMANENT_CODES = frozenset(
    {310000, 300001, 300005, 400013, 400101, 400102, 400105, 400106}
    | {430101, 430102, 430103, 430104}
)
_CONTENT_BYTES = 18000  # DingTalk documents 20000; leave room for the title


def sign(timestamp_ms: int, secret: str) -> str:
    """base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}")); httpx URL-encodes it."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkBotAdapter:
    channel = Channel.DINGTALK_BOT

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        webhook_url: str,
        secret: str,
        clock: Clock,
        msgtype: Literal["markdown", "text"] = "markdown",
        timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._url = webhook_url
        self._secret = secret
        self._clock = clock
        self._msgtype = msgtype
        self._timeout = timeout

    def _body(self, message: Message) -> dict[str, Any]:
        if self._msgtype == "markdown":
            text = markdown_text(message.title, message.body, _CONTENT_BYTES)
            return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}
        content = cut_bytes(f"{message.title}\n{message.body}", _CONTENT_BYTES)
        return {"msgtype": "text", "text": {"content": content}}

    async def send(self, message: Message, recipient: Recipient) -> SendResult:
        del recipient  # a group channel's is always empty
        # DingTalk refuses a timestamp more than an hour from its clock: sign at send time.
        timestamp = int(self._clock.now().timestamp() * 1000)
        try:
            # Merged by hand: httpx's params= would replace the URL's access_token.
            url = httpx.URL(self._url).copy_merge_params(
                {"timestamp": str(timestamp), "sign": sign(timestamp, self._secret)}
            )
        except httpx.InvalidURL as exc:
            return permanent(f"dingtalk: bad URL: {exc}"[:300])
        return await post_to_bot(
            self._http,
            "dingtalk",
            str(url),
            self._body(message),
            request_timeout=self._timeout,
            rate_limited=RATE_LIMITED,
            permanent_codes=PERMANENT_CODES,
        )
