"""The codes of the venue checklist (an organization outside the caller's scope answers the
organizations' own ``org.not_found``)."""

from __future__ import annotations

from app.errors import BadRequest, Conflict, NotFound, PayloadTooLarge, Unprocessable


class UnknownItem(NotFound):
    """The path names none of the six items (site, facilities, signage, party_flag, reading,
    rules)."""

    code = "venue.unknown_item"
    message_zh = "六有检查项不存在，应为场所、设施、标志、党旗、书报、制度之一"
    message_en = "No such checklist item"


class NotAVenueOrg(Unprocessable):
    """The checklist belongs to general branches, branches and joint branches."""

    code = "venue.not_applicable"
    message_zh = "六有检查仅适用于党总支、党支部和联合党支部"
    message_en = "The checklist applies to general branches, branches and joint branches"


class PhotoNotFound(NotFound):
    code = "venue.photo_not_found"
    message_zh = "照片不存在"
    message_en = "Photo not found"


class TooManyPhotos(Conflict):
    """details.max_photos gives the limit per item."""

    code = "venue.too_many_photos"
    message_zh = "每个检查项最多上传 {max_photos} 张照片"
    message_en = "At most {max_photos} photos per item"


class PhotoTypeNotAllowed(Unprocessable):
    """details.content_type is what was sent, details.allowed what is accepted."""

    code = "venue.photo_type_not_allowed"
    message_zh = "仅支持 JPG、PNG、WebP 格式的照片"
    message_en = "Only JPEG, PNG and WebP photos are accepted"


class PhotoEmpty(Unprocessable):
    code = "venue.photo_empty"
    message_zh = "照片内容为空"
    message_en = "The photo is empty"


class PhotoTooLarge(PayloadTooLarge):
    """details.max_bytes and details.max_size (as people read it) give the limit."""

    code = "venue.photo_too_large"
    message_zh = "照片不能超过 {max_size}"
    message_en = "The photo may not exceed {max_size}"


class PhotoMissing(Unprocessable):
    """Not multipart/form-data, no file in the field ``file``, or too many parts."""

    code = "venue.photo_missing"
    message_zh = "请以 multipart/form-data 的 file 字段上传照片"
    message_en = "Send the photo as the multipart/form-data field `file`"


class MalformedUpload(Unprocessable):
    code = "venue.malformed_upload"
    message_zh = "上传数据格式有误"
    message_en = "Malformed multipart/form-data body"


class UploadInterrupted(BadRequest):
    """The client went away before the end of the upload; nothing was stored."""

    code = "venue.upload_interrupted"
    message_zh = "上传中断"
    message_en = "The upload was interrupted"
