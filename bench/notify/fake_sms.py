"""A fake Aliyun dysmsapi on 127.0.0.1 for the dispatch benchmark: a bare asyncio HTTP/1.1
server (keep-alive, Content-Length bodies) so that it costs the two shared cores as little
as possible.

    .venv/bin/python bench/notify/fake_sms.py --port 8790

``POST /`` with a SendSms form answers ``{"Code": "OK", ...}`` as Aliyun does and records
the message under its identity: SendSms carries no delivery id, so the identity is
(OutId, each of the PhoneNumbers), which the app fills with (notification id, the members'
phones) — one delivery per member per notification on the sms channel; one request may carry
up to 1,000 numbers. A real gateway would send a second request with that identity as a
second text message; this one counts it as a duplicate. ``GET /count`` answers the number of
requests and of messages (numbers) so far, cheaply; ``GET /stats`` answers every identity
with its count and the first and last arrival times (Unix seconds); ``POST /reset`` forgets
everything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from urllib.parse import parse_qs

REQUIRED = ("AccessKeyId", "Signature", "SignatureNonce", "PhoneNumbers", "TemplateCode")


class State:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.counts: dict[str, int] = {}
        self.requests = 0
        self.messages = 0
        self.bad = 0
        self.first: float | None = None
        self.last: float | None = None

    def send_sms(self, body: bytes) -> bytes:
        now = time.time()
        form = parse_qs(body.decode(), keep_blank_values=True)
        self.requests += 1
        if form.get("Action") != ["SendSms"] or any(k not in form for k in REQUIRED):
            self.bad += 1
            return json.dumps({"Code": "MissingParameter", "Message": "bad form"}).encode()
        out_id = form.get("OutId", [""])[0]
        for phone in form["PhoneNumbers"][0].split(","):  # up to 1,000 numbers a request
            key = f"{out_id}:{phone}"
            self.counts[key] = self.counts.get(key, 0) + 1
            self.messages += 1
        if self.first is None:
            self.first = now
        self.last = now
        return json.dumps(
            {
                "Code": "OK",
                "Message": "OK",
                "BizId": f"{int(now * 1000)}^0",
                "RequestId": uuid.uuid4().hex,
            }
        ).encode()

    def stats(self) -> bytes:
        return json.dumps(
            {
                "requests": self.requests,
                "messages": self.messages,
                "bad": self.bad,
                "first": self.first,
                "last": self.last,
                "counts": self.counts,
            }
        ).encode()


STATE = State()


class Http(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buffer[:end].decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            if method == "POST" and path == "/":
                payload = STATE.send_sms(body)
            elif method == "GET" and path == "/count":
                payload = b'{"requests":%d,"messages":%d}' % (STATE.requests, STATE.messages)
            elif method == "GET" and path == "/stats":
                payload = STATE.stats()
            elif method == "POST" and path == "/reset":
                STATE.reset()
                payload = b"{}"
            else:
                payload = b'{"Code":"NotFound"}'
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=utf-8\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload)
            )


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Http, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8790)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
