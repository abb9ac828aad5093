"""Check-in codes, HMAC-signed with the activity's own secret.

- Rotating code (RFC 6238 §5.2 practice): ``<step hex>.<signature>``, bound to the activity
  and a 30-second step; accepted in its step and the one before, never later, never for
  another activity.
- Poster scene for getwxacodeunlimit (≤ 32 characters, no personal data):
  ``p<activity id hex>.<signature>``; a poster check-in always needs the geofence.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from app.checkin.errors import TokenExpired, TokenInvalid

_ROTATING_SIG_CHARS = 12
_POSTER_SIG_CHARS = 16


class CodeKind(enum.StrEnum):
    ROTATING = "rotating"
    POSTER = "poster"


@dataclass(frozen=True)
class VerifiedCode:
    kind: CodeKind


def _signature(secret: bytes, message: str, chars: int) -> str:
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:chars]


def current_step(now: datetime, step_seconds: int) -> int:
    return int(now.timestamp()) // step_seconds


def rotating_code(activity_id: int, secret: bytes, step: int) -> str:
    return f"{step:x}.{_signature(secret, f'r:{activity_id}:{step}', _ROTATING_SIG_CHARS)}"


def poster_scene(activity_id: int, secret: bytes) -> str:
    return f"p{activity_id:x}.{_signature(secret, f'p:{activity_id}', _POSTER_SIG_CHARS)}"


def verify(code: str, activity_id: int, secret: bytes, step_now: int) -> VerifiedCode:
    head, _, signature = code.partition(".")
    if not head or not signature:
        raise TokenInvalid()
    if head.startswith("p"):
        expected = poster_scene(activity_id, secret)
        if not hmac.compare_digest(code.encode(), expected.encode()):
            raise TokenInvalid()
        return VerifiedCode(CodeKind.POSTER)
    try:
        step = int(head, 16)
    except ValueError as exc:
        raise TokenInvalid() from exc
    expected_signature = _signature(secret, f"r:{activity_id}:{step}", _ROTATING_SIG_CHARS)
    # The signature first: a forged or foreign code is invalid, whatever its step says.
    if not hmac.compare_digest(signature.encode(), expected_signature.encode()):
        raise TokenInvalid()
    if step > step_now:
        raise TokenInvalid()
    if step < step_now - 1:
        raise TokenExpired()
    return VerifiedCode(CodeKind.ROTATING)
