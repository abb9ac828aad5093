"""Outbound requests to addresses taken from configuration or data (bots, webhooks, SMS, S3,
SMTP): refused unless every address the host resolves to is public (SSRF, OWASP API7).

The check is on what the resolver answers, never on how the URL spells its host:
``ipaddress`` refuses ``127.1``, ``2130706433``, ``0x7f000001`` or ``0177.0.0.1`` while
``getaddrinfo`` (and so the socket) takes them all as 127.0.0.1. ``GuardedTransport`` then
sends the request to the checked address itself, with the original Host header and TLS
server name, so a second lookup cannot swap in an internal address (DNS rebinding).

Settings use ``check_url``/``check_host`` so that a spelling only the C resolver reads
(octal, a short or a single-number IPv4) stops the start with the setting's name."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

# Digits, hex and dots only: what inet_aton reads as an IPv4 address in any of its forms.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$", re.IGNORECASE)


class OutboundRefused(httpx.RequestError):
    """The target is not a public address: sending again will not help."""


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback in disguise
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The system resolver, as the socket would use it."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # The scope of a link-local IPv6 address (fe80::1%eth0) is not part of the address.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def public_address(host: str, port: int, resolver: Resolver = resolve) -> IPAddress:
    """The address to connect to. ``OutboundRefused`` when any address of ``host`` is not
    public (one private answer among public ones is how rebinding starts); ``OSError`` when
    the name does not resolve, which may pass."""
    try:
        addresses = await resolver(host, port)
    except UnicodeError as exc:
        raise OutboundRefused(f"{host} is not a valid host name") from exc
    if not addresses:
        raise socket.gaierror(f"{host} has no address")
    refused = [_shown(a) for a in addresses if not is_public(a)]
    if refused:
        raise OutboundRefused(f"refused: {host} resolves to non-public {', '.join(refused)}")
    return addresses[0]


def _shown(address: IPAddress) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"  # as people write it, not ::ffff:7f00:1
    return str(address)


class GuardedTransport(httpx.AsyncBaseTransport):
    """Wraps the transport that sends: each request goes to the checked public address of
    its host. ``allow_private`` (development, or a store beside the app) passes requests on
    unchanged."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        allow_private: bool = False,
        resolver: Resolver = resolve,
    ) -> None:
        self._inner = inner
        self._allow_private = allow_private
        self._resolver = resolver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._allow_private:
            return await self._inner.handle_async_request(request)
        url = request.url
        if url.scheme not in ("http", "https") or not url.host:
            raise OutboundRefused("refused: the URL must be http(s) with a host", request=request)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            address = await public_address(url.host, port, self._resolver)
        except OutboundRefused as exc:
            raise OutboundRefused(str(exc), request=request) from None
        except (OSError, ValueError) as exc:
            raise httpx.ConnectError(
                f"cannot resolve {url.host}: {exc}"[:300], request=request
            ) from exc
        # httpx set the Host header from the URL as written; TLS checks the certificate
        # against the name, not the address.
        request.url = url.copy_with(host=str(address))
        request.extensions = {**request.extensions, "sni_hostname": url.host}
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def check_host(host: str) -> str:
    """A host name or an IP address as ``ipaddress`` writes it; ValueError otherwise."""
    if _NUMERIC_HOST.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ValueError(
                f"{host!r} is an IPv4 address spelled as only the C resolver reads it "
                "(octal, hex, short or one number): write four decimal numbers"
            ) from None
    return host


def check_url(url: str) -> str:
    """An http(s) URL with a host, no user name or password, and a plainly written host."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("must be an http(s) URL with a host")
    if parsed.userinfo:
        raise ValueError("must not carry a user name or password before the host")
    check_host(parsed.host)
    return url
