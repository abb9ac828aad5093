"""What the internet may not see: /metrics only with the bearer token from settings (404
without one), and the API's docs switched off in production by a setting."""

from __future__ import annotations

import httpx
import pytest

from app.config import Settings
from tests.fixtures.apps import SpawnApp


@pytest.mark.parametrize(
    ("token", "authorization", "status"),
    [
        (None, None, 404),
        (None, "Bearer ", 404),
        ("s3cret-scrape", None, 401),
        ("s3cret-scrape", "Bearer wrong", 401),
        ("s3cret-scrape", "s3cret-scrape", 401),
        ("s3cret-scrape", "Bearer s3cret-scrape", 200),
    ],
)
async def test_metrics_answer_only_the_bearer_of_the_token(
    client: httpx.AsyncClient,
    settings: Settings,
    token: str | None,
    authorization: str | None,
    status: int,
) -> None:
    settings.metrics_token = token
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = await client.get("/metrics", headers=headers)

    assert response.status_code == status, response.text
    if status == 200:
        assert "http_requests_total" in response.text
    else:
        assert "http_requests_total" not in response.text
        assert response.json()["error"]["code"] in {"not_found", "auth.unauthorized"}


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
async def test_docs_can_be_turned_off(settings: Settings, spawn_app: SpawnApp, path: str) -> None:
    _, shown = await spawn_app(settings)
    _, hidden = await spawn_app(settings.model_copy(update={"docs_enabled": False}))

    assert (await shown.get(path)).status_code == 200
    assert (await hidden.get(path)).status_code == 404
