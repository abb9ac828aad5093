"""The in-app inbox: always on, and the one channel that cannot fail upstream."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kit.sql import insert_on_conflict
from app.models import Channel, InboxMessage
from app.notify.channels.base import Message, Recipient, SendResult, delivered, not_subscribed


class InboxAdapter:
    channel = Channel.INBOX

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def send(self, message: Message, recipient: Recipient) -> SendResult:
        if recipient.member_id is None:
            return not_subscribed("the inbox belongs to a member")
        async with self._sessionmaker.begin() as session:
            # A redelivery after a lost acknowledgement finds the row there: still one message.
            await session.execute(
                insert_on_conflict(session, InboxMessage)
                .values(
                    member_id=recipient.member_id,
                    notification_id=message.notification_id,
                    created_at=message.created_at,
                )
                .on_conflict_do_nothing()
            )
        return delivered()
