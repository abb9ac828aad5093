"""One error model: ``{"error": {"code", "message", "details"}}`` with a stable code.

Codes are what the mini-program switches on; messages are Chinese unless the caller asks
for English with ``Accept-Language``.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.exceptions import RedisError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.kit.allowed_methods import allow_header
from app.kit.field_messages import message_zh

logger = logging.getLogger("app.errors")


# Every code declared by a subclass, for the OpenAPI file and the declared-once test.
ERROR_CATALOG: dict[str, type[AppError]] = {}


class AppError(Exception):
    """A stable code with its status and both messages. Each code is declared once, as a
    subclass of one of the status classes below that sets ``code``, ``message_zh`` and
    ``message_en``, and is raised by name: ``raise ActivityNotFound()``. What varies from one
    raise to the next goes in ``details`` (and ``headers``, e.g. Retry-After)."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message_zh: ClassVar[str] = "请求有误"
    message_en: ClassVar[str] = "Bad request"
    # Commit what the request did before answering with this error.
    persist_changes: ClassVar[bool] = False
    # Sent as Retry-After when the raise names none: every 429 and 503 says when to retry.
    retry_after_seconds: ClassVar[int | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            raise TypeError(f"{cls.__qualname__} must declare its own code")
        earlier = ERROR_CATALOG.get(cls.code)
        if earlier is not None and earlier.__qualname__ != cls.__qualname__:
            raise TypeError(f"{cls.code} is declared twice: {earlier!r} and {cls!r}")
        ERROR_CATALOG[cls.code] = cls

    def __init__(
        self,
        *,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.details: dict[str, Any] = dict(details or {})
        self.headers: dict[str, str] | None = dict(headers) if headers else None
        super().__init__(self.code)

    def message(self, english: bool) -> str:
        template = self.message_en if english else self.message_zh
        # A message may name a detail, e.g. "文件不能超过 {max_size}"; most name none.
        return template.format_map(self.details) if "{" in template else template


class BadRequest(AppError):
    code = "bad_request"


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


class InvalidValue(Unprocessable):
    code = "invalid_value"
    message_zh = "数据格式不被接受"
    message_en = "A value was refused"


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"
    message_zh = "请求过于频繁，请稍后再试"
    message_en = "Too many requests"
    retry_after_seconds = 60


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    message_zh = "服务暂不可用，请稍后再试"
    message_en = "Service unavailable"
    retry_after_seconds = 5


class DatabaseUnavailable(ServiceUnavailable):
    code = "database.unavailable"
    message_zh = "数据库暂不可用，请稍后再试"
    message_en = "Database unavailable"


class DatabaseNotMigrated(DatabaseUnavailable):
    code = "database.not_migrated"
    message_zh = "数据库结构不是最新版本，服务暂不可用"
    message_en = "The database schema is not at the migration head"


class CacheUnavailable(ServiceUnavailable):
    code = "cache.unavailable"
    message_zh = "缓存服务暂不可用，请稍后再试"
    message_en = "Cache unavailable"


class UpstreamError(AppError):
    status_code = 502
    code = "upstream.error"
    message_zh = "上游服务出错"
    message_en = "Upstream service failed"


class InternalError(AppError):
    status_code = 500
    code = "internal_error"
    message_zh = "服务器内部错误"
    message_en = "Internal server error"


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorBody(BaseModel):
    error: ErrorDetail


def responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=``: every code it can answer, grouped by status. The codes its
    dependencies raise (``raises``) are added when the OpenAPI document is built."""
    by_status: dict[int, list[type[AppError]]] = {}
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error)
    return {
        status: {"model": ErrorBody, ERROR_CODES_KEY: [e.code for e in group]}
        for status, group in by_status.items()
    }


# In each error response of the OpenAPI document: the codes a client may switch on.
ERROR_CODES_KEY = "x-error-codes"


def wants_english(request: Request) -> bool:
    header = request.headers.get("accept-language", "")
    first = header.split(",", 1)[0].strip().lower()
    return first.startswith("en")


def error_response(request: Request, exc: AppError) -> JSONResponse:
    body = {
        "error": {
            "code": exc.code,
            "message": exc.message(wants_english(request)),
            "details": exc.details,
        }
    }
    headers = dict(exc.headers or {})
    if exc.retry_after_seconds is not None:
        headers.setdefault("Retry-After", str(exc.retry_after_seconds))
    return JSONResponse(body, status_code=exc.status_code, headers=headers or None)


# SQLSTATEs (and classes of them) that say the database cannot serve now, not that the
# statement was wrong: connection exceptions (08), insufficient resources (53), operator
# intervention (57: shutdown, cannot connect now, statement cancelled), invalid
# authorization (28), a database that is gone (3D000) or not accepting connections (55000),
# and a table that is not there (42P01: a schema that was never migrated).
_UNAVAILABLE_SQLSTATES = ("08", "53", "57", "28", "3D000", "55000", "42P01")


# Raised by the driver when the server cannot be reached at all (refused, reset, timed out,
# no such host); other OSErrors (a full disk, say) are not the database's.
CONNECTION_ERRORS: tuple[type[OSError], ...] = (ConnectionError, TimeoutError, socket.gaierror)
# Everything the database layer raises, for code outside the handlers that must catch it.
DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, *CONNECTION_ERRORS)


def database_failure(exc: Exception) -> AppError:
    """What a database error means to the caller. A failure to reach or use the database
    at all is 503 (retry later); a value it refused is 422; a constraint, 409; the rest is
    our bug, 500."""
    if not isinstance(exc, DBAPIError):
        return DatabaseUnavailable() if isinstance(exc, CONNECTION_ERRORS) else InternalError()
    if isinstance(exc, IntegrityError):
        return Conflict()
    if isinstance(exc, DataError):
        return InvalidValue()
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if (
        exc.connection_invalidated
        or isinstance(exc, OperationalError)
        or exc.statement is None  # raised while connecting, before any statement
        or sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
    ):
        return DatabaseUnavailable()
    return InternalError()


def _field_message(err: Mapping[str, Any], english: bool) -> str:
    error_type = str(err.get("type", ""))
    # Our own codes (app/kit/validation.py: "text.control_char") carry their message;
    # pydantic's own types are translated.
    if english or "." in error_type:
        return str(err.get("msg", ""))
    return message_zh(error_type, err.get("ctx"))


def _field_errors(exc: RequestValidationError, english: bool) -> list[dict[str, Any]]:
    return [
        {
            "loc": [str(part) for part in err.get("loc", ())],
            "code": err.get("type", "invalid"),
            "message": _field_message(err, english),
        }
        for err in exc.errors()
    ]


class RouteNotFound(NotFound):
    code = "route.not_found"
    message_zh = "请求的接口不存在"
    message_en = "No such endpoint"


class MethodNotAllowed(AppError):
    status_code = 405
    code = "method_not_allowed"
    message_zh = "接口不支持该请求方法"
    message_en = "Method not allowed"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    message_zh = "请求内容过大"
    message_en = "Payload too large"


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"
    message_zh = "不支持的内容类型"
    message_en = "Unsupported media type"


# What Starlette itself answers (no route, wrong method), in our body.
_HTTP_ERRORS: dict[int, type[AppError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: RouteNotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(
            request, Unprocessable(details={"fields": _field_errors(exc, wants_english(request))})
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error = _HTTP_ERRORS.get(exc.status_code)
        if error is None:
            logger.error("unexpected HTTP error %s: %s", exc.status_code, exc.detail)
            return error_response(request, InternalError())
        if exc.status_code == 405:
            return error_response(request, error(headers=allow_header(request, exc.headers)))
        return error_response(request, error(headers=exc.headers))

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        # Services check what they can; a race that slips past ends in a constraint (409), a
        # value validation let through in the database's refusal (422), nothing written.
        error = database_failure(exc)
        if isinstance(error, InternalError):
            logger.exception("database error")
        else:
            logger.warning("database: %s: %s", error.code, exc.orig)
        return error_response(request, error)

    async def _connection_error(request: Request, exc: Exception) -> JSONResponse:
        logger.error("connection failed: %s", exc)
        return error_response(request, DatabaseUnavailable())

    for kind in CONNECTION_ERRORS:
        app.add_exception_handler(kind, _connection_error)

    @app.exception_handler(RedisError)
    async def _redis_unavailable(request: Request, exc: RedisError) -> JSONResponse:
        logger.error("redis failed: %s", exc)
        return error_response(request, CacheUnavailable())

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, _exc: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        return error_response(request, InternalError())
