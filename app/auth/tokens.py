"""Access tokens (JWT, RFC 8725) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from app.config import Settings
from app.errors import Unauthorized

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


def _invalid(reason: str) -> Unauthorized:
    return Unauthorized(
        "auth.invalid_token", "登录凭证无效", "Invalid access token", details={"reason": reason}
    )


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _invalid("malformed") from exc
    # Checked before any key is chosen: an unknown kid or another algorithm never reaches
    # signature verification with a key it was not made for.
    if header.get("alg") != ALGORITHM:
        raise _invalid("algorithm")
    key = settings.jwt_keys.get(str(header.get("kid")))
    if key is None:
        raise _invalid("unknown_kid")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": REQUIRED_CLAIMS},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("auth.token_expired", "登录已过期", "Access token expired") from exc
    except jwt.PyJWTError as exc:
        raise _invalid(type(exc).__name__) from exc
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub.isdigit():
        raise _invalid("subject")
    return AccessClaims(account_id=int(sub), jti=str(claims["jti"]))


def new_refresh_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
