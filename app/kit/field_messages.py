"""Field-level validation messages in Chinese, by pydantic's error type.

Pydantic writes its messages in English only; the types are stable, so the mini-program's
users read these instead (``Accept-Language: en`` keeps pydantic's own). A type missing
here falls back to a general message, never to English."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Templates name the error's context values ({min_length}, {expected}, ...).
MESSAGES_ZH: Mapping[str, str] = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为文本",
    "string_too_short": "至少{min_length}个字符",
    "string_too_long": "最多{max_length}个字符",
    "string_pattern_mismatch": "格式不正确",
    "string_unicode": "应为有效的文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than": "应大于{gt}",
    "greater_than_equal": "应不小于{ge}",
    "less_than": "应小于{lt}",
    "less_than_equal": "应不大于{le}",
    "multiple_of": "应为{multiple_of}的倍数",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "set_type": "应为列表",
    "too_short": "至少{min_length}项",
    "too_long": "最多{max_length}项",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期（YYYY-MM-DD），不含时间",
    "datetime_type": "应为带时区的时间（ISO 8601）",
    "datetime_parsing": "应为带时区的时间（ISO 8601）",
    "datetime_from_date_parsing": "应为带时区的时间（ISO 8601）",
    "timezone_aware": "时间应带时区",
    "time_type": "应为时间（HH:MM）",
    "time_parsing": "应为时间（HH:MM）",
    "url_type": "应为网址",
    "url_parsing": "不是有效的网址",
    "url_scheme": "网址协议不被接受",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "不是有效的 UUID",
    "value_error": "取值无效",
    "assertion_error": "取值无效",
    "union_tag_invalid": "类型不被接受",
    "union_tag_not_found": "缺少类型字段",
    "bytes_type": "应为文本",
    "none_required": "应为空",
}
FALLBACK_ZH = "取值无效"


def message_zh(error_type: str, context: Mapping[str, Any] | None) -> str:
    template = MESSAGES_ZH.get(error_type)
    if template is None:
        return FALLBACK_ZH
    try:
        return template.format_map(dict(context or {}))
    except (KeyError, IndexError, ValueError):
        return template.split("{", 1)[0].rstrip("：") or FALLBACK_ZH
