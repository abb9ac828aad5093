"""Shared by the oversight tests: reading answers and sheets."""

from __future__ import annotations

import io
from typing import Any

import httpx
from openpyxl import load_workbook

from tests.factories import Actor

V1 = "/api/v1/oversight"


async def get_json(client: httpx.AsyncClient, url: str, actor: Actor) -> dict[str, Any]:
    response = await client.get(url, headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def sheet_rows(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]
