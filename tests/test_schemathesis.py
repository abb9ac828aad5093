"""reliability.md 16: whatever schemathesis sends, the API answers with no 5xx and with
bodies that match the published schema, for a member's, a secretary's and a system admin's
token, under every check schemathesis has (`--checks all`). The app is served by uvicorn on
a local port from one event loop of its own (its database connections never cross loops),
so requests, and the extra ones some checks send (another method, no token, a missing
header), travel over real HTTP with keep-alive, as the mini-program's do.

Positive data (valid by the schema) may still break a rule the schema cannot say (an end
before the start, a branch that is not the caller's): 400 and 422 are accepted for it too."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack
from typing import Any, TypeVar

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig

from app.config import Settings
from app.main import create_app
from app.models import Role
from tests.factories import Factory, build_world
from tests.fixtures.database import empty_all_tables
from tests.fixtures.wechat import FakeWeChat

pytestmark = pytest.mark.schemathesis
T = TypeVar("T")


@schemathesis.check
def validation_caught_what_the_database_refuses(
    ctx: Any,  # noqa: ARG001 - schemathesis's signature
    response: Any,
    case: Any,  # noqa: ARG001 - schemathesis's signature
) -> None:
    """`invalid_value` is the database refusing a value validation let through (a string
    longer than its column, a NUL): the request model is missing a bound."""
    if response.status_code == 422 and "invalid_value" in response.text:
        body = response.json()
        assert body["error"]["code"] != "invalid_value", "a bound is missing: " + response.text


CJK = re.compile(r"[\u4e00-\u9fff]")


@schemathesis.check
def error_messages_are_chinese(
    ctx: Any,  # noqa: ARG001 - schemathesis's signature
    response: Any,
    case: Any,  # noqa: ARG001 - schemathesis's signature
) -> None:
    """What a user reads is Chinese by default, down to each field's message."""
    if (
        response.status_code < 400
        or "application/json" not in response.headers.get("content-type", [""])[0]
    ):
        return
    error = response.json()["error"]
    assert CJK.search(error["message"]), response.text
    for field in error.get("details", {}).get("fields", ()):
        assert CJK.search(field["message"]), response.text


ALL_CHECKS = CHECKS.get_all()
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422", "429"]
            }
        }
    }
)
ROLES = ("member", "secretary", "admin")


class AppInItsOwnLoop:
    def __init__(self, settings: Settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.app = create_app(
            settings, wechat_transport=FakeWeChat().transport(), configure_logs=False
        )
        # Port 0: the system picks a free one. (Handed a socket of ours instead, uvicorn's
        # connections were 40 ms a request slower: Nagle against the client's delayed ACK.)
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, port=0, lifespan="off", log_level="critical", access_log=False)
        )
        self.base_url = ""
        self.headers: dict[str, dict[str, str]] = {}
        self.session = requests.Session()  # kept alive across cases, as a client would
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
        member = await factory.actor(None, world.branch_a1)
        secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
        admin = await factory.actor(Role.SYSTEM_ADMIN, None)
        self.headers = {
            "member": member.headers,
            "secretary": secretary.headers,
            "admin": admin.headers,
        }
        self._serving = asyncio.create_task(self.server.serve())
        while not self.server.started:  # noqa: ASYNC110 - uvicorn has a flag, no event
            await asyncio.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        self.server.should_exit = True
        await self._serving
        await self._running.aclose()

    def stop(self) -> None:
        self.session.close()
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
    loaded = schemathesis.openapi.from_dict(spec, config=CONFIG)
    return {op.label: op for op in (result.ok() for result in loaded.get_all_operations())}


OPERATIONS = _operations()


def _has_inputs(operation: Any) -> bool:
    return any(True for _ in operation.iter_parameters()) or bool(operation.body.items)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_server_errors_and_responses_match_schema(
    label: str, mode: GenerationMode, role: str, running: AppInItsOwnLoop
) -> None:
    operation = OPERATIONS[label]
    session = running.session

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=15,  # per role: 45 cases an operation and mode in all
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        case.call_and_validate(
            base_url=running.base_url,
            session=session,
            headers=running.headers[role],
            checks=ALL_CHECKS,
            timeout=30,
        )

    try:
        check()
    except Unsatisfiable:
        if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
            pytest.skip("no input to make invalid")
        raise
