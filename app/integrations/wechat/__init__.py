from app.integrations.wechat.client import (
    PhoneInfo,
    WeChatClient,
    WeChatError,
    WeChatSession,
    WeChatUnavailable,
)

__all__ = ["PhoneInfo", "WeChatClient", "WeChatError", "WeChatSession", "WeChatUnavailable"]
