"""reliability.md 16: whatever schemathesis sends, the API answers with no 5xx and with
bodies that match the published schema. The app runs in one event loop of its own so its
database connections never cross loops; requests go through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack
from typing import Any, TypeVar

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.main import create_app
from app.models import Role
from tests.factories import Factory, build_world
from tests.fixtures.apps import client_of
from tests.fixtures.database import empty_all_tables
from tests.fixtures.wechat import FakeWeChat

pytestmark = pytest.mark.schemathesis
T = TypeVar("T")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class AppInItsOwnLoop:
    def __init__(self, settings: Settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.app = create_app(
            settings, wechat_transport=FakeWeChat().transport(), configure_logs=False
        )
        self.client = client_of(self.app)
        self.headers: dict[str, str] = {}
        self._running = AsyncExitStack()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    async def start(self) -> None:
        await self._running.enter_async_context(self.app.router.lifespan_context(self.app))
        await empty_all_tables(self.app.state.runtime.engine)
        factory = Factory(self.app)
        world = await build_world(factory)
        for org in (world.branch_a1, world.social_a1, world.joint_b):
            await factory.member(
                org if org.kind.value != "social_org" else None,
                org if org.kind.value == "social_org" else None,
            )
        admin = await factory.actor(Role.SYSTEM_ADMIN, None)
        self.headers = admin.headers

    async def close(self) -> None:
        await self.client.aclose()
        await self._running.aclose()

    def stop(self) -> None:
        self.run(self.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def running(database_url: str) -> Iterator[AppInItsOwnLoop]:
    settings = Settings(
        database_url=database_url,
        log_json=False,
        log_level="CRITICAL",
        wechat_fake=False,
        rate_limit_login="100000/minute",
        rate_limit_login_per_openid="100000/minute",
        notify_worker_in_process=False,
        _env_file=None,  # type: ignore[call-arg]
    )
    app = AppInItsOwnLoop(settings)
    app.run(app.start())
    yield app
    app.stop()


def _operations() -> dict[str, Any]:
    spec = create_app(Settings(_env_file=None), configure_logs=False).openapi()  # type: ignore[call-arg]
    loaded = schemathesis.openapi.from_dict(spec)
    return {op.label: op for op in (result.ok() for result in loaded.get_all_operations())}


OPERATIONS = _operations()


def _has_inputs(operation: Any) -> bool:
    return any(True for _ in operation.iter_parameters()) or bool(operation.body.items)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_server_errors_and_responses_match_schema(
    label: str, mode: GenerationMode, running: AppInItsOwnLoop
) -> None:
    operation = OPERATIONS[label]

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=running.headers)
        request = {
            key: kwargs[key]
            for key in ("method", "url", "headers", "params", "json", "data")
            if kwargs.get(key) is not None
        }
        if "data" in request:
            request["content"] = request.pop("data")
        response = running.run(running.client.request(**request))
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except Unsatisfiable:
        if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
            pytest.skip("no input to make invalid")
        raise
