"""What activities tell people. The activity service records its events (published,
changed, cancelled, reminder) in its own transaction; the job registered here turns each due
one into a notification for the people expected, once: the event is marked delivered in the
transaction that writes the outbox. Notify runs the job and imports nothing of this."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import (
    Activity,
    ActivityEvent,
    ActivityEventKind,
    ExpectedAttendee,
    NotificationKind,
)
from app.notify.outbox import notify
from app.notify.registry import NotifyRegistry

KINDS = {
    ActivityEventKind.PUBLISHED: NotificationKind.ACTIVITY_PUBLISHED,
    ActivityEventKind.CHANGED: NotificationKind.ACTIVITY_CHANGED,
    ActivityEventKind.CANCELLED: NotificationKind.ACTIVITY_CANCELLED,
    ActivityEventKind.REMINDER: NotificationKind.ACTIVITY_REMINDER,
}
HEADLINES = {
    ActivityEventKind.PUBLISHED: "活动通知",
    ActivityEventKind.CHANGED: "活动变更",
    ActivityEventKind.CANCELLED: "活动取消",
    ActivityEventKind.REMINDER: "活动提醒",
}


def render(event: ActivityEvent, activity: Activity, zone: ZoneInfo) -> tuple[str, str]:
    starts = activity.starts_at.astimezone(zone).strftime("%m月%d日 %H:%M")
    title = f"{HEADLINES[event.kind]}：{activity.title}"
    if event.kind is ActivityEventKind.CANCELLED:
        reason = event.payload.get("reason")
        body = f"原定{starts}的活动已取消" + (f"，原因：{reason}" if reason else "")
    else:
        where = f"，地点：{activity.venue_name}" if activity.venue_name else ""
        body = f"时间：{starts}{where}"
    return title, body


async def deliver_due(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Write the outbox for every due, not superseded event. Two workers never take the same
    event (SKIP LOCKED), and the notification's unique source makes a repeat harmless."""
    rows = (
        await session.execute(
            select(ActivityEvent, Activity)
            .join(Activity, Activity.id == ActivityEvent.activity_id)
            .where(
                ActivityEvent.delivered_at.is_(None),
                ActivityEvent.superseded_at.is_(None),
                ActivityEvent.due_at <= now,
            )
            .order_by(ActivityEvent.due_at, ActivityEvent.id)
            .limit(100)
            .with_for_update(of=ActivityEvent, skip_locked=True)
        )
    ).all()
    zone = ZoneInfo(settings.display_timezone)
    for event, activity in rows:
        title, body = render(event, activity, zone)
        await notify(
            session,
            settings,
            kind=KINDS[event.kind],
            source=f"activity_event:{event.id}",
            title=title,
            body=body,
            recipients=select(ExpectedAttendee.member_id).where(
                ExpectedAttendee.activity_id == activity.id
            ),
            now=now,
            org_id=activity.org_id,
            page=f"pages/activity/detail?id={activity.id}",
            data={"activity_id": activity.id, "event": event.kind.value},
        )
        event.delivered_at = now
    return len(rows)


def register(registry: NotifyRegistry) -> None:
    """Called by app.main at start-up."""
    registry.register_job("activities.deliver_due_events", deliver_due)
