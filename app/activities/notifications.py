"""What activities tell people. The activity service records its events (published,
changed, cancelled, reminder) in its own transaction; the job registered here turns each due
one into a notification for the people expected, once: the event is marked delivered in the
transaction that writes the outbox. A second job reminds those who missed a meeting without
approved leave, once it is over, where their committee has not switched that off. Notify
runs the jobs and imports nothing of this."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, String, cast, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.config import Settings
from app.kit.time import DISPLAY_ZONE, shown
from app.models import (
    Activity,
    ActivityEvent,
    ActivityEventKind,
    ActivityStatus,
    Attendance,
    CommitteeSettings,
    ExpectedAttendee,
    LeaveRequest,
    LeaveStatus,
    Notification,
    NotificationKind,
    OrgClosure,
)
from app.notify.channels.fields import as_datetime
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
# The state each event announces, short enough for a WeChat phrase field.
STATES = {
    ActivityEventKind.PUBLISHED: "已发布",
    ActivityEventKind.CHANGED: "已变更",
    ActivityEventKind.CANCELLED: "已取消",
    ActivityEventKind.REMINDER: "即将开始",
}
NO_VENUE = "待定"
DETAIL_PAGE = "pages/activity/detail?id={id}"
# Absent members are reminded from the close of check-in (late manual records have had
# their chance by then) for this long; an activity older than that is left alone.
ABSENCE_WINDOW = timedelta(days=1)


def subject(activity_id: int) -> str:
    """What every notification about one activity is about: the newest supersedes the rest."""
    return f"activity:{activity_id}"


def _announced(event: ActivityEvent, activity: Activity) -> tuple[str, datetime]:
    """The title and start the event announced: as they were when it happened (a change
    then another before the worker ran must not tell the first with the second's times)."""
    starts = as_datetime(event.payload.get("starts_at")) or activity.starts_at
    return str(event.payload.get("title") or activity.title), starts


def render(event: ActivityEvent, activity: Activity, zone: ZoneInfo) -> tuple[str, str]:
    name, starts_at = _announced(event, activity)
    starts = starts_at.astimezone(zone).strftime("%m月%d日 %H:%M")
    title = f"{HEADLINES[event.kind]}：{name}"
    if event.kind is ActivityEventKind.CANCELLED:
        reason = event.payload.get("reason")
        body = f"原定{starts}的活动已取消" + (f"，原因：{reason}" if reason else "")
    else:
        where = f"，地点：{activity.venue_name}" if activity.venue_name else ""
        body = f"时间：{starts}{where}"
    return title, body


def _data(event: ActivityEvent, activity: Activity) -> dict[str, Any]:
    """What templates may show (app/notify/catalogue.py lists the keys)."""
    name, starts_at = _announced(event, activity)
    data: dict[str, Any] = {
        "activity_id": activity.id,
        "event": event.kind.value,
        "activity_title": name,
        "starts_at": shown(starts_at),
        "ends_at": shown(activity.ends_at),
        "venue": activity.venue_name or NO_VENUE,
        "status": STATES[event.kind],
    }
    if event.kind is ActivityEventKind.CANCELLED:
        data["reason"] = str(event.payload.get("reason") or "无")
    return data


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
    zone = DISPLAY_ZONE
    for event, activity in rows:
        title, body = render(event, activity, zone)
        await notify(
            session,
            settings,
            kind=KINDS[event.kind],
            source=f"activity_event:{event.id}",
            subject=subject(activity.id),
            title=title,
            body=body,
            recipients=select(ExpectedAttendee.member_id).where(
                ExpectedAttendee.activity_id == activity.id
            ),
            now=now,
            org_id=activity.org_id,
            page=DETAIL_PAGE.format(id=activity.id),
            data=_data(event, activity),
        )
        event.delivered_at = now
    return len(rows)


def absence_source(activity_id: int) -> str:
    return f"absence_reminder:{activity_id}"


def absence_reminders_on(
    org_id: ColumnElement[int] | InstrumentedAttribute[int],
) -> ColumnElement[bool]:
    """The switch of the nearest committee above ``org_id`` (itself included) that set one;
    on where none did."""
    nearest = (
        select(CommitteeSettings.absence_reminders)
        .join(OrgClosure, OrgClosure.ancestor_id == CommitteeSettings.org_id)
        .where(OrgClosure.descendant_id == org_id)
        .order_by(OrgClosure.depth)
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(nearest, literal(True)).is_(True)


def _absent(activity_id: int) -> Select[int]:
    """Those expected who neither came nor had their leave approved."""
    return select(ExpectedAttendee.member_id).where(
        ExpectedAttendee.activity_id == activity_id,
        ~exists().where(
            Attendance.activity_id == activity_id,
            Attendance.member_id == ExpectedAttendee.member_id,
        ),
        ~exists().where(
            LeaveRequest.activity_id == activity_id,
            LeaveRequest.member_id == ExpectedAttendee.member_id,
            LeaveRequest.status == LeaveStatus.APPROVED,
        ),
    )


async def remind_absent(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """One reminder per activity whose check-in has closed, to the expected members with no
    attendance and no approved leave. The notification's unique source is both the guard
    against a second reminder and the record that it was sent."""
    closed_by = now - timedelta(minutes=settings.checkin_closes_minutes_after)
    sent = exists().where(
        Notification.source == literal("absence_reminder:") + cast(Activity.id, String)
    )
    activities = (
        await session.scalars(
            select(Activity)
            .where(
                Activity.status == ActivityStatus.PUBLISHED,
                Activity.ends_at <= closed_by,
                Activity.ends_at > closed_by - ABSENCE_WINDOW,
                ~sent,
                absence_reminders_on(Activity.org_id),
            )
            .order_by(Activity.ends_at, Activity.id)
            .limit(100)
        )
    ).all()
    # No row lock: it would hold up the secretary's edits, and a second worker's reminder
    # of the same activity meets the unique source and adds nothing.
    zone = DISPLAY_ZONE
    for activity in activities:
        starts = activity.starts_at.astimezone(zone).strftime("%m月%d日 %H:%M")
        await notify(
            session,
            settings,
            kind=NotificationKind.ABSENCE_REMINDER,
            source=absence_source(activity.id),
            subject=None,  # about the member's absence: no later news of the activity undoes it
            title=f"缺席提醒：{activity.title}",
            body=f"您未参加{starts}的活动，也没有获批的请假，请及时与支部联系补学",
            recipients=_absent(activity.id),
            now=now,
            org_id=activity.org_id,
            page=DETAIL_PAGE.format(id=activity.id),
            data={
                "activity_id": activity.id,
                "activity_title": activity.title,
                "starts_at": shown(activity.starts_at),
                "venue": activity.venue_name or NO_VENUE,
                "status": "缺席",
            },
        )
    return len(activities)


def register(registry: NotifyRegistry) -> None:
    """Called by app.main at start-up."""
    registry.register_job("activities.deliver_due_events", deliver_due)
    registry.register_job("activities.remind_absent", remind_absent)
