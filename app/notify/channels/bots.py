"""The group bots' shared shape: POST a JSON message, read ``errcode`` from an HTTP 200
(non-zero is a failure), classify it by the bot's own code lists."""

from __future__ import annotations

from typing import Any

import httpx

from app.notify.channels.base import SendResult, delivered, permanent, retry
from app.notify.channels.http import json_object, request, status_failure

BUSY = -1  # both platforms' "system busy"


async def post_to_bot(
    http: httpx.AsyncClient,
    name: str,
    url: str,
    body: dict[str, Any],
    *,
    request_timeout: float,
    rate_limited: frozenset[int],
    permanent_codes: frozenset[int],
) -> SendResult:
    response = await request(http, name, "POST", url, json=body, timeout=request_timeout)
    if isinstance(response, SendResult):
        return response
    failure = status_failure(name, response)
    if failure is not None:
        return failure
    answer = json_object(response)
    if answer is None:
        return retry(f"{name}: answer is not a JSON object")
    errcode = answer.get("errcode")
    if errcode == 0:
        return delivered()
    detail = f"{name} {errcode}: {answer.get('errmsg', '')}"[:300]
    if errcode in rate_limited:
        return retry(detail, retry_after=60.0)  # both allow 20 messages a minute
    if errcode in permanent_codes:
        return permanent(detail)
    # -1, a missing errcode and unknown codes: the worker's attempt limit bounds them.
    return retry(detail)


def markdown_text(title: str, body: str, limit_bytes: int) -> str:
    text = f"**{title}**\n\n{body}"
    return cut_bytes(text, limit_bytes)


def cut_bytes(text: str, limit: int) -> str:
    """Cut to ``limit`` UTF-8 bytes without splitting a character."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode(errors="ignore") + "…"
