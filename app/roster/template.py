"""The roster workbook: its columns, the template to download, reading an uploaded sheet
into rows of cell values (bounded), and the same sheet given back with an 错误 column."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from app.kit import sheet, xlsx
from app.models import Organization
from app.models.orgs import OrgKind
from app.roster.errors import (
    RosterEmpty,
    RosterHeadingsMissing,
    RosterNotXlsx,
    RosterTooManyRows,
    RosterWorkbookTooLarge,
)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# What the parts of an .xlsx may unpack to, all together: a full 5,000-row sheet is a few MB.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
# The heading row is looked for in the first rows; columns past these are not read.
HEADING_SEARCH_ROWS = 10
MAX_COLUMNS = 40
ROSTER_SHEET = "花名册"
ERROR_HEADING = "错误"


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    width: int
    accepts: str
    required: bool = False
    text: bool = False  # formatted as text, so Excel keeps every digit


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", 12, "必填；不超过50个字", required=True),
    Column("gender", "性别", 8, "选填；“男”或“女”"),
    Column("phone", "手机号", 15, "选填；11位手机号码，以1开头；同一花名册内不能重复", text=True),
    Column(
        "id_number",
        "身份证号",
        22,
        "选填；18位居民身份证号码，末位可为X，按 GB 11643 校验；同一花名册内不能重复",
        text=True,
    ),
    Column(
        "birth_date",
        "出生日期",
        12,
        "选填；如 1985-06-15（也可填 1985/6/15、1985年6月15日）；填了身份证号时须与其一致，"
        "不填则取自身份证号",
    ),
    Column(
        "party_status",
        "党员状态",
        12,
        "必填；“正式党员”“预备党员”“入党积极分子”或“群众”",
        required=True,
    ),
    Column("joined_party_on", "入党日期", 12, "选填；日期格式同上；不能晚于今天，不能早于出生日期"),
    Column(
        "relation_org",
        "组织关系所在支部",
        22,
        "与“工作单位”至少填一项；本组织范围内党支部或联合党支部的全称，见“可选组织”表",
    ),
    Column(
        "workplace_org",
        "工作单位",
        26,
        "与“组织关系所在支部”至少填一项；本组织范围内社会组织的全称或统一社会信用代码，"
        "见“可选组织”表",
    ),
    Column("is_mobile", "流动党员", 10, "选填；“是”或“否”，不填为“否”"),
)
BY_HEADING = {column.heading: column for column in COLUMNS}
BY_KEY = {column.key: column for column in COLUMNS}
REQUIRED_HEADINGS = [column.heading for column in COLUMNS if column.required]

_KIND_LABELS = {
    OrgKind.BRANCH: "党支部",
    OrgKind.JOINT_BRANCH: "联合党支部",
    OrgKind.SOCIAL_ORG: "社会组织",
}
_HEADING_FONT = Font(bold=True)
_HEADING_FILL = PatternFill("solid", fgColor="FFE699")
_ERROR_FONT = Font(color="C00000")


def _widths(target: Any, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths, start=1):
        target.column_dimensions[get_column_letter(index)].width = width


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build_template(
    org: Organization, orgs: Sequence[Organization], generated_at: datetime
) -> bytes:
    """Three sheets: 花名册 (the headings, nothing else: rows are filled below them), 填写说明
    (what each column accepts) and 可选组织 (the branches and social organizations of
    ``org``'s subtree, as the columns name them)."""
    book = Workbook()
    roster = book.active
    assert roster is not None
    roster.title = ROSTER_SHEET
    xlsx.append(roster, [column.heading for column in COLUMNS])
    for cell in roster[1]:
        cell.font = _HEADING_FONT
        cell.fill = _HEADING_FILL
    roster.freeze_panes = "A2"
    _widths(roster, [column.width for column in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        if column.text:
            # Text, or Excel turns an 18-digit ID number into 3.2e17 and loses its digits.
            for row in range(2, MAX_ROWS + 2):
                roster.cell(row=row, column=index).number_format = "@"

    notes = book.create_sheet("填写说明")
    xlsx.append(notes, [f"党员花名册导入模板（{org.name}）"])
    notes["A1"].font = Font(bold=True, size=14)
    xlsx.append(notes, [f"生成时间：{sheet.local(generated_at)}"])
    xlsx.append(
        notes,
        [
            f"在“{ROSTER_SHEET}”表第2行起每行填写一人，不超过{MAX_ROWS}行，文件不超过"
            f"{MAX_FILE_BYTES // (1024 * 1024)} MB；先“检查”（试导入）看每行的错误，"
            "全部无误后再“导入”，有任何一行有误则一行也不导入。"
        ],
    )
    xlsx.append(notes, [])
    xlsx.append(notes, ["列", "是否必填", "填写要求"])
    for cell in notes[notes.max_row]:
        cell.font = _HEADING_FONT
    for column in COLUMNS:
        xlsx.append(notes, [column.heading, "必填" if column.required else "选填", column.accepts])
    for row in notes.iter_rows(min_row=6):
        row[2].alignment = Alignment(wrap_text=True)
    _widths(notes, [20, 10, 90])

    choices = book.create_sheet("可选组织")
    xlsx.append(choices, ["组织名称", "类型", "统一社会信用代码", "可填入的列"])
    for cell in choices[1]:
        cell.font = _HEADING_FONT
    for item in orgs:
        into = "工作单位" if item.kind is OrgKind.SOCIAL_ORG else "组织关系所在支部"
        xlsx.append(
            choices, [item.name, _KIND_LABELS.get(item.kind, ""), item.credit_code or "", into]
        )
    _widths(choices, [36, 12, 22, 18])
    return _save(book)


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row's number in Excel, as the secretary sees it
    values: dict[str, Any]  # column key → the cell's value (None when empty)


@dataclass(frozen=True)
class UploadedSheet:
    headings: list[str]  # the heading row as it was, the 错误 column excepted
    heading_row: int
    rows: list[SheetRow]
    raw: list[tuple[int, list[Any]]]  # each data row's cells, in the headings' order
    ignored: list[str]  # headings that are no column of the template


def _heading(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.strip().rstrip("*＊").strip()


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise RosterNotXlsx() from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise RosterWorkbookTooLarge(details={"max_bytes": MAX_UNPACKED_BYTES})


def read_sheet(data: bytes) -> UploadedSheet:
    """The roster sheet of an uploaded workbook (the one named 花名册, else the first): its
    heading row (the first of the first rows with 姓名) and every non-empty row below it,
    at most ``MAX_ROWS`` of them."""
    if not data:
        raise RosterNotXlsx()
    _check_unpacked_size(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RosterNotXlsx() from exc
    try:
        return _read(book)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        # A part that does not parse as the sheet it says it is.
        raise RosterNotXlsx() from exc
    finally:
        book.close()


def _read(book: Any) -> UploadedSheet:
    names = book.sheetnames
    if not names:
        raise RosterNotXlsx()
    source = book[ROSTER_SHEET] if ROSTER_SHEET in names else book[names[0]]
    rows = source.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    headings: list[str] | None = None
    heading_row = 0
    for number, cells in enumerate(rows, start=1):
        found = [_heading(value) for value in cells]
        if "姓名" in found:
            headings, heading_row = found, number
            break
        if number >= HEADING_SEARCH_ROWS:
            break
    if headings is None:
        raise RosterHeadingsMissing(details={"missing": REQUIRED_HEADINGS})
    missing = [heading for heading in REQUIRED_HEADINGS if heading not in headings]
    if missing:
        raise RosterHeadingsMissing(details={"missing": missing})
    while headings and not headings[-1]:
        headings.pop()
    positions: dict[str, int] = {}
    for index, heading in enumerate(headings):
        column = BY_HEADING.get(heading)
        if column is not None and column.key not in positions:
            positions[column.key] = index
    ignored = [h[:50] for h in headings if h and h not in BY_HEADING and h != ERROR_HEADING]
    error_index = headings.index(ERROR_HEADING) if ERROR_HEADING in headings else None
    kept = [i for i in range(len(headings)) if i != error_index]
    parsed: list[SheetRow] = []
    raw: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(rows, start=heading_row + 1):
        values = list(cells)[: len(headings)]
        values += [None] * (len(headings) - len(values))
        if all(_empty(values[i]) for i in kept):
            continue
        if len(parsed) >= MAX_ROWS:
            raise RosterTooManyRows(details={"max_rows": MAX_ROWS})
        parsed.append(SheetRow(number, {key: values[index] for key, index in positions.items()}))
        raw.append((number, [values[i] for i in kept]))
    if not parsed:
        raise RosterEmpty()
    return UploadedSheet(
        headings=[headings[i] for i in kept],
        heading_row=heading_row,
        rows=parsed,
        raw=raw,
        ignored=ignored,
    )


def _shown(value: Any) -> xlsx.CellValue:
    if value is None or isinstance(value, str | int | float | date | datetime):
        return value
    return str(value)


def build_errors_workbook(uploaded: UploadedSheet, problems: dict[int, list[str]]) -> bytes:
    """The uploaded rows as they were, under the same headings, with an 错误 column: each
    row's problems (``列：说明``), empty where the row is right. Fixed and uploaded again,
    it is read like the template (the 错误 column is skipped)."""
    book = Workbook()
    out = book.active
    assert out is not None
    out.title = ROSTER_SHEET
    xlsx.append(out, [*uploaded.headings, ERROR_HEADING])
    for cell in out[1]:
        cell.font = _HEADING_FONT
        cell.fill = _HEADING_FILL
    out.freeze_panes = "A2"
    text_columns = {
        index
        for index, heading in enumerate(uploaded.headings, start=1)
        if heading in BY_HEADING and BY_HEADING[heading].text
    }
    for number, cells in uploaded.raw:
        messages = problems.get(number, [])
        xlsx.append(out, [*(_shown(value) for value in cells), "；".join(messages) or None])
        row = out[out.max_row]
        for index in text_columns:
            row[index - 1].number_format = "@"
        if messages:
            row[-1].font = _ERROR_FONT
    widths = [BY_HEADING[h].width if h in BY_HEADING else 14 for h in uploaded.headings]
    _widths(out, [*widths, 60])
    return _save(book)
