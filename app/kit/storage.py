"""Where uploaded files live: a folder on this machine, or any S3-compatible object store
(MinIO, Aliyun OSS, Tencent COS, AWS S3) reached over httpx with Signature Version 4.

Keys are chosen by the caller (random, never a user's filename); the database row that
names a key is the only index."""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlsplit

import anyio
import httpx

from app.errors import UpstreamError
from app.kit.clock import Clock


class StorageError(UpstreamError):
    code = "storage.failed"
    message_zh = "文件存储服务出错，请稍后再试"
    message_en = "File storage failed"


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None:
        """Removes the object; a key that holds nothing is not an error."""
        ...


def _check_key(key: str) -> str:
    parts = key.split("/")
    if (
        not key
        or key.startswith("/")
        or "\\" in key
        or "\x00" in key
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


class LocalStorage:
    """Files under ``root``; each write lands whole or not at all (temp file + rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def path_of(self, key: str) -> Path:
        path = (self.root / _check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"storage key escapes the root: {key!r}")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:  # noqa: ARG002
        # A file keeps no content type; the attachment row holds it.
        await anyio.to_thread.run_sync(self._put, self.path_of(key), data)

    async def get(self, key: str) -> bytes:
        return await anyio.to_thread.run_sync(self._get, self.path_of(key))

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(self._delete, self.path_of(key))

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageError(details={"reason": type(exc).__name__}) from exc

    @staticmethod
    def _get(path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise StorageError(details={"reason": type(exc).__name__}) from exc

    @staticmethod
    def _delete(path: Path) -> None:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(details={"reason": type(exc).__name__}) from exc


# --- AWS Signature Version 4 ----------------------------------------------------------------

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def uri_encode_path(path: str) -> str:
    """Each segment percent-encoded per RFC 3986 (unreserved characters kept), slashes kept."""
    return quote(path, safe="/~")


def signing_key(secret_key: str, day: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret_key}".encode(), day)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def sign_v4(
    *,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    payload_sha256: str,
    access_key: str,
    secret_key: str,
    region: str,
    now: datetime,
    service: str = "s3",
) -> str:
    """The Authorization header value for a request whose ``headers`` (host and x-amz-date
    included) are all signed. ``path`` is the already-encoded canonical URI; ``query`` is
    the canonical query string (empty here: this client sends none)."""
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    canonical = {
        name.lower().strip(): " ".join(value.strip().split()) for name, value in headers.items()
    }
    names = sorted(canonical)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        [
            method.upper(),
            path,
            query,
            "".join(f"{name}:{canonical[name]}\n" for name in names),
            signed_headers,
            payload_sha256,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    signature = hmac.new(
        signing_key(secret_key, day, region, service), string_to_sign.encode(), hashlib.sha256
    ).hexdigest()
    return (
        f"{ALGORITHM} Credential={access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )


class S3Storage:
    """Path-style requests ``{endpoint}/{bucket}/{key}``, signed with SigV4; the payload
    hash is sent and signed, so the store verifies the body it receives."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        endpoint: str,
        bucket: str,
        region: str,
        access_key: str,
        secret_key: str,
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.region = region
        self.access_key = access_key
        self.secret_key = secret_key
        self.clock = clock or Clock()

    async def aclose(self) -> None:
        await self.client.aclose()

    def _url(self, key: str) -> str:
        return f"{self.endpoint}{uri_encode_path(f'/{self.bucket}/{_check_key(key)}')}"

    async def _send(
        self, method: str, key: str, data: bytes = b"", content_type: str | None = None
    ) -> httpx.Response:
        url = self._url(key)
        parts = urlsplit(url)
        now = self.clock.now()
        payload_sha256 = hashlib.sha256(data).hexdigest()
        headers = {
            "host": parts.netloc,
            "x-amz-content-sha256": payload_sha256,
            "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ"),
        }
        if content_type is not None:
            headers["content-type"] = content_type
        headers["authorization"] = sign_v4(
            method=method,
            path=parts.path,
            query="",
            headers=headers,
            payload_sha256=payload_sha256,
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
            now=now,
        )
        try:
            response = await self.client.request(
                method, url, content=data if method == "PUT" else None, headers=headers
            )
        except httpx.HTTPError as exc:
            raise StorageError(details={"reason": type(exc).__name__}) from exc
        # Deleting what is already gone succeeds on S3 itself; some compatible stores say 404.
        if not response.is_success and not (method == "DELETE" and response.status_code == 404):
            raise StorageError(details={"status": response.status_code})
        return response

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._send("PUT", key, data, content_type)

    async def get(self, key: str) -> bytes:
        return (await self._send("GET", key)).content

    async def delete(self, key: str) -> None:
        await self._send("DELETE", key)
