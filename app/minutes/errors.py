"""The codes of the minutes and their attachments."""

from __future__ import annotations

from app.errors import BadRequest, Conflict, NotFound, PayloadTooLarge, Unprocessable


class MinutesNotFound(NotFound):
    code = "minutes.not_found"
    message_zh = "尚无会议记录"
    message_en = "No minutes yet"


class MinutesReviewed(Conflict):
    """Reviewed minutes are final, and so are their attachments."""

    code = "minutes.reviewed"
    message_zh = "会议记录已审阅，不能再修改"
    message_en = "The minutes have been reviewed"


class ActivityNotHeld(Conflict):
    """A draft or a cancelled activity has no minutes."""

    code = "minutes.activity_not_held"
    message_zh = "活动未发布或已取消，无需会议记录"
    message_en = "The activity was not held"


class TooEarly(Conflict):
    code = "minutes.too_early"
    message_zh = "活动开始后才能填写会议记录"
    message_en = "The activity has not started yet"


class AttachmentNotFound(NotFound):
    code = "attachment.not_found"
    message_zh = "附件不存在"
    message_en = "Attachment not found"


class TypeNotAllowed(Unprocessable):
    """details.content_type is what was sent, details.allowed what is accepted."""

    code = "attachment.type_not_allowed"
    message_zh = "仅支持 JPG、PNG、WebP 图片及 PDF、Word（docx）、Excel（xlsx）文件"
    message_en = "Only JPEG, PNG, WebP, PDF, DOCX and XLSX files are accepted"


class EmptyFile(Unprocessable):
    code = "attachment.empty"
    message_zh = "文件内容为空"
    message_en = "The file is empty"


class AttachmentTooLarge(PayloadTooLarge):
    """details.max_bytes and details.max_size (as people read it) give the limit."""

    code = "attachment.too_large"
    message_zh = "文件不能超过 {max_size}"
    message_en = "The file may not exceed {max_size}"


class FileMissing(Unprocessable):
    """Not multipart/form-data, no file in the field ``file``, or too many parts."""

    code = "attachment.file_missing"
    message_zh = "请以 multipart/form-data 的 file 字段上传文件"
    message_en = "Send the file as the multipart/form-data field `file`"


class MalformedUpload(Unprocessable):
    code = "attachment.malformed_upload"
    message_zh = "上传数据格式有误"
    message_en = "Malformed multipart/form-data body"


class UploadInterrupted(BadRequest):
    """The client went away before the end of the upload; nothing was stored."""

    code = "attachment.upload_interrupted"
    message_zh = "上传中断"
    message_en = "The upload was interrupted"
