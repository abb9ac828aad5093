from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.clock import Clock
from app.migrate import upgrade
from tests.factories import Factory
from tests.fixtures.database import (
    create_postgres_database_if_missing,
    is_postgres,
    test_database_url,
    worker_database_url,
)
from tests.fixtures.settings import settings_for
from tests.fixtures.wechat import FakeWeChat

# The app, its client and further instances of it: started and stopped through the lifespan.
pytest_plugins = ("tests.fixtures.apps",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if is_postgres(test_database_url(Path("."))):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    named = test_database_url(tmp_path_factory.mktemp("db"))
    url = worker_database_url(named, os.environ.get("PYTEST_XDIST_WORKER"))
    if url != named:
        create_postgres_database_if_missing(url, via=named)
    upgrade(url)
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url)


@pytest.fixture
def wechat() -> FakeWeChat:
    return FakeWeChat()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def db(app: FastAPI) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking rows; commit what you arrange."""
    async with app.state.runtime.sessionmaker() as session:
        yield session


@pytest.fixture
def factory(app: FastAPI) -> Factory:
    return Factory(app)


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)
