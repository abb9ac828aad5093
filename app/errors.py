"""One error model: ``{"error": {"code", "message", "details"}}`` with a stable code.

Codes are what the mini-program switches on; messages are Chinese unless the caller asks
for English with ``Accept-Language``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.exceptions import RedisError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("app.errors")


class AppError(Exception):
    status_code = 400
    persist_changes = False  # commit what the request did before answering with this error
    code = "bad_request"
    message_zh = "请求有误"
    message_en = "Bad request"

    def __init__(
        self,
        code: str | None = None,
        message_zh: str | None = None,
        message_en: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code or self.code
        self.message_zh = message_zh or self.message_zh
        self.message_en = message_en or self.message_en
        self.details = details or {}
        self.headers = headers
        super().__init__(self.code)


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status_code = 401
    code = "auth.unauthorized"
    message_zh = "未登录或登录已失效"
    message_en = "Not authenticated"


class Forbidden(AppError):
    status_code = 403
    code = "auth.forbidden"
    message_zh = "没有权限"
    message_en = "Forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message_zh = "对象不存在"
    message_en = "Not found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message_zh = "与现有数据冲突"
    message_en = "Conflict"


class Unprocessable(AppError):
    status_code = 422
    code = "validation_failed"
    message_zh = "请求数据校验失败"
    message_en = "Validation failed"


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"
    message_zh = "请求过于频繁，请稍后再试"
    message_en = "Too many requests"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    message_zh = "服务暂不可用，请稍后再试"
    message_en = "Service unavailable"


class UpstreamError(AppError):
    status_code = 502
    code = "upstream.error"
    message_zh = "上游服务出错"
    message_en = "Upstream service failed"


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorBody(BaseModel):
    error: ErrorDetail


_STATUS_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing, expired or forged credentials",
    403: "Authenticated but not allowed",
    404: "No such object in the caller's scope",
    409: "Conflicts with existing data",
    422: "Invalid input; `details.fields` lists each field's code",
    429: "Rate limited; see the Retry-After header",
    503: "Database or upstream unavailable",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in _STATUS_DESCRIPTIONS.items()
}


def wants_english(request: Request) -> bool:
    header = request.headers.get("accept-language", "")
    first = header.split(",", 1)[0].strip().lower()
    return first.startswith("en")


def error_response(request: Request, exc: AppError) -> JSONResponse:
    message = exc.message_en if wants_english(request) else exc.message_zh
    body = {"error": {"code": exc.code, "message": message, "details": exc.details}}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    fields = []
    for err in exc.errors():
        fields.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "code": err.get("type", "invalid"),
                "message": str(err.get("msg", "")),
            }
        )
    return fields


_HTTP_CODES = {
    400: "bad_request",
    401: "auth.unauthorized",
    403: "auth.forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request, Unprocessable(details={"fields": _field_errors(exc)}))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        err = AppError(code, str(exc.detail), str(exc.detail), headers=dict(exc.headers or {}))
        err.status_code = exc.status_code
        return error_response(request, err)

    @app.exception_handler(IntegrityError)
    async def _integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        # Services check what they can; a race that slips past ends here, not in a 500.
        logger.warning("integrity error: %s", exc.orig)
        return error_response(request, Conflict())

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value validation let through (a NUL in text, an out-of-range
        # number): the caller's input, so a 422, and nothing was written.
        logger.warning("data refused by the database: %s", exc.orig)
        return error_response(
            request, Unprocessable("invalid_value", "数据格式不被接受", "A value was refused")
        )

    @app.exception_handler(OperationalError)
    async def _database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        logger.error("database unavailable: %s", exc.orig)
        return error_response(request, ServiceUnavailable("database.unavailable"))

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return error_response(request, ServiceUnavailable("database.unavailable"))
        logger.exception("database error")
        err = AppError("internal_error", "服务器内部错误", "Internal server error")
        err.status_code = 500
        return error_response(request, err)

    @app.exception_handler(RedisError)
    async def _redis_unavailable(request: Request, exc: RedisError) -> JSONResponse:
        logger.error("redis failed: %s", exc)
        return error_response(request, ServiceUnavailable("cache.unavailable"))

    @app.exception_handler(ConnectionError)
    async def _connection_error(request: Request, exc: ConnectionError) -> JSONResponse:
        logger.error("connection failed: %s", exc)
        return error_response(request, ServiceUnavailable("database.unavailable"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        err = AppError("internal_error", "服务器内部错误", "Internal server error")
        err.status_code = 500
        return error_response(request, err)
