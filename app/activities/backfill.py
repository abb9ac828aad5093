"""补录: an activity that was held before anyone recorded it (before the system was used, or
on a day the phones stayed in the drawer), recorded afterwards by whoever manages its
organization (activities:manage in its scope), with who came and its minutes, in one
transaction: all of it or, on any refusal, nothing.

The activity is stored published and already over, marked ``source = backfill`` (recorded by
``created_by_account_id`` at ``created_at``); it was never announced, so ``published_at``
stays empty, no event is recorded and nobody is notified. It counts as held wherever an
activity does (app/oversight/compliance.py: not cancelled, ended in the period, someone
present or late, or minutes), which is why a 补录 with neither is refused.

Refused (nothing written): an end that has not passed with the check-in window after it
(``activity.backfill_not_past``: until then members check in and the secretary 补签s, as for
any activity); a start more than a year ago (``activity.backfill_too_old``: the compliance
figures a committee has already looked at do not change behind its back; older meetings stay
on paper); a start after the end (``activity.ends_before_start``); a member named twice
(``activity.backfill_duplicate_member``) or not on the expected list the organization would
have for the type (``activity.backfill_not_expected``); nobody present and no minutes
(``activity.backfill_nothing_held``); an unknown type (``validation_failed``)."""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.activities import service as activities_service
from app.activities.errors import (
    BackfillDuplicateMember,
    BackfillNotExpected,
    BackfillNothingHeld,
    BackfillNotPast,
    BackfillTooOld,
    EndsBeforeStart,
    NoBranchCommittee,
)
from app.activities.schemas import ActivityBackfill, BackfillState
from app.attendance import backfill as attendance_backfill
from app.auth.scope import Scope
from app.config import Settings
from app.kit.time import shown
from app.members import service as members_service
from app.minutes import service as minutes_service
from app.models import Activity, ActivityCoHost, ActivityStatus, ActivityType, AuditEvent
from app.models.activities import RecordSource
from app.orgs import service as orgs_service

MAX_AGE = timedelta(days=365)
AUDIT_ACTION = "activity.backfill"
_FIELDS = {
    "type",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "venue_name",
    "host_member_id",
    "recorder_member_id",
    "lecturer_member_id",
    "lecturer_name",
    "party_group_id",
}


def _check_times(body: ActivityBackfill, settings: Settings, now: datetime) -> None:
    if body.ends_at <= body.starts_at:
        raise EndsBeforeStart()
    recordable_from = body.ends_at + timedelta(minutes=settings.checkin_closes_minutes_after)
    if recordable_from > now:
        raise BackfillNotPast(details={"recordable_from": shown(recordable_from)})
    earliest = now - MAX_AGE
    if body.starts_at < earliest:
        raise BackfillTooOld(details={"earliest": shown(earliest)})


def _check_entries(body: ActivityBackfill, expected: list[int]) -> None:
    named = Counter(entry.member_id for entry in body.attendance)
    twice = sorted(member_id for member_id, times in named.items() if times > 1)
    if twice:
        raise BackfillDuplicateMember(details={"member_ids": twice[:20]})
    expected_ids = set(expected)
    strangers = sorted(member_id for member_id in named if member_id not in expected_ids)
    if strangers:
        raise BackfillNotExpected(details={"member_ids": strangers[:20]})
    came = any(e.state in (BackfillState.PRESENT, BackfillState.LATE) for e in body.attendance)
    if not came and body.minutes is None:
        raise BackfillNothingHeld()


async def record(
    session: AsyncSession,
    manage_scope: Scope,
    member_scope: Scope,
    body: ActivityBackfill,
    *,
    account_id: int,
    request_id: str | None,
    settings: Settings,
    now: datetime,
) -> Activity:
    """Every check comes before the first write; the request's transaction does the rest."""
    org = await orgs_service.get_in_scope(session, manage_scope, body.org_id)
    _check_times(body, settings, now)
    # The rules of a live activity: its people in the caller's reach, its party group the
    # organization's, its expected list the one the organization has for the type.
    for member_id in (body.host_member_id, body.recorder_member_id, body.lecturer_member_id):
        if member_id is not None:
            await members_service.get_in_scope(session, member_scope, member_id)
    await activities_service.check_party_group(session, org.id, body.type, body.party_group_id)
    expected = await activities_service.default_expected(
        session, org, body.type, body.party_group_id
    )
    if body.type is ActivityType.BRANCH_COMMITTEE and not expected:
        raise NoBranchCommittee()
    _check_entries(body, expected)

    activity = Activity(
        org_id=org.id,
        status=ActivityStatus.PUBLISHED,
        source=RecordSource.BACKFILL,
        checkin_secret=os.urandom(32),
        created_by_account_id=account_id,
        created_at=now,
        updated_at=now,
        **body.model_dump(include=_FIELDS, exclude_none=True),
    )
    session.add(activity)
    await session.flush()
    for mass_org in dict.fromkeys(body.co_hosts or []):
        session.add(ActivityCoHost(activity_id=activity.id, mass_org=mass_org))
    await activities_service.insert_expected(session, activity.id, expected)
    recorded = await attendance_backfill.record(
        session,
        activity,
        body.attendance,
        expected=expected,
        reason=body.reason,
        account_id=account_id,
        now=now,
    )
    if body.minutes is not None:
        await minutes_service.save(
            session, manage_scope, activity.id, body.minutes, account_id=account_id, now=now
        )
    session.add(
        AuditEvent(
            actor_account_id=account_id,
            action=AUDIT_ACTION,
            object_type="activity",
            object_id=activity.id,
            org_id=org.id,
            request_id=request_id,
            details={
                "reason": body.reason,
                "starts_at": activity.starts_at.isoformat(),
                "present": recorded.present,
                "late": recorded.late,
                "leave": recorded.leave,
                "absent": recorded.absent,
                "minutes": body.minutes is not None,
            },
            created_at=now,
        )
    )
    await session.flush()
    return activity
