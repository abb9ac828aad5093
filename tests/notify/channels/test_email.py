"""E-mail against a real SMTP server on localhost (aiosmtpd): 5xx is permanent, 4xx and a
lost connection are retried."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message as EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.notify.channels.base import Message, Outcome, Recipient
from app.notify.channels.email import SmtpEmailAdapter
from tests.notify.channels.conftest import FakeResolver, make_message


class Mailbox:
    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: list[str]
    ) -> str:
        if address.startswith("gone@"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("full@"):
            return "452 4.2.2 mailbox full, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def adapter(port: int) -> SmtpEmailAdapter:
    return SmtpEmailAdapter(
        host="127.0.0.1",
        port=port,
        sender="党建平台 <noreply@example.org>",
        security="none",
        allow_private=True,  # the fake server is on this machine
    )


async def test_delivers_to_the_server(mailbox: tuple[Mailbox, int], message: Message) -> None:
    box, port = mailbox
    result = await adapter(port).send(message, Recipient(member_id=1, email="li@example.org"))

    assert result.outcome is Outcome.DELIVERED
    [mail] = box.received
    assert mail["To"] == "li@example.org"
    assert mail["Subject"] == message.title
    assert message.body in mail.get_payload(decode=True).decode()


async def test_a_line_break_in_the_title_cannot_add_headers(
    mailbox: tuple[Mailbox, int],
) -> None:
    box, port = mailbox
    sneaky = make_message(title="通知\r\nBcc: victim@example.org")
    result = await adapter(port).send(sneaky, Recipient(member_id=1, email="li@example.org"))

    assert result.outcome is Outcome.DELIVERED
    assert box.received[0]["Bcc"] is None


@pytest.mark.parametrize(
    ("address", "outcome"),
    [("gone@example.org", Outcome.PERMANENT), ("full@example.org", Outcome.RETRY)],
)
async def test_refused_recipients_by_reply_code(
    mailbox: tuple[Mailbox, int], message: Message, address: str, outcome: Outcome
) -> None:
    box, port = mailbox
    result = await adapter(port).send(message, Recipient(member_id=1, email=address))
    assert result.outcome is outcome
    assert box.received == []


async def test_no_server_is_retried(message: Message) -> None:
    result = await adapter(free_port()).send(message, Recipient(member_id=1, email="a@b.org"))
    assert result.outcome is Outcome.RETRY


async def test_starttls_refused_by_the_server_is_permanent(
    mailbox: tuple[Mailbox, int], message: Message
) -> None:
    _, port = mailbox
    starttls = SmtpEmailAdapter(
        host="127.0.0.1",
        port=port,
        sender="noreply@example.org",
        security="starttls",
        allow_private=True,
    )
    result = await starttls.send(message, Recipient(member_id=1, email="li@example.org"))
    assert result.outcome is Outcome.PERMANENT


@pytest.mark.parametrize("email", [None, ""])
async def test_no_address_is_not_subscribed(email: str | None, message: Message) -> None:
    result = await adapter(free_port()).send(message, Recipient(member_id=1, email=email))
    assert result.outcome is Outcome.NOT_SUBSCRIBED


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "::ffff:127.0.0.1"]
)
async def test_every_spelling_of_loopback_is_refused_before_connecting(
    mailbox: tuple[Mailbox, int], host: str, message: Message
) -> None:
    box, port = mailbox
    guarded = SmtpEmailAdapter(host=host, port=port, sender="noreply@example.org", security="none")

    result = await guarded.send(message, Recipient(member_id=1, email="li@example.org"))

    assert result.outcome is Outcome.PERMANENT
    assert result.detail.startswith("email: refused: "), result.detail
    assert box.received == []


async def test_a_host_that_resolves_to_a_private_address_is_refused(message: Message) -> None:
    guarded = SmtpEmailAdapter(
        host="smtp.example.org",
        port=465,
        sender="noreply@example.org",
        resolver=FakeResolver(**{"smtp.example.org": ["192.168.1.20"]}),
    )
    result = await guarded.send(message, Recipient(member_id=1, email="li@example.org"))
    assert result.outcome is Outcome.PERMANENT
    assert "smtp.example.org resolves to non-public 192.168.1.20" in result.detail
