"""Liveness, readiness and metrics: for the orchestrator and Prometheus, not for people."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.dependencies import public
from app.errors import (
    DATABASE_ERRORS,
    DatabaseNotMigrated,
    DatabaseUnavailable,
    NotFound,
    Unauthorized,
    responses,
)
from app.idempotency.route import IdempotentRoute
from app.migrate import head_revision
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, tags=["ops"], dependencies=[Depends(public)])


class Health(BaseModel):
    status: str


@router.get("/healthz")
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", responses=responses(DatabaseUnavailable, DatabaseNotMigrated))
async def readyz(runtime: RuntimeDep) -> Health:
    """The database answers and its schema is at the migration head: a server started
    before `python -m app migrate` ran (or against an emptied database) is not ready."""
    try:
        async with runtime.read_engine.connect() as connection:
            versions = await _schema_versions(connection)
    except DATABASE_ERRORS as exc:
        raise DatabaseUnavailable() from exc
    if versions != {head_revision()}:
        raise DatabaseNotMigrated(details={"expected": head_revision(), "found": sorted(versions)})
    return Health(status="ready")


async def _schema_versions(connection: AsyncConnection) -> set[str]:
    def has_version_table(sync: Connection) -> bool:
        return inspect(sync).has_table("alembic_version")

    # Asked, not tried: on a database never migrated the missing table is the answer.
    if not await connection.run_sync(has_version_table):
        return set()
    return set(
        (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars()
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}, **responses(Unauthorized, NotFound)},
)
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    """Prometheus metrics: requests, latencies and errors by route. Only with
    `Authorization: Bearer <APP_METRICS_TOKEN>`; without that setting there are none (404)."""
    token = runtime.settings.metrics_token
    if not token:
        raise NotFound()
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Unauthorized()
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)
