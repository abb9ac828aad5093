"""How a failed WeChat call is answered to our own caller."""

from __future__ import annotations

from app.errors import ServiceUnavailable, TooManyRequests, UpstreamError


class WeChatBusy(ServiceUnavailable):
    code = "wechat.unavailable"
    message_zh = "微信服务繁忙，请稍后再试"
    message_en = "WeChat is busy"


class WeChatRateLimited(TooManyRequests):
    code = "wechat.rate_limited"
    message_zh = "微信接口调用过于频繁，请稍后再试"
    message_en = "WeChat's rate limit was reached; try again later"


class WeChatFailed(UpstreamError):
    """details.errcode is WeChat's own code."""

    code = "wechat.error"
    message_zh = "微信服务出错"
    message_en = "WeChat failed"
