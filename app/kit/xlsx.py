"""Rows of an .xlsx sheet from text people typed: every writer appends through ``append``.

A cell refuses most control characters (openpyxl raises ``IllegalCharacterError``, which
would be a 500 for a title with a stray one), and text that begins with "=" would be run as
a formula when the sheet is opened. Both are the writer's problem, not the reader's: the
characters are dropped and such text stays text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

CellValue = str | int | float | date | datetime | None


def clean(text: str) -> str:
    """``text`` without the characters a cell cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def append(sheet: Worksheet, values: Iterable[CellValue]) -> None:
    # The cells are made here and handed to append: reading the row back through
    # sheet[sheet.max_row] scanned every cell of the sheet for each row (max_row, then
    # max_column), 25 s for the 4,600 rows of a city's compliance sheet.
    cells: list[Cell] = []
    for column, value in enumerate(values, start=1):
        shown = clean(value) if isinstance(value, str) else value
        cell = Cell(sheet, row=1, column=column, value=shown)  # append sets its row
        if cell.data_type == "f":
            cell.data_type = "s"
        cells.append(cell)
    sheet.append(cells)
