from __future__ import annotations

from fastapi import Request


def client_ip(request: Request, *, trust_forwarded_for: bool) -> str:
    """The caller's address; X-Forwarded-For only counts behind a proxy we were told to trust."""
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",", 1)[0].strip()
        if first:
            return first
    return request.client.host if request.client else "unknown"
