from __future__ import annotations

from app.errors import Conflict, Unprocessable


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency.key_reused"
    message_zh = "该幂等键已用于另一个请求，请换一个新的键"
    message_en = "This Idempotency-Key was used for another request; use a new key"


class IdempotencyInFlight(Conflict):
    code = "idempotency.in_flight"
    message_zh = "使用该幂等键的请求正在处理中，请稍后重试"
    message_en = "A request with this Idempotency-Key is still being processed; retry shortly"


class IdempotencyKeyInvalid(Unprocessable):
    code = "idempotency.key_invalid"
    message_zh = "幂等键应为1至255个可见ASCII字符"
    message_en = "An Idempotency-Key is 1 to 255 visible ASCII characters"
