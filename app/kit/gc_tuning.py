"""The garbage collector set for serving requests, once per server process.

A request allocates a few thousand objects (SQLAlchemy rows and contexts, pydantic models,
ASGI messages), and at CPython's default first-generation threshold of 700 the collector
ran every few requests, each time walking what was still alive from requests in flight:
about a sixth of the server's CPU in the check-in benchmark (bench/README.md). Ten thousand
collects as often as a few requests end. The objects of start-up (modules, routes, the
SQLAlchemy mappers) live as long as the process, so they are frozen out of every walk."""

from __future__ import annotations

import gc

FIRST_GENERATION_THRESHOLD = 10_000

_tuned = False


def tune_for_serving() -> None:
    """Freeze what start-up made and raise the first threshold; later calls do nothing."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()  # what start-up left as garbage goes now, not into the frozen set
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(FIRST_GENERATION_THRESHOLD, second, third)
