"""What every benchmark here shares: the log line, a clean environment for the servers, the
PostgreSQL database recreated and migrated with the app's own migrations, one uvicorn
worker started and stopped, its CPU time, wrk driven by a Lua script that prints one
``BENCH_JSON`` line, and the lifespan of a raw-asyncpg ceiling. A benchmark imports it with
``sys.path`` holding ``bench/`` (each run.py puts it there)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext

from app.kit.gc_tuning import tune_for_serving

ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the app's, the tests' and the ceilings' settings,
    in development mode and quiet, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("APP_", "TEST_", "CEILING_", "PYTHONASYNCIODEBUG"))
    }
    env.update({"APP_ENV": "development", "APP_LOG_LEVEL": "WARNING"})
    env.update(extra or {})
    return env


def asyncpg_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


async def recreate_postgres(server: str, database: str) -> None:
    connection = await asyncpg.connect(f"{server.rstrip('/')}/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


def migrate(url: str) -> None:
    """The app's own migrations, to head, as ``make run`` applies them."""
    subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        cwd=ROOT,
        env=clean_env({"APP_DATABASE_URL": url}),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_process(
    name: str, command: list[str], env: dict[str, str], logs: Path
) -> subprocess.Popen[bytes]:
    log_file = open(logs / f"{name}.log", "wb")  # noqa: SIM115 - the child keeps it open
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=log_file)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_http(url: str, process: subprocess.Popen[bytes], name: str, logs: Path) -> None:
    """Until ``url`` answers 200; the process's death or a minute's silence ends the run."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited; see {logs / f'{name}.log'}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_process(process)
    raise SystemExit(f"{name} did not come up at {url}")


def start_server(
    name: str, target: str, app_dir: Path, port: int, env: dict[str, str], logs: Path
) -> subprocess.Popen[bytes]:
    """One uvicorn worker serving the app factory ``target`` on 127.0.0.1:``port``, once its
    /healthz answers. uvicorn binds its own port (a socket handed over costs 40 ms of Nagle
    per answer)."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--factory",
        "--app-dir",
        str(app_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = start_process(name, command, env, logs)
    wait_http(f"http://127.0.0.1:{port}/healthz", process, name, logs)
    return process


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(
    script: Path,
    url: str,
    *,
    threads: int,
    connections: int,
    seconds: int,
    script_args: list[str],
    raw: Path | None = None,
) -> dict[str, Any]:
    """wrk with ``script``, which must print ``BENCH_JSON {...}`` in its done(); the figures
    it printed, and the whole output in ``raw`` when given."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        url,
        "--",
        *script_args,
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    if raw is not None:
        raw.write_text(" ".join(command) + "\n\n" + output, encoding="utf-8")
    line = next(x for x in output.splitlines() if x.startswith("BENCH_JSON "))
    figures: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    figures["command"] = " ".join(command)
    return figures


def socket_errors(figures: dict[str, Any]) -> int:
    keys = ("connect_errors", "read_errors", "write_errors", "timeout_errors")
    return sum(int(figures[k]) for k in keys)


def ceiling_lifespan(
    dsn: str, pool_size: int
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A ceiling's lifespan: the app's collector settings (the ratio compares code, not gc)
    and an asyncpg pool as large as the app's, on ``app.state.pool``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tune_for_serving()
        app.state.pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
        yield
        await app.state.pool.close()

    return lifespan


Statement = tuple[str, tuple[Any, ...]]


class Recorder:
    """The statements SQLAlchemy sends the driver, as sent (asyncpg's $n and the values):
    a ``before_cursor_execute`` listener, recording while ``statements`` is a list."""

    def __init__(self) -> None:
        self.statements: list[Statement] | None = None

    def __call__(
        self,
        conn: Connection,  # noqa: ARG002 - SQLAlchemy's signature
        cursor: DBAPICursor,  # noqa: ARG002
        statement: str,
        parameters: Any,
        context: ExecutionContext | None,  # noqa: ARG002
        executemany: bool,  # noqa: ARG002
    ) -> None:
        if self.statements is not None:
            self.statements.append((statement, tuple(parameters or ())))
