"""The codes of the roster import: the refusals of a whole upload (one class per code), and
the codes of one row's problems (``ROW_MESSAGES``), which a report lists per row and column."""

from __future__ import annotations

from app.errors import BadRequest, PayloadTooLarge, Unprocessable


class RosterFileMissing(Unprocessable):
    """Not multipart/form-data, no file in the field ``file``, or too many parts."""

    code = "roster.file_missing"
    message_zh = "请以 multipart/form-data 的 file 字段上传花名册（.xlsx）"
    message_en = "Send the roster as the multipart/form-data field `file` (.xlsx)"


class RosterMalformedUpload(Unprocessable):
    code = "roster.malformed_upload"
    message_zh = "上传数据格式有误"
    message_en = "Malformed multipart/form-data body"


class RosterUploadInterrupted(BadRequest):
    """The client went away before the end of the upload; nothing was read or written."""

    code = "roster.upload_interrupted"
    message_zh = "上传中断，请重新上传"
    message_en = "The upload was interrupted"


class RosterFileTooLarge(PayloadTooLarge):
    """details.max_bytes and details.max_size (as people read it) give the limit."""

    code = "roster.file_too_large"
    message_zh = "花名册文件不能超过 {max_size}"
    message_en = "The roster file may not exceed {max_size}"


class RosterWorkbookTooLarge(PayloadTooLarge):
    """The .xlsx is small, but what it unpacks to is not (details.max_bytes): a zip bomb or
    a sheet far beyond the row limit."""

    code = "roster.workbook_too_large"
    message_zh = "表格解压后内容过大，请删去多余内容或拆分后上传"
    message_en = "The workbook unpacks to too much data"


class RosterNotXlsx(Unprocessable):
    code = "roster.not_xlsx"
    message_zh = "文件不是有效的 Excel（.xlsx）表格，请使用下载的模板填写"
    message_en = "The file is not an .xlsx workbook"


class RosterHeadingsMissing(Unprocessable):
    """No heading row with 姓名 in the first rows of the sheet, or a required column is
    missing: details.missing lists the headings."""

    code = "roster.headings_missing"
    message_zh = "未找到模板的表头（须含“姓名”“党员状态”列），请使用下载的模板填写"
    message_en = "The heading row of the template (name, party status) was not found"


class RosterEmpty(Unprocessable):
    code = "roster.empty"
    message_zh = "花名册中没有数据行"
    message_en = "The roster has no rows"


class RosterTooManyRows(Unprocessable):
    """details.max_rows gives the limit."""

    code = "roster.too_many_rows"
    message_zh = "花名册不能超过 {max_rows} 行，请拆分后分批导入"
    message_en = "The roster may not exceed {max_rows} rows"


class RosterRowsInvalid(Unprocessable):
    """Some rows have errors: nothing was written. details is the same report a dry run
    answers (totals and each row's errors)."""

    code = "roster.rows_invalid"
    message_zh = "花名册有 {invalid_rows} 行数据有误，未导入任何记录"
    message_en = "{invalid_rows} rows have errors; nothing was imported"


# One row's problems: code → Chinese message. The kit's and the member service's codes keep
# theirs, so a row reads like the same value refused by the members API.
ROW_MESSAGES: dict[str, str] = {
    "roster.name_required": "姓名必填",
    "roster.name_too_long": "姓名不能超过50个字",
    "text.control_char": "不能包含控制字符",
    "roster.gender_invalid": "性别应填“男”或“女”",
    "phone.invalid": "手机号码格式不正确",
    "id_number.length": "身份证号码应为18位",
    "id_number.charset": "身份证号码格式不正确",
    "id_number.birth_date": "身份证号码中的出生日期无效",
    "id_number.check_char": "身份证号码校验位不正确",
    "roster.id_number_as_number": "身份证号被存成了数字，请将该列设为文本后重新填写",
    "date.format": "日期格式应为 YYYY-MM-DD，如 1985-06-15",
    "date.out_of_range": "日期超出允许范围（1900—2100年）",
    "member.birth_date_future": "出生日期不能晚于今天",
    "member.birth_date_mismatch": "出生日期与身份证号码不一致",
    "roster.status_required": "党员状态必填",
    "roster.status_invalid": "党员状态应填“正式党员”“预备党员”“入党积极分子”或“群众”",
    "member.joined_on_future": "入党日期不能晚于今天",
    "member.joined_before_birth": "入党日期早于出生日期",
    "member.org_required": "须填写组织关系所在支部或工作单位",
    "roster.relation_not_found": "本组织范围内没有这个党支部",
    "roster.relation_ambiguous": "本组织范围内有多个同名党支部，请联系上级组织区分名称",
    "member.relation_not_branch": "组织关系须在党支部",
    "roster.workplace_not_found": "本组织范围内没有这个社会组织（可填名称或统一社会信用代码）",
    "roster.workplace_ambiguous": "本组织范围内有多个同名社会组织，请改填统一社会信用代码",
    "member.workplace_not_social_org": "工作单位须为社会组织",
    "roster.flag_invalid": "应填“是”或“否”",
    "roster.phone_duplicate_in_sheet": "与第 {row} 行的手机号重复",
    "roster.id_number_duplicate_in_sheet": "与第 {row} 行的身份证号重复",
    "roster.phone_taken": "该手机号已登记",
    "member.id_number_taken": "该身份证号码已登记",
    "roster.row_refused": "该行未能写入，请检查后重新导入",
}
