"""The OpenAPI document the front-end team generates its client from.

Each operation lists every error code it can answer: the ones its route declares
(``responses=errors.responses(...)``), the ones its dependencies declare (``@raises`` on a
function, ``raises`` on a callable such as ``Requires``) and a validation failure where it
takes input. Operation ids are ``{tag}-{name}``, as the FastAPI template has them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from app.errors import (
    ERROR_CATALOG,
    ERROR_CODES_KEY,
    AppError,
    BadRequest,
    ErrorBody,
    Unprocessable,
)
from app.idempotency import spec as idempotency

F = TypeVar("F", bound=Callable[..., Any])


# What each dependency function may raise (``@raises``); a callable object such as
# ``Requires`` says it in its own ``raises`` attribute.
_DECLARED: dict[Callable[..., Any], tuple[type[AppError], ...]] = {}


def raises(*errors: type[AppError]) -> Callable[[F], F]:
    """Declares what a dependency may raise, for every route that depends on it."""

    def mark(function: F) -> F:
        _DECLARED[function] = errors
        return function

    return mark


def _declared_by(call: Any) -> tuple[type[AppError], ...]:
    declared = getattr(call, "raises", None)
    if isinstance(declared, tuple):
        return declared
    try:
        return _DECLARED.get(call, ())
    except TypeError:  # an unhashable callable declares nothing
        return ()


def operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def _dependency_calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependency_calls(sub)


def route_errors(route: APIRoute | RouteContext) -> set[str]:
    """Every code the route can answer, its dependencies' included."""
    codes: set[str] = set()
    original = route.original_route if isinstance(route, RouteContext) else route
    if idempotency.creates(original):
        codes.update(error.code for error in idempotency.ERRORS)
    for response in route.responses.values():
        codes.update(response.get(ERROR_CODES_KEY, ()))
    for call in _dependency_calls(route.dependant):
        codes.update(error.code for error in _declared_by(call))
    if route.body_field is not None or get_flat_params(route.dependant):
        codes.add(Unprocessable.code)
    if route.body_field is not None:
        codes.add(BadRequest.code)  # a body that is not even text (FastAPI's 400)
    return codes


def _error_response(status: int, codes: list[str]) -> dict[str, Any]:
    lines = [
        f"- `{code}`: {ERROR_CATALOG[code].message_zh} ({ERROR_CATALOG[code].message_en})"
        for code in codes
    ]
    return {
        "description": f"{HTTPStatus(status).phrase}\n\n" + "\n".join(lines),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        ERROR_CODES_KEY: codes,
    }


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in (
        ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        .pop("$defs", {})
        .items()
    ):
        components.setdefault(name, definition)
    components.setdefault(
        "ErrorBody", ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        by_status: dict[int, list[str]] = {}
        for code in sorted(route_errors(route)):
            by_status.setdefault(ERROR_CATALOG[code].status_code, []).append(code)
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            if idempotency.creates(route.original_route):
                operation.setdefault("parameters", []).append(idempotency.PARAMETER)
            responses = operation["responses"]
            for status, codes in by_status.items():
                responses[str(status)] = _error_response(status, codes)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented extension
