"""Shared by the roster import tests: sheets built as a secretary fills them, the scene, and
counting what an import may write."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.kit.identifiers import id_number_check_char, make_id_number
from app.models import AuditEvent, Member, Role, RosterChange
from tests.factories import Actor, Factory, World, build_world

V1 = "/api/v1/roster"
NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)  # 2026-12-03 12:00 in Beijing
TODAY = date(2026, 12, 3)
HEADINGS = [
    "姓名",
    "性别",
    "手机号",
    "身份证号",
    "出生日期",
    "党员状态",
    "入党日期",
    "组织关系所在支部",
    "工作单位",
    "流动党员",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def id_number(birth: date, *, region: str = "320102", check: str | None = None) -> str:
    """A valid ID number born on ``birth``; with ``check``, one whose check character is it."""
    for sequence in range(1000):
        number = make_id_number(region, birth, sequence)
        if check is None or number[17] == check:
            return number
    raise AssertionError(f"no sequence gives check character {check}")


def wrong_check(number: str) -> str:
    right = id_number_check_char(number[:17])
    return number[:17] + ("1" if right != "1" else "2")


def workbook(
    rows: list[dict[str, Any]], *, headings: list[str] | None = None, title_rows: int = 0
) -> bytes:
    """A sheet as a secretary fills it: ``title_rows`` lines above the headings, then one
    row per dict (heading → value; a missing heading leaves the cell empty)."""
    headings = headings or HEADINGS
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for n in range(title_rows):
        sheet.append([f"说明第{n + 1}行"])
    sheet.append(headings)
    for row in rows:
        sheet.append([row.get(heading) for heading in headings])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_book(content: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(content))
    return {
        name: [list(row) for row in book[name].iter_rows(values_only=True)]
        for name in book.sheetnames
    }


@dataclass
class Scene:
    world: World
    admin: Actor  # committee admin of 甲街道工委: 甲一支部, 甲二支部, 甲一协会, 甲二基金会
    secretary: Actor  # secretary of 甲一支部: itself and 甲一协会
    client: httpx.AsyncClient
    factory: Factory

    async def upload(
        self,
        data: bytes,
        *,
        org_id: int | None = None,
        dry_run: bool | None = None,
        actor: Actor | None = None,
        path: str = "imports",
        filename: str = "花名册.xlsx",
    ) -> httpx.Response:
        params: dict[str, Any] = {"org_id": org_id or self.world.street_a.id}
        if dry_run is not None:
            params["dry_run"] = "true" if dry_run else "false"
        return await self.client.post(
            f"{V1}/{path}",
            params=params,
            files={"file": (filename, data, XLSX)},
            headers=(actor or self.admin).headers,
        )

    async def counts(self) -> tuple[int, int, int]:
        """Members, roster ledger rows and audit events."""
        async with self.factory.runtime.sessionmaker() as session:
            return (
                await session.scalar(select(func.count()).select_from(Member)) or 0,
                await session.scalar(select(func.count()).select_from(RosterChange)) or 0,
                await session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            )


async def build_scene(client: httpx.AsyncClient, factory: Factory) -> Scene:
    world = await build_world(factory)
    admin = await factory.actor(Role.COMMITTEE_ADMIN, world.street_a)
    secretary = await factory.actor(Role.SECRETARY, world.branch_a1)
    return Scene(world, admin, secretary, client, factory)


def errors_of(body: dict[str, Any]) -> list[tuple[int, str | None, str]]:
    return [(e["row"], e["column"], e["code"]) for e in body["errors"]]
