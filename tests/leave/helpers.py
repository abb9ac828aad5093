"""Arranging activities through the API, and reading every row to prove nothing changed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.models import Base, Organization

V1 = "/api/v1"


async def create_activity(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    org: Organization,
    *,
    starts_at: datetime,
    publish: bool = True,
    **fields: Any,
) -> int:
    created = await client.post(
        f"{V1}/activities",
        json={
            "org_id": org.id,
            "type": "branch_general_meeting",
            "title": f"{org.name}党员大会",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
            **fields,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    activity_id: int = created.json()["id"]
    if publish:
        published = await client.post(f"{V1}/activities/{activity_id}/publish", headers=headers)
        assert published.status_code == 200, published.text
    return activity_id


async def snapshot(app: FastAPI) -> dict[str, list[str]]:
    """Every row of every table, as text, in a stable order."""
    tables: dict[str, list[str]] = {}
    async with app.state.runtime.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            tables[table.name] = sorted(repr(tuple(row)) for row in rows)
    return tables
