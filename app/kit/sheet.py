"""A figures sheet as an .xlsx workbook: a bold title, the filter it was made with and when it
was generated (Beijing time) on top, one heading row, the rows, and column widths. Every
export of figures is built here, so they all read alike; the rows go through
``xlsx.append``, which keeps what people typed from breaking the sheet or running as
formulas. ``download`` is the response that carries one."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from app.kit import xlsx
from app.kit.time import DISPLAY_ZONE

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def answer(description: str) -> dict[str, Any]:
    """A route's OpenAPI entry for its 200 answering a workbook:
    ``responses={200: sheet.answer("签到表 (.xlsx)")}``."""
    return {"content": {MEDIA_TYPE: {}}, "description": description}


def local(moment: datetime | None) -> str:
    """A time as a sheet shows it: ``2026-12-02 20:30``, Beijing time; empty for None."""
    return moment.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M") if moment else ""


def build(
    *,
    title: str,
    sheet_name: str,
    filters: Sequence[str],
    generated_at: datetime,
    headings: Sequence[str],
    widths: Sequence[int],
    rows: Iterable[Sequence[xlsx.CellValue]],
    footer: Sequence[str] = (),
) -> bytes:
    """``filters`` are lines such as ``组织：某某党委`` or ``期间：2026-11-01 至 2026-11-30``."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = sheet_name
    xlsx.append(sheet, [title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headings))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    for line in filters:
        xlsx.append(sheet, [line])
    xlsx.append(sheet, [f"生成时间：{local(generated_at)}"])
    xlsx.append(sheet, list(headings))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        xlsx.append(sheet, row)
    if footer:
        xlsx.append(sheet, [])
        for line in footer:
            xlsx.append(sheet, [line])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(content: bytes, *, ascii_name: str, name: str) -> Response:
    """The workbook as an attachment: ``ascii_name`` for old clients, the Chinese ``name``
    (RFC 5987) for the rest."""
    return Response(
        content=content,
        media_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
            )
        },
    )
