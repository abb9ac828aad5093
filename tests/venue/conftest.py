from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings


@pytest.fixture
def storage_dir(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def settings(settings: Settings, storage_dir: Path) -> Settings:
    return settings.model_copy(update={"storage_dir": str(storage_dir)})
