"""The codes of the organization tree."""

from __future__ import annotations

from app.errors import NotFound


class OrgNotFound(NotFound):
    """No such organization, or one outside the caller's subtrees."""

    code = "org.not_found"
    message_zh = "组织不存在"
    message_en = "Organization not found"
