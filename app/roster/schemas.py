from __future__ import annotations

from pydantic import BaseModel, Field


class RowError(BaseModel):
    row: int = Field(description="The row's number in the sheet, as Excel shows it")
    column: str | None = Field(
        description="The column's heading (e.g. 身份证号); null for a problem of the whole row"
    )
    code: str = Field(description="Stable code, e.g. `id_number.check_char`")
    message: str = Field(description="The problem in Chinese")


class ImportReport(BaseModel):
    """What an upload found: the totals, and every error with its row and column."""

    org_id: int
    dry_run: bool
    committed: bool = Field(description="True once the rows are written (dry_run=false, no error)")
    total_rows: int = Field(description="Non-empty rows below the heading row")
    valid_rows: int
    invalid_rows: int
    created: int = Field(description="Members written: every row, or none")
    errors: list[RowError] = Field(description="In row order, then in the columns' order")
    ignored_columns: list[str] = Field(
        description="Headings of the sheet that are no column of the template: not read"
    )
