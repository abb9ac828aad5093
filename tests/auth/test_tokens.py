"""Forged and stale access tokens are refused (reliability 7, RFC 8725).

Every forged token starts from a valid claim set for a real account and changes one thing,
so the positive case shows that what is refused is refused for that one thing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import tokens as tokens_module
from app.auth.tokens import issue_access_token
from app.config import Settings
from app.kit.clock import utcnow
from app.models import Account
from tests.factories import Factory
from tests.fixtures.apps import SpawnApp

ME = "/api/v1/me"
MISSING = object()  # a claim left out
OTHER_KEY = "another-hmac-secret-that-is-long-enough-0123456789"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def craft(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A JWS in compact form, built by hand so that nothing is checked on the way."""
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


def hmac_sha256(key: str | bytes) -> Callable[[bytes], bytes]:
    raw = key.encode() if isinstance(key, str) else key
    return lambda data: hmac.new(raw, data, hashlib.sha256).digest()


def no_signature(_: bytes) -> bytes:
    return b""


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class Forge:
    settings: Settings
    account_id: int
    rsa_key: rsa.RSAPrivateKey

    @property
    def kid(self) -> str:
        return self.settings.jwt_signing_kid

    @property
    def key(self) -> str:
        return self.settings.jwt_keys[self.kid]

    def header(self, **changes: Any) -> dict[str, Any]:
        header: dict[str, Any] = {"alg": "HS256", "typ": "JWT", "kid": self.kid}
        return _apply(header, changes)

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "sub": str(self.account_id),
            "iat": now,
            "exp": now + 900,
            "jti": uuid.uuid4().hex,
        }
        return _apply(claims, changes)

    def signed(
        self, header: dict[str, Any] | None = None, claims: dict[str, Any] | None = None
    ) -> str:
        """HS256 with our key: only the changed header or claims are wrong."""
        return craft(header or self.header(), claims or self.claims(), hmac_sha256(self.key))

    def private_pem(self) -> bytes:
        return self.rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_pem(self) -> bytes:
        return self.rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def _apply(values: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = {**values, **changes}
    return {name: value for name, value in merged.items() if value is not MISSING}


def _tampered(f: Forge) -> str:
    """A genuine token whose payload is swapped for another account's: the signature no longer
    matches."""
    header, _, signature = f.signed().split(".")
    return f"{header}.{b64json(f.claims(sub=str(f.account_id + 1)))}.{signature}"


def _rs_confusion(f: Forge) -> str:
    """The classic HS/RS swap: ``alg: RS256`` in the header, signed with HMAC over the RSA
    public key, hoping the server verifies HMAC with the public key as the secret."""
    return craft(f.header(alg="RS256"), f.claims(), hmac_sha256(f.public_pem()))


FORGED: list[tuple[str, Callable[[Forge], str], str, str]] = [
    # (case, token, error code, details.reason)
    (
        "alg_none",
        lambda f: craft({"alg": "none", "typ": "JWT", "kid": f.kid}, f.claims(), no_signature),
        "auth.invalid_token",
        "algorithm",
    ),
    (
        "alg_None_capitalized",
        lambda f: craft(f.header(alg="None"), f.claims(), no_signature),
        "auth.invalid_token",
        "algorithm",
    ),
    (
        "alg_none_with_our_signature",
        lambda f: craft(f.header(alg="none"), f.claims(), hmac_sha256(f.key)),
        "auth.invalid_token",
        "algorithm",
    ),
    (
        "wrong_hmac_key",
        lambda f: craft(f.header(), f.claims(), hmac_sha256(OTHER_KEY)),
        "auth.invalid_token",
        "InvalidSignatureError",
    ),
    ("tampered_payload", _tampered, "auth.invalid_token", "InvalidSignatureError"),
    (
        "unknown_kid",
        lambda f: f.signed(header=f.header(kid="retired-or-made-up")),
        "auth.invalid_token",
        "unknown_kid",
    ),
    (
        "missing_kid",
        lambda f: f.signed(header=f.header(kid=MISSING)),
        "auth.invalid_token",
        "unknown_kid",
    ),
    (
        "rs256_with_our_kid",
        lambda f: jwt.encode(
            f.claims(), f.private_pem(), algorithm="RS256", headers={"kid": f.kid}
        ),
        "auth.invalid_token",
        "algorithm",
    ),
    ("hs_rs_confusion", _rs_confusion, "auth.invalid_token", "algorithm"),
    (
        "hs512_with_our_key",
        lambda f: craft(
            f.header(alg="HS512"),
            f.claims(),
            lambda data: hmac.new(f.key.encode(), data, hashlib.sha512).digest(),
        ),
        "auth.invalid_token",
        "algorithm",
    ),
    (
        "missing_exp",
        lambda f: f.signed(claims=f.claims(exp=MISSING)),
        "auth.invalid_token",
        "MissingRequiredClaimError",
    ),
    (
        "expired",
        lambda f: f.signed(
            claims=f.claims(iat=int(time.time()) - 2000, exp=int(time.time()) - 1100)
        ),
        "auth.token_expired",
        "",
    ),
    (
        "exp_not_a_number",
        lambda f: f.signed(claims=f.claims(exp="tomorrow")),
        "auth.invalid_token",
        "DecodeError",
    ),
    (
        "wrong_aud",
        lambda f: f.signed(claims=f.claims(aud="some-other-app")),
        "auth.invalid_token",
        "InvalidAudienceError",
    ),
    (
        "missing_aud",
        lambda f: f.signed(claims=f.claims(aud=MISSING)),
        "auth.invalid_token",
        "MissingRequiredClaimError",
    ),
    (
        "wrong_iss",
        lambda f: f.signed(claims=f.claims(iss="someone-else")),
        "auth.invalid_token",
        "InvalidIssuerError",
    ),
    (
        "missing_iss",
        lambda f: f.signed(claims=f.claims(iss=MISSING)),
        "auth.invalid_token",
        "MissingRequiredClaimError",
    ),
    (
        "missing_jti",
        lambda f: f.signed(claims=f.claims(jti=MISSING)),
        "auth.invalid_token",
        "MissingRequiredClaimError",
    ),
    (
        "missing_iat",
        lambda f: f.signed(claims=f.claims(iat=MISSING)),
        "auth.invalid_token",
        "MissingRequiredClaimError",
    ),
    (
        "iat_in_the_future",
        lambda f: f.signed(
            claims=f.claims(iat=int(time.time()) + 3600, exp=int(time.time()) + 4500)
        ),
        "auth.invalid_token",
        "ImmatureSignatureError",
    ),
    (
        "nbf_in_the_future",
        lambda f: f.signed(claims=f.claims(nbf=int(time.time()) + 3600)),
        "auth.invalid_token",
        "ImmatureSignatureError",
    ),
    (
        "missing_sub",
        lambda f: f.signed(claims=f.claims(sub=MISSING)),
        "auth.invalid_token",
        "MissingRequiredClaimError",
    ),
    (
        "sub_not_digits",
        lambda f: f.signed(claims=f.claims(sub=f"account-{f.account_id}")),
        "auth.invalid_token",
        "subject",
    ),
    (
        "sub_negative",
        lambda f: f.signed(claims=f.claims(sub="-1")),
        "auth.invalid_token",
        "subject",
    ),
    (
        "sub_a_number_not_a_string",
        lambda f: f.signed(claims=f.claims(sub=f.account_id)),
        "auth.invalid_token",
        "InvalidSubjectError",
    ),
    ("garbage", lambda _f: "this-is-not-a-jwt", "auth.invalid_token", "malformed"),
    ("three_garbage_parts", lambda _f: "a.b.c", "auth.invalid_token", "malformed"),
]


@pytest.fixture
async def account(factory: Factory) -> Account:
    return await factory.account()


@pytest.fixture
def forge(settings: Settings, account: Account, rsa_key: rsa.RSAPrivateKey) -> Forge:
    return Forge(settings=settings, account_id=account.id, rsa_key=rsa_key)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_valid_token_is_accepted(
    client: httpx.AsyncClient, forge: Forge, factory: Factory, account: Account
) -> None:
    issued = await client.get(ME, headers=factory.headers_for(account))
    assert issued.status_code == 200
    assert issued.json()["account_id"] == account.id

    # The hand-made baseline every forged token below departs from is itself valid.
    hand_made = await client.get(ME, headers=bearer(forge.signed()))
    assert hand_made.status_code == 200
    assert hand_made.json()["account_id"] == account.id


@pytest.mark.parametrize(
    ("make_token", "code", "reason"),
    [case[1:] for case in FORGED],
    ids=[case[0] for case in FORGED],
)
async def test_forged_or_stale_token_is_refused(
    client: httpx.AsyncClient,
    forge: Forge,
    make_token: Callable[[Forge], str],
    code: str,
    reason: str,
) -> None:
    response = await client.get(ME, headers=bearer(make_token(forge)))

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == code
    if reason:
        assert error["details"]["reason"] == reason
    assert "account_id" not in response.json()


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no_header"),
        pytest.param("Bearer", id="bearer_without_token"),
        pytest.param("Bearer ", id="bearer_with_empty_token"),
        pytest.param("Basic dXNlcjpwYXNzd29yZA==", id="basic_scheme"),
        pytest.param("VALID_TOKEN_UNDER_OTHER_SCHEME", id="token_scheme_with_valid_jwt"),
        pytest.param("VALID_TOKEN_WITHOUT_SCHEME", id="valid_jwt_without_scheme"),
    ],
)
async def test_authorization_header_without_a_bearer_token_is_refused(
    client: httpx.AsyncClient, forge: Forge, authorization: str | None
) -> None:
    if authorization == "VALID_TOKEN_UNDER_OTHER_SCHEME":
        authorization = f"Token {forge.signed()}"
    elif authorization == "VALID_TOKEN_WITHOUT_SCHEME":
        authorization = forge.signed()
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = await client.get(ME, headers=headers)

    assert response.status_code == 401
    # No usable bearer credential was presented at all: the app asks the caller to sign in.
    assert response.json()["error"]["code"] == "auth.missing_token"


async def test_token_of_a_disabled_account_is_refused(
    client: httpx.AsyncClient, factory: Factory, account: Account, db: AsyncSession
) -> None:
    headers = factory.headers_for(account)
    assert (await client.get(ME, headers=headers)).status_code == 200

    await db.execute(update(Account).where(Account.id == account.id).values(is_active=False))
    await db.commit()

    response = await client.get(ME, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.account_disabled"


async def test_token_of_an_account_that_does_not_exist_is_refused(
    client: httpx.AsyncClient, forge: Forge
) -> None:
    token = forge.signed(claims=forge.claims(sub=str(forge.account_id + 1000)))

    response = await client.get(ME, headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.account_disabled"


OLD_KEY = "old-signing-key-still-trusted-for-verification-0123"
NEW_KEY = "new-signing-key-used-for-every-token-issued-now-4567"


async def test_key_rotation_keeps_tokens_of_the_previous_key_valid(
    settings: Settings, spawn_app: SpawnApp, account: Account
) -> None:
    before = settings.model_copy(update={"jwt_keys": {"old": OLD_KEY}, "jwt_signing_kid": "old"})
    rotated = settings.model_copy(
        update={"jwt_keys": {"old": OLD_KEY, "new": NEW_KEY}, "jwt_signing_kid": "new"}
    )
    retired = settings.model_copy(update={"jwt_keys": {"new": NEW_KEY}, "jwt_signing_kid": "new"})
    old_token = issue_access_token(before, account.id, utcnow())
    _, rotated_client = await spawn_app(rotated)

    # A token signed before the rotation still works while the old key is kept.
    still_valid = await rotated_client.get(ME, headers=bearer(old_token))
    assert still_valid.status_code == 200
    assert still_valid.json()["account_id"] == account.id

    # New tokens are signed with the new kid and work too.
    login = await rotated_client.post("/api/v1/auth/wechat/login", json={"code": "rotation"})
    assert login.status_code == 200
    new_token = login.json()["access_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == "new"
    assert (await rotated_client.get(ME, headers=bearer(new_token))).status_code == 200

    # Once the old key is dropped, its tokens are refused; the new ones are not.
    _, retired_client = await spawn_app(retired)
    refused = await retired_client.get(ME, headers=bearer(old_token))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "auth.invalid_token"
    assert refused.json()["error"]["details"]["reason"] == "unknown_kid"
    assert (await retired_client.get(ME, headers=bearer(new_token))).status_code == 200


async def test_token_signed_with_a_key_of_another_deployment_is_refused(
    client: httpx.AsyncClient, settings: Settings, account: Account
) -> None:
    """Same kid, other secret (a staging key presented to production)."""
    staging = settings.model_copy(update={"jwt_keys": {settings.jwt_signing_kid: OTHER_KEY}})
    token = issue_access_token(staging, account.id, utcnow())

    response = await client.get(ME, headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["error"]["details"]["reason"] == "InvalidSignatureError"


async def test_a_token_verified_once_is_still_refused_when_it_expires(
    client: httpx.AsyncClient, forge: Forge, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = forge.signed()
    assert (await client.get(ME, headers=bearer(token))).status_code == 200

    # Verification is remembered per token; the expiry is checked on every request.
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    monkeypatch.setattr(tokens_module, "_clock", lambda: expires + tokens_module.LEEWAY_SECONDS + 1)
    response = await client.get(ME, headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.token_expired"


async def test_an_expiry_written_as_a_string_is_refused(
    client: httpx.AsyncClient, forge: Forge
) -> None:
    # PyJWT reads it with int(); RFC 7519 wants a NumericDate.
    claims = forge.claims(exp=str(int(time.time()) + 900))
    response = await client.get(ME, headers=bearer(forge.signed(claims=claims)))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.invalid_token"
