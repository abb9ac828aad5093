"""Access tokens (JWT, RFC 8725) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt

from app.auth.errors import InvalidToken, TokenExpired
from app.config import Settings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti"]


@dataclass(frozen=True)
class AccessClaims:
    account_id: int
    jti: str


def issue_access_token(settings: Settings, account_id: int, now: datetime) -> str:
    kid = settings.jwt_signing_kid
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(account_id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.jwt_keys[kid], algorithm=ALGORITHM, headers={"kid": kid})


def _invalid(reason: str) -> InvalidToken:
    return InvalidToken(details={"reason": reason})


LEEWAY_SECONDS = 5


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """Verifies the token (signature, header, every required claim) once per process, then
    only its expiry: a member's token arrives with each of their requests for 15 minutes,
    and verifying it again was a tenth of a request's time. The cache is keyed by the token
    and everything it was verified against; a refusal is never cached."""
    claims, expires = _verified(
        token, tuple(sorted(settings.jwt_keys.items())), settings.jwt_audience, settings.jwt_issuer
    )
    if _clock() > expires + LEEWAY_SECONDS:
        raise TokenExpired()
    return claims


_clock = time.time


@lru_cache(maxsize=32768)  # well under 1 KiB a token: ~20 MiB when full
def _verified(
    token: str, keys: tuple[tuple[str, str], ...], audience: str, issuer: str
) -> tuple[AccessClaims, float]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _invalid("malformed") from exc
    # Checked before any key is chosen: an unknown kid or another algorithm never reaches
    # signature verification with a key it was not made for.
    if header.get("alg") != ALGORITHM:
        raise _invalid("algorithm")
    key = dict(keys).get(str(header.get("kid")))
    if key is None:
        raise _invalid("unknown_kid")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": REQUIRED_CLAIMS},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired() from exc
    except jwt.PyJWTError as exc:
        raise _invalid(type(exc).__name__) from exc
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub.isdigit():
        raise _invalid("subject")
    expires = claims["exp"]
    # PyJWT takes anything int() takes ("123" too); the expiry check above wants a number.
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise _invalid("exp")
    return AccessClaims(account_id=int(sub), jti=str(claims["jti"])), float(expires)


def new_refresh_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
