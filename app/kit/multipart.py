"""One file from a multipart/form-data request (as wx.uploadFile sends it), read as it
streams in: the request is never buffered whole, no more than the limit of the file is held,
and reading stops as soon as it is too large.

The refusals are the route's own codes, passed in as ``UploadRefusals``: what a missing or
oversized file means to the mini-program is the feature's to say."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from app.errors import AppError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

# Room for the boundaries, part headers and the small form fields wx.uploadFile may add.
MULTIPART_OVERHEAD = 64 * 1024
MAX_PARTS = 16


@dataclass(frozen=True)
class UploadRefusals:
    """The error each refusal raises."""

    missing: type[AppError]  # not multipart/form-data, no file in the field, too many parts
    malformed: type[AppError]  # the body does not parse
    interrupted: type[AppError]  # the client went away before the end
    too_large: type[AppError]  # raised with details.max_bytes and details.max_size


@dataclass
class ReceivedFile:
    filename: str | None
    content_type: str | None
    data: bytearray = field(default_factory=bytearray)


def human_size(size: int) -> str:
    """``10 MB``, ``512 KB`` or ``1000 B``: a limit as people read it."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} B"


class _FileFieldReader:
    """Callbacks for python-multipart's streaming parser: keeps the first part named
    ``field`` that carries a file, never more than ``limit`` bytes of it; drops the rest."""

    def __init__(self, field: str, limit: int, max_parts: int) -> None:
        self.field = field
        self.limit = limit
        self.max_parts = max_parts
        self.file: ReceivedFile | None = None
        self.complete = False
        self.too_large = False
        self.too_many_parts = False
        self._parts = 0
        self._headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._current: ReceivedFile | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self._parts += 1
        self.too_many_parts = self.too_many_parts or self._parts > self.max_parts
        self._headers = {}
        self._current = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        if (
            self.file is not None
            or options.get(b"name") != self.field.encode()
            or b"filename" not in options
        ):
            return
        content_type = self._headers.get(b"content-type")
        self.file = self._current = ReceivedFile(
            filename=options[b"filename"].decode("utf-8", errors="replace"),
            content_type=content_type.decode("latin-1") if content_type is not None else None,
        )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current is None or self.too_large:
            return
        if len(self._current.data) + (end - start) > self.limit:
            self.too_large = True  # keep nothing more; the caller stops reading
            return
        self._current.data += data[start:end]

    def on_part_end(self) -> None:
        if self._current is not None:
            self.complete = True
            self._current = None


def _too_large(refusals: UploadRefusals, limit: int) -> AppError:
    return refusals.too_large(details={"max_bytes": limit, "max_size": human_size(limit)})


async def receive_file(
    request: Request,
    field: str,
    *,
    limit: int,
    refusals: UploadRefusals,
    max_parts: int = MAX_PARTS,
    overhead: int = MULTIPART_OVERHEAD,
) -> ReceivedFile:
    """The file sent in the form field ``field``, at most ``limit`` bytes of it. The whole
    body may be ``overhead`` bytes more than that; a declared Content-Length over it is
    refused before anything is read."""
    media_type, params = parse_options_header(request.headers.get("content-type"))
    boundary = params.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise refusals.missing()
    budget = limit + overhead
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > budget:
        raise _too_large(refusals, limit)
    reader = _FileFieldReader(field, limit, max_parts)
    received = 0
    try:
        parser = MultipartParser(boundary, reader.callbacks())
        async for chunk in request.stream():
            received += len(chunk)
            if received > budget:
                raise _too_large(refusals, limit)
            parser.write(chunk)
            if reader.too_large:
                raise _too_large(refusals, limit)
            if reader.too_many_parts:
                raise refusals.missing()
        parser.finalize()
    except (FormParserError, ValueError) as exc:
        raise refusals.malformed() from exc
    except ClientDisconnect as exc:  # nobody is left to answer; not a server error either
        raise refusals.interrupted() from exc
    if reader.file is None or not reader.complete:
        raise refusals.missing()
    return reader.file
