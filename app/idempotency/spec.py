"""Which routes take an ``Idempotency-Key`` and what the header may answer: shared by the
middleware that serves it and the OpenAPI document that tells the mini-program."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.errors import AppError, PayloadTooLarge
from app.idempotency.errors import IdempotencyInFlight, IdempotencyKeyInvalid, IdempotencyKeyReused

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# What each creating route may answer because of the header, for the OpenAPI document.
ERRORS: tuple[type[AppError], ...] = (
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    IdempotencyInFlight,
    PayloadTooLarge,
)
PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "A key of your choice (a UUID) that makes a retry safe: the same key with "
    "the same request within 24 hours answers the first answer again instead of creating "
    "a second object.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": "^[!-~]+$",
    },
}


def creates(route: BaseRoute) -> bool:
    """A creating POST: the routes this middleware serves and the document marks."""
    return (
        isinstance(route, APIRoute) and "POST" in (route.methods or ()) and route.status_code == 201
    )
