from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.kit.clock import FrozenClock
from tests.factories import Factory
from tests.transfers.scene import T0, Scene, build_scene


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Scene:
    return await build_scene(app, client, factory)
