"""Probe for the dispatch benchmark, never used by the app: put this folder on PYTHONPATH of
the workers (``--worker-env PYTHONPATH=bench/notify/sniffio_probe``) and a failed
``import sniffio`` fails at once from ``sys.modules`` instead of searching ``sys.path``.

httpcore 1.0 runs ``import sniffio`` on every request (``current_async_library``); anyio 4
no longer depends on sniffio, so in our venv that import fails every time, through a full
path search. Installing ``sniffio`` has the same effect as this probe: the figure it gives
is what the dispatcher does once the dependency is declared."""

import sys

sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
