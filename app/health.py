"""Liveness, readiness and metrics: for the orchestrator and Prometheus, not for people."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from app.auth.dependencies import public
from app.errors import DatabaseUnavailable, NotFound, Unauthorized, responses
from app.runtime import RuntimeDep

router = APIRouter(tags=["ops"], dependencies=[Depends(public)])


class Health(BaseModel):
    status: str


@router.get("/healthz")
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", responses=responses(DatabaseUnavailable))
async def readyz(runtime: RuntimeDep) -> Health:
    """The database answers."""
    try:
        async with runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise DatabaseUnavailable() from exc
    return Health(status="ready")


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
