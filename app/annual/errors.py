"""The codes the annual report may answer beyond the organizations' own ``org.not_found``."""

from __future__ import annotations

from app.errors import Conflict, Unprocessable


class NotSocialOrg(Unprocessable):
    """The organization is in the caller's scope but is not a social organization: only a
    social organization files an annual report. details.kind."""

    code = "annual.not_social_org"
    message_zh = "只有社会组织有年度报告"
    message_en = "Only a social organization has an annual report"


class YearOutOfRange(Unprocessable):
    """details.first_year, details.last_year (this year, in Beijing time)."""

    code = "annual.year_out_of_range"
    message_zh = "年度应在 {first_year} 年至 {last_year} 年之间"
    message_en = "The year must lie between {first_year} and {last_year}"


class YearBeforeEntry(Unprocessable):
    """The organization was entered in the system after that year ended: there is nothing
    to report. details.entered_on."""

    code = "annual.year_before_entry"
    message_zh = "该组织在该年度结束后才录入系统，没有该年度的数据"
    message_en = "The organization was entered after that year ended"


class NotesStale(Conflict):
    """The notes were saved by someone else since the version the save names.
    details.current_version."""

    code = "annual.notes_stale"
    message_zh = "年度报告备注已被他人修改，请刷新后再保存"
    message_en = "The notes were changed since you loaded them; reload and save again"
