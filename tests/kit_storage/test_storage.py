from __future__ import annotations

import hashlib
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from app.config import Environment, Settings, StorageBackend
from app.kit.clock import FrozenClock
from app.kit.storage import (
    EMPTY_SHA256,
    LocalStorage,
    S3Storage,
    StorageError,
    sign_v4,
    uri_encode_path,
)
from app.main import create_app

# --- LocalStorage -------------------------------------------------------------------------------


async def test_local_round_trip_creates_folders(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "uploads")
    await storage.put("activities/7/abc", b"\xff\xd8\xffdata", "image/jpeg")
    assert (tmp_path / "uploads" / "activities" / "7" / "abc").read_bytes() == b"\xff\xd8\xffdata"
    assert await storage.get("activities/7/abc") == b"\xff\xd8\xffdata"
    await storage.put("activities/7/abc", b"replaced", "image/jpeg")
    assert await storage.get("activities/7/abc") == b"replaced"
    await storage.delete("activities/7/abc")
    assert not (tmp_path / "uploads" / "activities" / "7" / "abc").exists()
    await storage.delete("activities/7/abc")  # already gone: not an error
    # No temporary files are left behind.
    assert [p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file()] == []


async def test_local_missing_key_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        await LocalStorage(tmp_path).get("activities/1/missing")


@pytest.mark.parametrize(
    "key",
    [
        "../outside",
        "a/../../outside",
        "/etc/passwd",
        "a//b",
        "",
        "a/./b",
        "a\\..\\b",
        "a\x00b",
        "a/..",
    ],
)
async def test_local_refuses_keys_escaping_the_root(tmp_path: Path, key: str) -> None:
    storage = LocalStorage(tmp_path / "root")
    with pytest.raises(ValueError, match="storage key"):
        await storage.put(key, b"x", "image/png")
    with pytest.raises(ValueError, match="storage key"):
        await storage.get(key)
    with pytest.raises(ValueError, match="storage key"):
        await storage.delete(key)
    assert not (tmp_path / "outside").exists()


async def test_local_refuses_a_symlink_out_of_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="escapes the root"):
        await LocalStorage(root).put("link/file", b"x", "image/png")
    assert list((tmp_path / "elsewhere").iterdir()) == []


async def test_local_write_is_all_or_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = LocalStorage(tmp_path)
    await storage.put("a/file", b"first", "application/pdf")

    def failing_replace(_src: str, _dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(StorageError):
        await storage.put("a/file", b"second, never seen", "application/pdf")
    monkeypatch.undo()
    assert await storage.get("a/file") == b"first"
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["file"]


# --- SigV4 against AWS's published examples (S3 API reference, "Signature Calculations
# for the Authorization Header: Transferring Payload in a Single Chunk") ---------------------

AWS_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_NOW = datetime(2013, 5, 24, tzinfo=UTC)


def test_sigv4_matches_the_aws_get_object_example() -> None:
    authorization = sign_v4(
        method="GET",
        path="/test.txt",
        query="",
        headers={
            "Host": "examplebucket.s3.amazonaws.com",
            "Range": "bytes=0-9",
            "x-amz-content-sha256": EMPTY_SHA256,
            "x-amz-date": "20130524T000000Z",
        },
        payload_sha256=EMPTY_SHA256,
        access_key=AWS_ACCESS_KEY,
        secret_key=AWS_SECRET_KEY,
        region="us-east-1",
        now=AWS_NOW,
    )
    assert authorization == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_sigv4_matches_the_aws_put_object_example() -> None:
    payload = hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()
    assert payload == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    authorization = sign_v4(
        method="PUT",
        path=uri_encode_path("/test$file.text"),
        query="",
        headers={
            "Host": "examplebucket.s3.amazonaws.com",
            "Date": "Fri, 24 May 2013 00:00:00 GMT",
            "x-amz-date": "20130524T000000Z",
            "x-amz-storage-class": "REDUCED_REDUNDANCY",
            "x-amz-content-sha256": payload,
        },
        payload_sha256=payload,
        access_key=AWS_ACCESS_KEY,
        secret_key=AWS_SECRET_KEY,
        region="us-east-1",
        now=AWS_NOW,
    )
    assert authorization.endswith(
        "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
        "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
    )


# --- S3Storage through httpx.MockTransport ------------------------------------------------------

AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 "
    r"Credential=(?P<key>[^/]+)/(?P<day>\d{8})/(?P<region>[^/]+)/s3/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.requests: list[httpx.Request] = []
        self.fail_with: int | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail_with is not None:
            return httpx.Response(self.fail_with, text="<Error><Code>AccessDenied</Code></Error>")
        path = request.url.raw_path.decode()
        if request.method == "PUT":
            self.objects[path] = request.content
            return httpx.Response(200)
        if request.method == "GET":
            if path not in self.objects:
                return httpx.Response(404, text="<Error><Code>NoSuchKey</Code></Error>")
            return httpx.Response(200, content=self.objects[path])
        if request.method == "DELETE":
            self.objects.pop(path, None)
            return httpx.Response(204)
        return httpx.Response(405)


def s3(
    fake: FakeS3, secret: str = "secret-key-1", *, endpoint: str = "https://oss.example.cn"
) -> S3Storage:
    return S3Storage(
        httpx.AsyncClient(transport=httpx.MockTransport(fake.handle)),
        endpoint=endpoint,
        bucket="dangjian-files",
        region="cn-east-1",
        access_key="AK-TEST",
        secret_key=secret,
        clock=FrozenClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC)),
    )


async def test_s3_put_get_delete_on_path_style_urls() -> None:
    fake = FakeS3()
    storage = s3(fake, endpoint="https://oss.example.cn/")
    await storage.put("activities/3/0af1", b"%PDF-1.7 body", "application/pdf")
    assert await storage.get("activities/3/0af1") == b"%PDF-1.7 body"
    await storage.delete("activities/3/0af1")
    assert fake.objects == {}
    assert [(r.method, str(r.url)) for r in fake.requests] == [
        ("PUT", "https://oss.example.cn/dangjian-files/activities/3/0af1"),
        ("GET", "https://oss.example.cn/dangjian-files/activities/3/0af1"),
        ("DELETE", "https://oss.example.cn/dangjian-files/activities/3/0af1"),
    ]
    put, get, _ = fake.requests
    assert put.headers["content-type"] == "application/pdf"
    assert put.headers["x-amz-content-sha256"] == hashlib.sha256(b"%PDF-1.7 body").hexdigest()
    assert put.headers["x-amz-date"] == "20261125T093000Z"
    assert get.headers["x-amz-content-sha256"] == EMPTY_SHA256
    for request in fake.requests:
        match = AUTHORIZATION.match(request.headers["authorization"])
        assert match, request.headers["authorization"]
        assert (match["key"], match["day"], match["region"]) == ("AK-TEST", "20261125", "cn-east-1")
        signed = match["signed"].split(";")
        assert {"host", "x-amz-content-sha256", "x-amz-date"} <= set(signed)
        assert signed == sorted(signed)
    assert "content-type" in AUTHORIZATION.match(put.headers["authorization"])["signed"]  # type: ignore[index]
    await storage.aclose()


async def test_s3_signature_depends_on_the_secret_and_the_request() -> None:
    first, second = FakeS3(), FakeS3()
    await s3(first, "secret-one").put("k/1", b"data", "image/png")
    await s3(second, "secret-two").put("k/1", b"data", "image/png")
    await s3(second, "secret-two").put("k/1", b"other data", "image/png")
    signatures = [
        AUTHORIZATION.match(r.headers["authorization"])["signature"]  # type: ignore[index]
        for r in (*first.requests, *second.requests)
    ]
    assert len(set(signatures)) == 3


async def test_s3_signature_equals_an_independent_canonical_computation() -> None:
    fake = FakeS3()
    await s3(fake).put("activities/9/照片 1.jpg", b"\xff\xd8\xff", "image/jpeg")
    [request] = fake.requests
    assert request.url.raw_path == b"/dangjian-files/activities/9/%E7%85%A7%E7%89%87%201.jpg"
    headers = {
        name: request.headers[name]
        for name in ("content-type", "host", "x-amz-content-sha256", "x-amz-date")
    }
    expected = sign_v4(
        method="PUT",
        path=request.url.raw_path.decode(),
        query="",
        headers=headers,
        payload_sha256=hashlib.sha256(b"\xff\xd8\xff").hexdigest(),
        access_key="AK-TEST",
        secret_key="secret-key-1",
        region="cn-east-1",
        now=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
    )
    assert request.headers["authorization"] == expected


@pytest.mark.parametrize("status", [403, 404, 500, 503])
async def test_s3_non_2xx_is_a_storage_error(status: int) -> None:
    fake = FakeS3()
    fake.fail_with = status
    storage = s3(fake)
    with pytest.raises(StorageError) as raised:
        await storage.put("k/1", b"data", "image/png")
    assert raised.value.details == {"status": status}
    assert raised.value.status_code == 502
    with pytest.raises(StorageError):
        await storage.get("k/1")


async def test_s3_get_of_a_missing_key_fails_but_deleting_one_succeeds() -> None:
    fake = FakeS3()
    storage = s3(fake)
    with pytest.raises(StorageError):
        await storage.get("k/missing")
    await storage.delete("k/missing")
    fake.fail_with = 404  # some S3-compatible stores answer 404 for a missing key
    await storage.delete("k/missing")


async def test_s3_network_failure_is_a_storage_error() -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    storage = S3Storage(
        httpx.AsyncClient(transport=httpx.MockTransport(unreachable)),
        endpoint="http://127.0.0.1:9000",
        bucket="b",
        region="us-east-1",
        access_key="a",
        secret_key="s",
    )
    with pytest.raises(StorageError):
        await storage.put("k/1", b"x", "image/png")


async def test_s3_refuses_bad_keys() -> None:
    with pytest.raises(ValueError, match="invalid storage key"):
        await s3(FakeS3()).put("../other-bucket/x", b"x", "image/png")


# --- choosing the backend -----------------------------------------------------------------------


async def test_create_app_builds_the_configured_storage(tmp_path: Path) -> None:
    base = {
        "env": Environment.TEST,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        "_env_file": None,
    }
    local = create_app(Settings(**base, storage_dir=str(tmp_path / "files")), configure_logs=False)  # type: ignore[arg-type]
    assert isinstance(local.state.runtime.storage, LocalStorage)
    assert local.state.runtime.storage.root == (tmp_path / "files").resolve()
    remote = create_app(
        Settings(
            **base,  # type: ignore[arg-type]
            storage_backend=StorageBackend.S3,
            s3_endpoint="https://minio.internal:9000",
            s3_bucket="dangjian",
            s3_access_key="ak",
            s3_secret_key="sk",
        ),
        configure_logs=False,
    )
    storage = remote.state.runtime.storage
    assert isinstance(storage, S3Storage)
    assert (storage.endpoint, storage.bucket, storage.region) == (
        "https://minio.internal:9000",
        "dangjian",
        "us-east-1",
    )
    for app in (local, remote):
        await app.state.runtime.aclose()


def test_the_s3_backend_needs_its_settings() -> None:
    with pytest.raises(ValidationError, match="APP_S3_ENDPOINT, APP_S3_BUCKET"):
        Settings(
            storage_backend=StorageBackend.S3,
            s3_access_key="ak",
            s3_secret_key="sk",
            _env_file=None,
        )  # type: ignore[call-arg]
