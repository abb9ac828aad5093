"""Development: the message is written to the log, where a developer running `make run`
sees what members would receive."""

from __future__ import annotations

import logging

from app.models import Channel
from app.notify.channels.base import Message, Recipient, SendResult, delivered

log = logging.getLogger("app.notify.console")


class ConsoleAdapter:
    channel = Channel.CONSOLE

    async def send(self, message: Message, recipient: Recipient) -> SendResult:
        log.info(
            "console message %s to %s (member %s): %s | %s | page %s",
            message.notification_id,
            recipient.name or "the group",
            recipient.member_id,
            message.title,
            message.body,
            message.page,
        )
        return delivered()
