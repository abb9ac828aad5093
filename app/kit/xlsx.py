"""Rows of an .xlsx sheet from text people typed: every writer appends through ``append``.

A cell refuses most control characters (openpyxl raises ``IllegalCharacterError``, which
would be a 500 for a title with a stray one), and text that begins with "=" would be run as
a formula when the sheet is opened. Both are the writer's problem, not the reader's: the
characters are dropped and such text stays text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

CellValue = str | int | float | date | datetime | None


def clean(text: str) -> str:
    """``text`` without the characters a cell cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def append(sheet: Worksheet, values: Iterable[CellValue]) -> None:
    sheet.append([clean(value) if isinstance(value, str) else value for value in values])
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"
