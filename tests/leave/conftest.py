from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.kit.clock import FrozenClock


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))
