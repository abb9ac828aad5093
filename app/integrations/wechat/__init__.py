from app.integrations.wechat.client import (
    PhoneInfo,
    SecCheckResult,
    WeChatClient,
    WeChatError,
    WeChatSession,
    WeChatUnavailable,
)

__all__ = [
    "PhoneInfo",
    "SecCheckResult",
    "WeChatClient",
    "WeChatError",
    "WeChatSession",
    "WeChatUnavailable",
]
