"""The server's start-up sets the garbage collector for serving (app/kit/gc_tuning.py). Run
in a child process: the settings are the whole process's, and the suite's own must not move."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

STARTS_THE_APP_TWICE = """
import asyncio, gc, json
from app.main import create_app

async def start_and_stop(app):
    async with app.router.lifespan_context(app):
        return gc.get_threshold(), gc.get_freeze_count()

before = gc.get_threshold()
first = asyncio.run(start_and_stop(create_app()))
second = asyncio.run(start_and_stop(create_app()))
print(json.dumps({"before": before, "first": first, "second": second}))
"""


def test_serving_raises_the_first_threshold_and_freezes_start_up_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "TEST_"))}
    env.update(
        {
            "APP_ENV": "development",
            "APP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gc.db'}",
            "APP_NOTIFY_WORKER_IN_PROCESS": "false",
            "APP_LOG_LEVEL": "WARNING",
        }
    )
    done = subprocess.run(  # noqa: S603 (our own script, with this interpreter)
        [sys.executable, "-c", STARTS_THE_APP_TWICE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    (threshold, frozen), (threshold_again, frozen_again) = seen["first"], seen["second"]
    assert seen["before"][0] == 700  # CPython's default, for comparison
    assert threshold == [10_000, seen["before"][1], seen["before"][2]]
    assert frozen > 10_000  # the modules, routes and mappers of start-up
    # A second start in the process changes nothing: freezing again would take in the
    # second app's objects, some 2,700; a few hundred come and go by themselves.
    assert threshold_again == threshold
    assert abs(frozen_again - frozen) < 1_000
