"""What every HTTP channel does alike: a call that turns network failures into a retry (and
a refused or unusable target into a permanent failure), and the reading of an HTTP status.
A channel's own answer codes are classified in its module."""

from __future__ import annotations

from typing import Any

import httpx

from app.kit.outbound import OutboundRefused
from app.notify.channels.base import SendResult, permanent, retry


async def request(
    http: httpx.AsyncClient, name: str, method: str, url: str, **kwargs: Any
) -> httpx.Response | SendResult:
    try:
        return await http.request(method, url, **kwargs)
    except OutboundRefused as exc:  # the client's guard: a target that is not public
        return permanent(f"{name}: {exc}"[:300])
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        return permanent(f"{name}: bad URL: {exc}"[:300])
    except httpx.TimeoutException:
        return retry(f"{name}: timeout")
    except httpx.TransportError as exc:
        return retry(f"{name}: {type(exc).__name__}")


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date is rare from these upstreams: back-off decides


def status_failure(name: str, response: httpx.Response) -> SendResult | None:
    """None for a 2xx; 429 and 5xx are worth another try, any other status is not."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    if status == 429 or status >= 500:
        return retry(f"{name}: HTTP {status}", retry_after(response))
    return permanent(f"{name}: HTTP {status}")


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
