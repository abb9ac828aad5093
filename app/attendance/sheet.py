"""The sign-in sheet (签到表) of an activity as an .xlsx workbook with Chinese headings, for
the branch's records and for printing. Rows go through ``xlsx.append``, which keeps what
people typed (titles, names, reasons) from breaking the sheet or running as formulas."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from app.attendance.service import PersonState, RosterLine, RosterSummary
from app.kit import xlsx
from app.kit.time import DISPLAY_ZONE
from app.models import Activity, ActivityType, CheckInMethod, PartyStatus
from app.models.activities import RecordSource, ReviewStatus

TYPE_NAMES = {
    ActivityType.BRANCH_GENERAL_MEETING: "支部党员大会",
    ActivityType.BRANCH_COMMITTEE: "支部委员会",
    ActivityType.PARTY_GROUP: "党小组会",
    ActivityType.PARTY_LECTURE: "党课",
    ActivityType.THEMED_PARTY_DAY: "主题党日",
    ActivityType.ORG_LIFE_MEETING: "组织生活会",
    ActivityType.MEMBER_APPRAISAL: "民主评议党员",
    ActivityType.GROUP_STUDY: "集中学习",
    ActivityType.VOLUNTEER: "志愿服务",
    ActivityType.OTHER: "其他",
}
STATUS_NAMES = {
    PartyStatus.FULL_MEMBER: "正式党员",
    PartyStatus.PROBATIONARY: "预备党员",
    PartyStatus.ACTIVIST: "入党积极分子",
    PartyStatus.MASSES: "群众",
}
STATE_NAMES = {
    PersonState.PRESENT: "出席",
    PersonState.LATE: "迟到",
    PersonState.EXCUSED: "请假",
    PersonState.ABSENT: "缺席",
    PersonState.PENDING: "未到",
}
METHOD_NAMES = {
    CheckInMethod.ROTATING_CODE: "扫码",
    CheckInMethod.POSTER: "海报码",
    CheckInMethod.GEOFENCE: "定位",
    CheckInMethod.MANUAL: "补签",
}
HEADINGS = (
    "序号",
    "姓名",
    "政治面貌",
    "状态",
    "签到时间",
    "签退时间",
    "时长（分钟）",
    "签到方式",
    "备注",
)
WIDTHS = (6, 12, 14, 8, 18, 18, 12, 10, 30)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _remarks(line: RosterLine) -> str:
    notes = []
    if not line.expected:
        notes.append("非应到人员")
    attendance = line.attendance
    if attendance is not None:
        if attendance.manual_reason:
            # A 补录 row's time is the activity's start, not a check-in: say it is a record.
            backfilled = attendance.source is RecordSource.BACKFILL
            notes.append(f"{'补录' if backfilled else '补签'}：{attendance.manual_reason}")
        if attendance.review_status is ReviewStatus.PENDING:
            notes.append("待核查")
        elif attendance.review_status is ReviewStatus.REJECTED:
            undone = attendance.method is CheckInMethod.MANUAL
            notes.append(f"{'补签已撤销' if undone else '签到未认可'}：{attendance.review_note}")
    return "；".join(notes)


def build(
    activity: Activity,
    org_name: str,
    lines: Sequence[RosterLine],
    summary: RosterSummary,
) -> bytes:
    zone = DISPLAY_ZONE
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "签到表"
    xlsx.append(sheet, [f"{activity.title} 签到表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADINGS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    xlsx.append(sheet, [f"组织：{org_name}", None, None, f"类型：{TYPE_NAMES[activity.type]}"])
    xlsx.append(
        sheet,
        [
            f"时间：{_local(activity.starts_at, zone)} 至 {_local(activity.ends_at, zone)}",
            None,
            None,
            f"地点：{activity.venue_name or ''}",
        ],
    )
    xlsx.append(sheet, list(HEADINGS))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for number, line in enumerate(lines, start=1):
        attendance = line.attendance
        duration = None
        if attendance is not None and attendance.checked_out_at is not None:
            elapsed = attendance.checked_out_at - attendance.checked_in_at
            duration = int(elapsed.total_seconds() // 60)
        xlsx.append(
            sheet,
            [
                number,
                line.name,
                STATUS_NAMES[line.party_status],
                STATE_NAMES[line.state],
                _local(attendance.checked_in_at if attendance else None, zone),
                _local(attendance.checked_out_at if attendance else None, zone),
                duration,
                METHOD_NAMES[attendance.method] if attendance else "",
                _remarks(line),
            ],
        )
    xlsx.append(sheet, [])
    xlsx.append(
        sheet,
        [
            f"应到 {summary.expected} 人，实到 {summary.present} 人（迟到 {summary.late} 人），"
            f"请假 {summary.excused} 人，缺席 {summary.absent} 人，未到 {summary.pending} 人"
        ],
    )
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[chr(ord("A") + index - 1)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
