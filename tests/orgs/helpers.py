"""Small helpers shared by the organization tests."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.models import Organization, OrgClosure


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


async def load_org(app: FastAPI, org_id: int) -> Organization | None:
    """The row as committed, read in a short session of its own."""
    async with app.state.runtime.sessionmaker() as session:
        return await session.get(Organization, org_id)


async def parents(app: FastAPI) -> dict[int, int | None]:
    async with app.state.runtime.sessionmaker() as session:
        rows = (await session.execute(select(Organization.id, Organization.parent_id))).all()
    return {row.id: row.parent_id for row in rows}


async def depths(app: FastAPI) -> dict[int, int]:
    async with app.state.runtime.sessionmaker() as session:
        rows = (await session.execute(select(Organization.id, Organization.depth))).all()
    return {row.id: row.depth for row in rows}


async def closure_rows(app: FastAPI) -> set[tuple[int, int, int]]:
    async with app.state.runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(OrgClosure.ancestor_id, OrgClosure.descendant_id, OrgClosure.depth)
            )
        ).all()
    return {(row.ancestor_id, row.descendant_id, row.depth) for row in rows}


def closure_from_parents(parent_of: dict[int, int | None]) -> set[tuple[int, int, int]]:
    """Every (ancestor, descendant, distance) pair, found by walking parent_id upwards."""
    pairs: set[tuple[int, int, int]] = set()
    for node in parent_of:
        ancestor: int | None = node
        distance = 0
        seen: set[int] = set()
        while ancestor is not None:
            assert ancestor not in seen, f"parent_id cycle through {ancestor}"
            seen.add(ancestor)
            pairs.add((ancestor, node, distance))
            ancestor = parent_of[ancestor]
            distance += 1
    return pairs


async def assert_tree_consistent(app: FastAPI) -> None:
    """The closure table and the depth column agree with the parent_id links."""
    parent_of = await parents(app)
    expected = closure_from_parents(parent_of)
    assert await closure_rows(app) == expected
    expected_depths = dict.fromkeys(parent_of, 0)
    for _, node, distance in expected:
        expected_depths[node] = max(expected_depths[node], distance)
    assert await depths(app) == expected_depths


def org_body(kind: str, name: str, parent_id: int | None, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "name": name, "parent_id": parent_id, **fields}
