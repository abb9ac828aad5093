"""The ``Idempotency-Key`` route class (Stripe's semantics, reliability.md requirement 3).

On a creating POST (a route that answers 201) carrying the header, from a signed-in caller:
the key is claimed for the caller before the route runs; a 2xx answer is kept and replayed,
status, headers and body, to every retry with the same key and the same request for 24
hours; the same key with another request is 422 ``idempotency.key_reused``; a retry while
the first is still running is 409 ``idempotency.in_flight``. Any other answer (refused,
failed) changed nothing, so the key is let go and the retry runs afresh. Without the header,
on other routes, or without a valid token (the route answers 401) nothing happens here."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from fastapi.routing import APIRoute
from python_multipart.multipart import parse_options_header
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from app.auth.tokens import decode_access_token
from app.errors import (
    DATABASE_ERRORS,
    AppError,
    PayloadTooLarge,
)
from app.idempotency import store
from app.idempotency.errors import IdempotencyKeyInvalid
from app.idempotency.spec import HEADER, MAX_KEY_LENGTH, creates
from app.kit.multipart import MULTIPART_OVERHEAD
from app.runtime import Runtime

log = logging.getLogger("app.idempotency")

_HEADER = HEADER.lower().encode()


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= MAX_KEY_LENGTH and all("!" <= char <= "~" for char in key)


def _fingerprint(scope: Scope, content_type: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"], scope["path"], scope.get("query_string", b"")):
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind == b"multipart/form-data" and boundary:
        # A retried upload brings the same file under a boundary of its own.
        body = body.replace(boundary, b"")
    digest.update(kind)
    digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None when the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(details={"max_bytes": limit})
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class IdempotentRoute(APIRoute):
    """Every router's route class (``APIRouter(route_class=IdempotentRoute)``): a creating
    POST handles the header here, around the route, where the key's refusals and database
    failures still reach the app's exception handlers; other routes are untouched."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.idempotent = creates(self)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_key = dict(scope["headers"]).get(_HEADER) if self.idempotent else None
        if raw_key is None:
            await super().handle(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not _valid_key(key):
            raise IdempotencyKeyInvalid()
        runtime: Runtime = scope["app"].state.runtime
        account_id = self._caller(runtime, Request(scope))
        if account_id is None:  # the route itself refuses the caller
            await super().handle(scope, receive, send)
            return
        limit = runtime.settings.attachment_max_bytes + MULTIPART_OVERHEAD
        body = await _read_body(receive, limit)
        if body is None:
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
        outcome = await store.claim(
            runtime.sessionmaker,
            account_id=account_id,
            key=key,
            fingerprint=_fingerprint(scope, content_type, body),
            now=runtime.clock.now(),
        )
        if isinstance(outcome, store.StoredResponse):
            await _replay(outcome, send)
            return
        await self._run_and_keep(runtime, outcome, scope, _replaying(body, receive), send)

    @staticmethod
    def _caller(runtime: Runtime, request: Request) -> int | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            return decode_access_token(runtime.settings, token).account_id
        except AppError:
            return None

    async def _run_and_keep(
        self, runtime: Runtime, held: store.Claim, scope: Scope, receive: Receive, send: Send
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await super().handle(scope, receive, keep)
        except BaseException:
            await _settle(runtime, held, None)
            raise
        if start is None:
            await _settle(runtime, held, None)
            return
        body = b"".join(chunks)
        status = int(start["status"])
        kept = None
        if 200 <= status < 300:
            kept = store.StoredResponse(
                status_code=status,
                headers=[
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in start.get("headers", ())
                ],
                body=body,
            )
        await _settle(runtime, held, kept)
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})


async def _settle(runtime: Runtime, held: store.Claim, kept: store.StoredResponse | None) -> None:
    """Keep the answer (a success) or let the key go (anything else changed nothing). The
    route's own work is done by now: a database failing here must not turn its answer into
    an error, so it is logged and the claim left to lapse after its lease."""
    try:
        if kept is None:
            await store.release(runtime.sessionmaker, held)
        else:
            await store.complete(runtime.sessionmaker, held, kept)
    except DATABASE_ERRORS:
        log.exception("idempotency key %s not settled", held.id)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The body read for the fingerprint, handed to the route as if it arrived now."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _replay(response: store.StoredResponse, send: Send) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
    ]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})
