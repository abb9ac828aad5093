"""The codes materials, heartbeats and in-person sessions may answer."""

from __future__ import annotations

from app.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unprocessable,
)


class MaterialNotFound(NotFound):
    """No such material, a draft to a member, one outside the caller's reach or scope, or an
    archived one the member never studied."""

    code = "study.material_not_found"
    message_zh = "学习资料不存在"
    message_en = "Study material not found"


class MaterialArchived(Conflict):
    code = "study.material_archived"
    message_zh = "学习资料已归档，不能再学习或修改"
    message_en = "The material is archived"


class MaterialNotDraft(Conflict):
    code = "study.material_not_draft"
    message_zh = "只有草稿可以发布"
    message_en = "Only a draft can be published"


class MaterialNotArchivable(Conflict):
    code = "study.material_not_archivable"
    message_zh = "只有已发布的学习资料可以归档"
    message_en = "Only a published material can be archived"


class MaterialNotDeletable(Conflict):
    code = "study.material_not_deletable"
    message_zh = "已发布或归档的学习资料不能删除"
    message_en = "Only a draft can be deleted"


class MaterialIncomplete(Unprocessable):
    """A video without a URL or a file, a document without its file."""

    code = "study.material_incomplete"
    message_zh = "学习资料缺少内容：视频需要链接或文件，文档需要上传 PDF"
    message_en = "The material has no content yet"


class RequiredExceedsLength(Unprocessable):
    """details.length_seconds and details.required_seconds are the values refused."""

    code = "study.required_exceeds_length"
    message_zh = "完成所需时长不能超过资料时长"
    message_en = "The required time may not exceed the material's length"


class FieldNotForKind(Unprocessable):
    """details.field names the field, details.kind the material's kind."""

    code = "study.field_not_for_kind"
    message_zh = "该字段不适用于此类学习资料"
    message_en = "The field does not apply to this kind of material"


class PositionOutOfRange(Unprocessable):
    code = "study.position_out_of_range"
    message_zh = "播放位置不能超过资料时长"
    message_en = "The position lies past the material's length"


class NoStoredFile(NotFound):
    code = "study.file_not_found"
    message_zh = "该学习资料没有上传文件"
    message_en = "The material has no stored file"


class FileTypeNotAllowed(Unprocessable):
    """details.content_type is what was sent, details.allowed what this kind accepts."""

    code = "study.file_type_not_allowed"
    message_zh = "视频仅支持 MP4 文件，文档仅支持 PDF 文件，文章不能上传文件"
    message_en = "A video takes an MP4 file, a document a PDF; an article no file"


class EmptyFile(Unprocessable):
    code = "study.file_empty"
    message_zh = "文件内容为空"
    message_en = "The file is empty"


class FileTooLarge(PayloadTooLarge):
    """details.max_bytes and details.max_size (as people read it) give the limit."""

    code = "study.file_too_large"
    message_zh = "文件不能超过 {max_size}"
    message_en = "The file may not exceed {max_size}"


class FileMissing(Unprocessable):
    code = "study.file_missing"
    message_zh = "请以 multipart/form-data 的 file 字段上传文件"
    message_en = "Send the file as the multipart/form-data field `file`"


class MalformedUpload(Unprocessable):
    code = "study.malformed_upload"
    message_zh = "上传数据格式有误"
    message_en = "Malformed multipart/form-data body"


class UploadInterrupted(BadRequest):
    code = "study.upload_interrupted"
    message_zh = "上传中断"
    message_en = "The upload was interrupted"


class NotAStudySession(Unprocessable):
    code = "study.not_a_study_session"
    message_zh = "只有集中学习活动可以指定学习资料"
    message_en = "Only a group study session names materials"


class MaterialOutOfReach(Unprocessable):
    """details.material_ids: not published, or not open to every member of the activity's
    organization or of the task's audience (the owner is not above or at each of them)."""

    code = "study.material_out_of_reach"
    message_zh = "部分学习对象无法查看所选学习资料"
    message_en = "Some of the audience cannot open a material"


# --- study tasks ---------------------------------------------------------------------------


class TaskNotFound(NotFound):
    """No such task, one of an organization outside the caller's scope, or, for a member,
    one whose audience does not hold them."""

    code = "study.task_not_found"
    message_zh = "学习任务不存在"
    message_en = "Study task not found"


class TaskMaterialNotPublished(Unprocessable):
    """details.material_ids: drafts or archived materials, which members cannot open."""

    code = "study.material_not_published"
    message_zh = "只能布置已发布的学习资料"
    message_en = "Only published materials can be assigned"


class DueInPast(Unprocessable):
    code = "study.due_in_past"
    message_zh = "截止时间应晚于当前时间"
    message_en = "The due time must lie in the future"


class TaskCancelled(Conflict):
    code = "study.task_cancelled"
    message_zh = "学习任务已取消"
    message_en = "The study task is cancelled"


class TaskOverdue(Conflict):
    code = "study.task_overdue"
    message_zh = "学习任务已过截止时间"
    message_en = "The study task is past its due time"


class TaskStarted(Conflict):
    code = "study.task_started"
    message_zh = "已有人开始学习，不能再更改学习资料或学习对象"
    message_en = "Someone has studied the task: its materials and audience are fixed"


class RemindedRecently(TooManyRequests):
    code = "study.reminded_recently"
    message_zh = "每小时只能提醒一次，请稍后再试"
    message_en = "A task's audience can be reminded once an hour"
    retry_after_seconds = 3600
