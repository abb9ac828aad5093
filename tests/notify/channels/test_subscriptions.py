"""POST/GET /api/v1/me/subscriptions: the mini-program reports wx.requestSubscribeMessage
answers; each accept is one credit. The router is mounted here until app.main serves it."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.config import Settings
from app.notify.subscriptions_router import router
from tests.factories import Factory

URL = "/api/v1/me/subscriptions"
TEMPLATES = {
    "activity_changed": {"template_id": "tmpl-change", "thing1": "title", "time2": "starts_at"},
    "activity_cancelled": {"template_id": "tmpl-change", "thing1": "title", "time2": "starts_at"},
    "activity_published": {"template_id": "tmpl-new", "thing1": "title", "time2": "starts_at"},
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"wechat_templates": TEMPLATES})


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    served = {route.path for route in app.routes if isinstance(route, APIRoute)}
    if URL not in served:
        app.include_router(router)
    return app


@pytest.fixture
async def member_headers(factory: Factory) -> dict[str, str]:
    return (await factory.actor(None, None)).headers


def credits(response: httpx.Response) -> dict[str, int]:
    return {item["template_id"]: item["credits"] for item in response.json()}


async def test_each_accept_adds_one_credit(
    client: httpx.AsyncClient, member_headers: dict[str, str]
) -> None:
    first = await client.post(
        URL, json={"results": {"tmpl-change": "accept"}}, headers=member_headers
    )
    second = await client.post(
        URL,
        json={"results": {"tmpl-change": "accept", "tmpl-new": "accept"}},
        headers=member_headers,
    )

    assert first.status_code == 200, first.text
    assert credits(first) == {"tmpl-change": 1, "tmpl-new": 0}
    assert credits(second) == {"tmpl-change": 2, "tmpl-new": 1}


async def test_reject_ban_and_filter_add_nothing(
    client: httpx.AsyncClient, member_headers: dict[str, str]
) -> None:
    response = await client.post(
        URL, json={"results": {"tmpl-change": "reject", "tmpl-new": "ban"}}, headers=member_headers
    )
    assert response.status_code == 200
    assert credits(response) == {"tmpl-change": 0, "tmpl-new": 0}


async def test_lists_credits_with_the_kinds_each_template_serves(
    client: httpx.AsyncClient, member_headers: dict[str, str]
) -> None:
    await client.post(URL, json={"results": {"tmpl-new": "accept"}}, headers=member_headers)

    response = await client.get(URL, headers=member_headers)

    assert response.status_code == 200
    assert response.json() == [
        {
            "template_id": "tmpl-change",
            "kinds": ["activity_changed", "activity_cancelled"],
            "credits": 0,
        },
        {"template_id": "tmpl-new", "kinds": ["activity_published"], "credits": 1},
    ]


async def test_unknown_template_is_refused_and_nothing_written(
    client: httpx.AsyncClient, member_headers: dict[str, str]
) -> None:
    response = await client.post(
        URL,
        json={"results": {"tmpl-change": "accept", "tmpl-elsewhere": "accept"}},
        headers=member_headers,
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "notify.unknown_template"
    assert response.json()["error"]["details"] == {"template_ids": ["tmpl-elsewhere"]}
    assert credits(await client.get(URL, headers=member_headers))["tmpl-change"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"results": {}},
        {"results": {"tmpl-change": "maybe"}},
        {"results": {f"t{n}": "accept" for n in range(11)}},
        {"results": {"x" * 65: "accept"}},
        {"tmpl-change": "accept"},
    ],
)
async def test_malformed_reports_are_422(
    client: httpx.AsyncClient, member_headers: dict[str, str], body: object
) -> None:
    response = await client.post(URL, json=body, headers=member_headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"


async def test_an_account_without_a_member_is_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    headers = factory.headers_for(await factory.account())
    for response in (
        await client.get(URL, headers=headers),
        await client.post(URL, json={"results": {"tmpl-new": "accept"}}, headers=headers),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "auth.not_a_member"


async def test_anonymous_callers_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 401
