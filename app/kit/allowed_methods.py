"""The ``Allow`` header of a 405: every method the path serves.

Starlette answers a wrong method with the methods of the first route whose path matched, so
a path served by two routes (``GET`` and ``POST /members``, each its own function) named
only one of them."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.routing import compile_path


def _route_path(request: Request) -> str:
    # The path as routes see it: without the root path the app may be served under.
    path: str = request.scope["path"]
    root: str = request.scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def allow_header(request: Request, headers: Mapping[str, str] | None) -> dict[str, str]:
    """``headers`` of a 405 with ``Allow`` naming every method of the request's path (read
    from the routes each time: a 405 is rare, and compiled patterns are cached by ``re``)."""
    path = _route_path(request)
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        served = route.methods
        if route.path is not None and served and compile_path(route.path)[0].match(path):
            methods |= served
    merged = dict(headers or {})
    if methods:
        merged["Allow"] = ", ".join(sorted(methods))
    return merged
