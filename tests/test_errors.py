"""Each stable code is declared once, with its status and both messages, and the OpenAPI
document names every code each operation can answer (architecture.md, rule 3)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI, Request

import app.main  # noqa: F401 - imports every feature, so every code is declared
from app.errors import ERROR_CATALOG, ERROR_CODES_KEY, AppError, NotFound, error_response

CJK = re.compile(r"[\u4e00-\u9fff]")
# Answered by the app's own handlers rather than raised by a route.
HANDLER_CODES = {
    "bad_request",
    "auth.unauthorized",
    "auth.forbidden",
    "not_found",
    "route.not_found",
    "method_not_allowed",
    "payload_too_large",
    "unsupported_media_type",
    "internal_error",
    "service_unavailable",
    "cache.unavailable",
    "upstream.error",
}


@pytest.mark.parametrize("code", sorted(ERROR_CATALOG))
def test_every_code_has_its_status_and_both_messages(code: str) -> None:
    error = ERROR_CATALOG[code]
    assert 400 <= error.status_code <= 599
    assert CJK.search(error.message_zh), f"{code}: the Chinese message is the default"
    assert error.message_en
    assert not CJK.search(error.message_en)


def test_a_code_cannot_be_declared_twice() -> None:
    with pytest.raises(TypeError, match="declared twice"):

        class AgainActivityNotFound(NotFound):
            code = "activity.not_found"
            message_zh = "活动不存在"
            message_en = "Activity not found"

    assert ERROR_CATALOG["activity.not_found"].__name__ == "ActivityNotFound"


def test_a_subclass_must_declare_its_own_code() -> None:
    with pytest.raises(TypeError, match="must declare its own code"):

        class Unnamed(NotFound):
            message_zh = "无名"


def test_the_document_names_only_declared_codes_and_every_declared_code(app: FastAPI) -> None:
    named: set[str] = set()
    for operations in app.openapi()["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                codes = response.get(ERROR_CODES_KEY, [])
                named.update(codes)
                assert all(str(ERROR_CATALOG[code].status_code) == status for code in codes)
    assert named <= set(ERROR_CATALOG)
    assert set(ERROR_CATALOG) - named - HANDLER_CODES == set(), "declared but answered nowhere"


def test_a_message_may_name_a_detail() -> None:
    class _Sized(AppError):
        status_code = 413
        code = "test.sized"
        message_zh = "文件不能超过 {max_size}"
        message_en = "The file may not exceed {max_size}"

    error = _Sized(details={"max_size": "10 MB"})
    assert error.message(english=False) == "文件不能超过 10 MB"
    assert error.message(english=True) == "The file may not exceed 10 MB"
    del ERROR_CATALOG["test.sized"]


@pytest.mark.parametrize(
    "code", sorted(code for code, e in ERROR_CATALOG.items() if e.status_code in (429, 503))
)
def test_every_429_and_503_says_when_to_retry(code: str) -> None:
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    response = error_response(request, ERROR_CATALOG[code]())
    assert int(response.headers["Retry-After"]) > 0
