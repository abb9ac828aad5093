"""The app core every feature relies on: request ids, metrics, the error body, logs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import httpx
import pytest

from app.auth.schemas import LOGIN_CODE_MAX
from app.config import Settings, StorageBackend
from app.main import create_app
from app.models import Role
from app.observability import JsonFormatter, configure_logging, request_id_var
from tests.factories import Factory, build_world
from tests.fixtures.apps import client_of
from tests.fixtures.wechat import FakeWeChat


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"
    assert len(unsafe.headers["x-request-id"]) == 32


async def test_metrics_count_by_route_template(
    client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    settings.metrics_token = "scrape-me"
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.city)
    await client.get(f"/api/v1/orgs/{world.branch_a1.id}", headers=admin.headers)
    await client.get("/api/v1/orgs/999999", headers=admin.headers)
    text = (await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})).text
    assert (
        'http_requests_total{method="GET",route="/api/v1/orgs/{org_id}",status="200"} 1.0' in text
    )
    assert (
        'http_requests_total{method="GET",route="/api/v1/orgs/{org_id}",status="404"} 1.0' in text
    )
    assert "/api/v1/orgs/999999" not in text
    assert (
        'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/orgs/{org_id}"}'
        in text
    )


async def test_error_body_is_stable_and_speaks_english_on_request(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/api/v1/nowhere")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "route.not_found"
    assert missing.json()["error"]["message"] == "请求的接口不存在"

    unauthenticated = await client.get("/api/v1/me")
    assert unauthenticated.status_code == 401
    body = unauthenticated.json()["error"]
    assert body["code"] == "auth.missing_token"
    assert body["message"] == "请先登录"
    english = await client.get("/api/v1/me", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert english.json()["error"]["message"] == "Sign in first"

    wrong_method = await client.put("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"

    not_json = await client.post(
        "/api/v1/auth/wechat/login",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    assert not_json.json()["error"]["code"] == "validation_failed"


def test_json_log_line_carries_request_id_and_hides_personal_numbers() -> None:
    record = logging.LogRecord(
        "app.test",
        logging.INFO,
        __file__,
        1,
        "member %s phone %s",
        ("320102198506150012", "13812345678"),
        None,
    )
    token = request_id_var.set("req-42")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["request_id"] == "req-42"
    assert "320102198506150012" not in line["message"]
    assert "13812345678" not in line["message"]
    assert "3201**********0012" in line["message"]
    assert "138****5678" in line["message"]


async def test_unreachable_database_answers_503(settings: Settings, factory: Factory) -> None:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.city)
    # Nothing listens on port 1: the database is "gone" for this second app instance.
    gone = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://postgres@127.0.0.1:1/none"}
    )
    app = create_app(gone, configure_logs=False)
    async with app.router.lifespan_context(app), client_of(app) as client:
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["error"]["code"] == "database.unavailable"
        listing = await client.get("/api/v1/orgs", headers=admin.headers)
        assert listing.status_code == 503
        assert listing.json()["error"]["code"] == "database.unavailable"


async def test_stopping_the_app_closes_every_client_it_opened(settings: Settings) -> None:
    s3 = settings.model_copy(
        update={
            "storage_backend": StorageBackend.S3,
            "s3_endpoint": "https://minio.internal:9000",
            "s3_bucket": "dangjian",
            "s3_access_key": "ak",
            "s3_secret_key": "sk",
        }
    )
    app = create_app(s3, wechat_transport=FakeWeChat().transport(), configure_logs=False)
    runtime = app.state.runtime
    async with app.router.lifespan_context(app):
        await runtime.wechat.fetch_stable_token()
    assert runtime.notify_http.is_closed
    assert runtime.storage.client.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        await runtime.wechat.fetch_stable_token()


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(ValueError, match="APP_JWT_KEYS"):
        Settings(env="production", _env_file=None)  # type: ignore[call-arg, arg-type]


def test_a_wrong_setting_stops_the_cli_with_its_name_and_no_traceback() -> None:
    env = {**os.environ, "APP_WECOM_WEBHOOK_URL": "http://0177.0.0.1/"}
    run = subprocess.run(
        [sys.executable, "-m", "app", "openapi", "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1
    assert "APP_WECOM_WEBHOOK_URL" in run.stderr
    assert "Traceback" not in run.stderr


async def test_field_messages_are_chinese_unless_english_is_asked(
    client: httpx.AsyncClient,
) -> None:
    login = "/api/v1/auth/wechat/login"
    cases = [
        (
            {"code": ""},
            "string_too_short",
            "至少1个字符",
            "String should have at least 1 character",
        ),
        ({"code": 5}, "string_type", "应为文本", "Input should be a valid string"),
        ({}, "missing", "必填", "Field required"),
        (
            {"code": "x" * 100},
            "string_too_long",
            f"最多{LOGIN_CODE_MAX}个字符",
            f"String should have at most {LOGIN_CODE_MAX} characters",
        ),
    ]
    for body, code, chinese, english in cases:
        default = await client.post(login, json=body)
        assert default.status_code == 422
        (field,) = [f for f in default.json()["error"]["details"]["fields"] if f["code"] == code]
        assert field["message"] == chinese
        asked = await client.post(login, json=body, headers={"Accept-Language": "en"})
        (field,) = [f for f in asked.json()["error"]["details"]["fields"] if f["code"] == code]
        assert field["message"] == english
    # Our own codes keep their own (Chinese) message.
    control = await client.post(login, json={"code": "a\u0000b"})
    assert control.json()["error"]["details"]["fields"][0]["message"] == "不能包含控制字符"


async def test_no_log_line_carries_the_wechat_secret_or_a_login_code(
    client: httpx.AsyncClient, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("httpx").level)
    configure_logging("INFO", as_json=True)
    try:
        response = await client.post("/api/v1/auth/wechat/login", json={"code": "code-4711"})
        assert response.status_code == 200, response.text
        logging.getLogger("app.test").info(
            "GET https://api.weixin.qq.com/sns/jscode2session?appid=wx&secret=%s&js_code=%s",
            settings.wechat_secret,
            "code-4711",
        )
    finally:
        root.handlers, root.level = saved[0], saved[1]
        logging.getLogger("httpx").setLevel(saved[2])
    logged = capsys.readouterr().err
    assert "jscode2session" in logged  # the line was written, with its credentials hidden
    assert settings.wechat_secret not in logged
    assert "code-4711" not in logged
