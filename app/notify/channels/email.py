"""E-mail over SMTP with the standard library, in a thread: one message is one short
connection, and smtplib's reply codes are the classification (5xx permanent, 4xx and a lost
connection worth another try). The SMTP host is checked as every outbound target is
(app/kit/outbound.py), just before connecting."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal

from app.kit.outbound import OutboundRefused, Resolver, public_address, resolve
from app.models import Channel
from app.notify.channels.base import (
    Message,
    Recipient,
    SendResult,
    delivered,
    not_subscribed,
    permanent,
    retry,
)

Security = Literal["ssl", "starttls", "none"]


class SmtpEmailAdapter:
    channel = Channel.EMAIL

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        security: Security = "ssl",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        allow_private: bool = False,
        resolver: Resolver = resolve,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._security = security
        self._username = username
        self._password = password
        self._timeout = timeout
        self._ssl = ssl_context or ssl.create_default_context()
        self._allow_private = allow_private
        self._resolver = resolver

    def _compose(self, message: Message, to: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = to
        # A line break in a header would let a title inject headers: the policy refuses it.
        mail["Subject"] = " ".join(message.title.split())
        mail["Date"] = format_datetime(message.created_at)
        mail["Message-ID"] = make_msgid(f"n{message.notification_id}")
        mail.set_content(message.body)
        return mail

    def _deliver(self, mail: EmailMessage) -> None:
        smtp: smtplib.SMTP
        if self._security == "ssl":
            smtp = smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._ssl
            )
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        with smtp:
            if self._security == "starttls":
                smtp.starttls(context=self._ssl)
            if self._username and self._password:
                smtp.login(self._username, self._password)
            smtp.send_message(mail)

    async def send(self, message: Message, recipient: Recipient) -> SendResult:
        to = (recipient.email or "").strip()
        if not to:
            return not_subscribed("email: member has no address")
        try:
            mail = self._compose(message, to)
        except ValueError as exc:
            return permanent(f"email: cannot compose: {exc}"[:300])
        try:
            if not self._allow_private:
                # smtplib looks the name up again to connect, and TLS needs the name: a
                # rebinding between the two lookups is not caught here (see README).
                await public_address(self._host, self._port, self._resolver)
            await asyncio.to_thread(self._deliver, mail)
        except OutboundRefused as exc:
            return permanent(f"email: {exc}"[:300])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            return _by_code(code, reply)
        except smtplib.SMTPNotSupportedError as exc:
            return permanent(f"email: {exc}"[:300])  # e.g. STARTTLS asked of a server without it
        except smtplib.SMTPResponseException as exc:
            return _by_code(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPException, OSError) as exc:
            # Refused or dropped connections, timeouts, TLS failures.
            return retry(f"email: {type(exc).__name__}: {exc}"[:300])
        return delivered()


def _by_code(code: int, reply: bytes | str) -> SendResult:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    detail = f"email {code}: {text}"[:300]
    if 500 <= code < 600:
        return permanent(detail)
    return retry(detail)
