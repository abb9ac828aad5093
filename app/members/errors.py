"""The codes of the member roster."""

from __future__ import annotations

from app.errors import NotFound


class MemberNotFound(NotFound):
    code = "member.not_found"
    message_zh = "党员不存在"
    message_en = "Member not found"
