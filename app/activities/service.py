"""Activities: created by a secretary, an instructor or a committee admin in scope;
published, changed or cancelled with an event recorded for the notification system."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Row, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.attributes import set_committed_value

from app.activities.errors import (
    ActivityAlreadyCancelled,
    ActivityEnded,
    ActivityNotFound,
    EndsBeforeStart,
    GeofenceNeedsVenue,
    NoBranchCommittee,
    NotDraft,
    NotOnExpectedList,
    PartyGroupInvalid,
    PartyGroupNotApplicable,
    PartyGroupRequired,
)
from app.activities.schemas import (
    ActivityCreate,
    ActivityFields,
    ActivityKey,
    ActivityUpdate,
    ShownStatus,
)
from app.auth.scope import Scope
from app.checkin.errors import LocationNeedsGeofence
from app.groups import service as groups_service
from app.members import service as members_service
from app.members.errors import MemberNotFound
from app.models import (
    Activity,
    ActivityCoHost,
    ActivityEvent,
    ActivityEventKind,
    ActivityStatus,
    ActivityType,
    ExpectedAttendee,
    MassOrg,
    Member,
    Organization,
    OrgClosure,
    OrgKind,
)
from app.models.activities import RecordSource
from app.orgs import service as orgs_service

EDITABLE = {
    "type",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "host_member_id",
    "recorder_member_id",
    "lecturer_member_id",
    "lecturer_name",
    "venue_name",
    "venue_latitude",
    "venue_longitude",
    "geofence_radius_m",
    "walk_in_policy",
    "checkin_methods",
    "location_required",
    "outside_fence",
    "party_group_id",
}
# Changes members must hear about: when and where.
NOTIFIED_FIELDS = frozenset(
    {"starts_at", "ends_at", "venue_name", "venue_latitude", "venue_longitude"}
)


def effective_status(activity: Activity, now: datetime) -> str:
    if activity.status is ActivityStatus.PUBLISHED and activity.ends_at <= now:
        return "ended"
    return activity.status.value


def in_org_subtree(
    org_column: InstrumentedAttribute[int], member: type[Member] = Member
) -> ColumnElement[bool]:
    """The member's relation or workplace lies in the subtree of ``org_column``."""
    # Used two levels down (activity > member > closure): auto-correlation reaches only the
    # immediately enclosing SELECT, so the activity would become a FROM of its own and any
    # activity would do. correlate_except correlates the member and the activity at any level.
    return exists(
        select(OrgClosure.ancestor_id)
        .where(
            OrgClosure.ancestor_id == org_column,
            OrgClosure.descendant_id.in_([member.relation_org_id, member.workplace_org_id]),
        )
        .correlate_except(OrgClosure)
    )


def visible_to_member(member_id: int) -> ColumnElement[bool]:
    """An activity a member may see: they are expected, or it belongs to an organization
    whose subtree holds their relation or workplace (walk-ins, 流动党员)."""
    expected = exists(
        select(ExpectedAttendee.member_id).where(
            ExpectedAttendee.activity_id == Activity.id, ExpectedAttendee.member_id == member_id
        )
    )
    nearby = exists(
        # Walk-in reach is for current members; one who left still sees what they were
        # expected at (their history).
        select(Member.id).where(
            Member.id == member_id, Member.current(), in_org_subtree(Activity.org_id)
        )
    )
    return or_(expected, nearby)


async def get_in_scope(session: AsyncSession, scope: Scope, activity_id: int) -> Activity:
    """The activity, if its organization lies in ``scope``; ActivityNotFound otherwise."""
    activity = await session.scalar(
        select(Activity).where(Activity.id == activity_id, scope.covers(Activity.org_id))
    )
    if activity is None:
        raise ActivityNotFound()
    return activity


async def get_visible_to_member(
    session: AsyncSession, scope: Scope, activity_id: int, *, member_id: int | None
) -> Activity:
    """As get_in_scope, and besides to the member an activity concerns (visible_to_member)
    once it is published; a draft is the organizers' alone."""
    condition = scope.covers(Activity.org_id)
    if member_id is not None:
        condition = or_(
            condition,
            and_(Activity.status != ActivityStatus.DRAFT, visible_to_member(member_id)),
        )
    activity = await session.scalar(select(Activity).where(Activity.id == activity_id, condition))
    if activity is None:
        raise ActivityNotFound()
    return activity


async def shown(
    session: AsyncSession, activities: Sequence[Activity], now: datetime
) -> Sequence[Activity]:
    """The activities, with what an answer shows beyond their columns: the status readers see,
    the co-hosts and how many are expected (two queries, however many activities)."""
    ids = [a.id for a in activities]
    co_hosts = await _co_hosts_of(session, ids)
    counts = await _expected_counts(session, ids)
    for activity in activities:
        # Set as loaded, not as changes: nothing here is written back.
        set_committed_value(activity, "shown_status", effective_status(activity, now))
        set_committed_value(activity, "co_hosts", co_hosts[activity.id])
        set_committed_value(activity, "expected_count", counts.get(activity.id, 0))
    return activities


async def _co_hosts_of(
    session: AsyncSession, activity_ids: Sequence[int]
) -> dict[int, list[MassOrg]]:
    found: dict[int, list[MassOrg]] = {i: [] for i in activity_ids}
    if activity_ids:
        rows = await session.execute(
            select(ActivityCoHost.activity_id, ActivityCoHost.mass_org)
            .where(ActivityCoHost.activity_id.in_(activity_ids))
            .order_by(ActivityCoHost.mass_org)
        )
        for activity_id, mass_org in rows:
            found[activity_id].append(mass_org)
    return found


async def _expected_counts(session: AsyncSession, activity_ids: Sequence[int]) -> dict[int, int]:
    if not activity_ids:
        return {}
    rows = await session.execute(
        select(ExpectedAttendee.activity_id, func.count())
        .where(ExpectedAttendee.activity_id.in_(activity_ids))
        .group_by(ExpectedAttendee.activity_id)
    )
    return {activity_id: count for activity_id, count in rows}  # noqa: C416 - a Result has keys()


async def _check_people(session: AsyncSession, member_scope: Scope, body: ActivityFields) -> None:
    for member_id in (body.host_member_id, body.recorder_member_id, body.lecturer_member_id):
        if member_id is not None:
            await members_service.get_in_scope(session, member_scope, member_id)


def _check_venue(activity: Activity) -> None:
    if activity.geofence_radius_m is not None and activity.venue_latitude is None:
        raise GeofenceNeedsVenue()
    # A point is only worth asking for when there is a fence to compare it with.
    if activity.location_required and activity.geofence_radius_m is None:
        raise LocationNeedsGeofence()


async def check_party_group(
    session: AsyncSession, org_id: int, activity_type: ActivityType, party_group_id: int | None
) -> None:
    if activity_type is not ActivityType.PARTY_GROUP:
        if party_group_id is not None:
            raise PartyGroupNotApplicable()
        return
    if party_group_id is None:
        raise PartyGroupRequired()
    if await groups_service.party_group_of(session, org_id, party_group_id) is None:
        raise PartyGroupInvalid(details={"party_group_id": party_group_id})


async def default_expected(
    session: AsyncSession,
    org: Organization,
    activity_type: ActivityType,
    party_group_id: int | None,
) -> list[int]:
    # 三会一课: a 支部委员会 is for the committee, a 党小组会 for the group.
    if activity_type is ActivityType.BRANCH_COMMITTEE:
        return await groups_service.committee_member_ids(session, org.id)
    if activity_type is ActivityType.PARTY_GROUP and party_group_id is not None:
        return await groups_service.group_member_ids(session, party_group_id)
    # A party organization expects the members whose relation it holds (in its subtree);
    # a social organization expects the people who work there.
    subtree = select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id == org.id)
    column = Member.workplace_org_id if org.kind is OrgKind.SOCIAL_ORG else Member.relation_org_id
    rows = await session.scalars(
        select(Member.id)
        .where(column.in_(subtree), Member.is_lost_contact.is_(False), Member.current())
        .order_by(Member.id)
    )
    return list(rows)


async def insert_expected(
    session: AsyncSession, activity_id: int, member_ids: Sequence[int]
) -> None:
    present = set(
        await session.scalars(
            select(ExpectedAttendee.member_id).where(
                ExpectedAttendee.activity_id == activity_id,
                ExpectedAttendee.member_id.in_(member_ids),
            )
        )
    )
    fresh = [
        {"activity_id": activity_id, "member_id": m}
        for m in dict.fromkeys(member_ids)
        if m not in present
    ]
    if fresh:
        await session.execute(insert(ExpectedAttendee), fresh)


async def _members_in_scope(
    session: AsyncSession, member_scope: Scope, member_ids: Sequence[int]
) -> list[int]:
    wanted = list(dict.fromkeys(member_ids))
    found = set(
        await session.scalars(
            # Someone who left is expected nowhere new (their record stays readable).
            select(Member.id).where(
                Member.id.in_(wanted), Member.current(), members_service.in_scope(member_scope)
            )
        )
    )
    missing = [m for m in wanted if m not in found]
    if missing:
        raise MemberNotFound(details={"member_ids": missing[:20]})
    return wanted


async def create(
    session: AsyncSession,
    manage_scope: Scope,
    member_scope: Scope,
    body: ActivityCreate,
    *,
    account_id: int,
    now: datetime,
) -> Activity:
    org = await orgs_service.get_in_scope(session, manage_scope, body.org_id)
    await _check_people(session, member_scope, body)
    await check_party_group(session, org.id, body.type, body.party_group_id)
    activity = Activity(
        org_id=org.id,
        checkin_secret=os.urandom(32),
        created_by_account_id=account_id,
        created_at=now,
        updated_at=now,
        # What is left out takes the column's default (e.g. the walk-in policy).
        **body.model_dump(include=EDITABLE, exclude_none=True),
    )
    _check_venue(activity)
    session.add(activity)
    await session.flush()
    for mass_org in dict.fromkeys(body.co_hosts or []):
        session.add(ActivityCoHost(activity_id=activity.id, mass_org=mass_org))
    if body.expected_member_ids is not None:
        expected = await _members_in_scope(session, member_scope, body.expected_member_ids)
    else:
        expected = await default_expected(session, org, body.type, body.party_group_id)
        # A 支委会 of a branch whose committee nobody recorded would expect no one: a meeting
        # nobody is told of and every figure reads 0 of 0. Ask for the committee instead.
        if body.type is ActivityType.BRANCH_COMMITTEE and not expected:
            raise NoBranchCommittee()
    await insert_expected(session, activity.id, expected)
    await session.flush()
    return activity


def _record_event(
    session: AsyncSession,
    activity: Activity,
    kind: ActivityEventKind,
    now: datetime,
    due_at: datetime | None = None,
    **payload: str | list[str],
) -> None:
    session.add(
        ActivityEvent(
            activity_id=activity.id,
            kind=kind,
            payload={
                "title": activity.title,
                "starts_at": activity.starts_at.isoformat(),
                **payload,
            },
            created_at=now,
            due_at=due_at or now,
        )
    )


async def _supersede_reminders(session: AsyncSession, activity_id: int, now: datetime) -> None:
    await session.execute(
        update(ActivityEvent)
        .where(
            ActivityEvent.activity_id == activity_id,
            ActivityEvent.kind == ActivityEventKind.REMINDER,
            ActivityEvent.delivered_at.is_(None),
            ActivityEvent.superseded_at.is_(None),
        )
        .values(superseded_at=now)
        .execution_options(synchronize_session=False)
    )


def _schedule_reminder(
    session: AsyncSession, activity: Activity, now: datetime, minutes_before: int
) -> None:
    due = activity.starts_at - timedelta(minutes=minutes_before)
    if due > now:
        _record_event(session, activity, ActivityEventKind.REMINDER, now, due_at=due)


def _refuse_if_closed(activity: Activity, now: datetime) -> None:
    if activity.status is ActivityStatus.CANCELLED:
        raise ActivityAlreadyCancelled()
    if effective_status(activity, now) == "ended":
        raise ActivityEnded()


async def update_activity(
    session: AsyncSession,
    manage_scope: Scope,
    member_scope: Scope,
    activity_id: int,
    body: ActivityUpdate,
    *,
    now: datetime,
    reminder_minutes: int,
) -> Activity:
    activity = await get_in_scope(session, manage_scope, activity_id)
    _refuse_if_closed(activity, now)
    await _check_people(session, member_scope, body)
    # A null leaves the stored value as it is, like a field left out.
    changes = body.model_dump(include=EDITABLE, exclude_unset=True, exclude_none=True)
    changed = {name for name, value in changes.items() if getattr(activity, name) != value}
    for name in changed:
        setattr(activity, name, changes[name])
    if activity.ends_at <= activity.starts_at:
        raise EndsBeforeStart()
    _check_venue(activity)
    if activity.type is not ActivityType.PARTY_GROUP and "party_group_id" not in changes:
        activity.party_group_id = None  # no longer a 党小组会: no longer a group's
    await check_party_group(session, activity.org_id, activity.type, activity.party_group_id)
    if body.co_hosts is not None:
        await session.execute(
            delete(ActivityCoHost).where(ActivityCoHost.activity_id == activity.id)
        )
        for mass_org in dict.fromkeys(body.co_hosts):
            session.add(ActivityCoHost(activity_id=activity.id, mass_org=mass_org))
    if changed or body.co_hosts is not None:
        activity.updated_at = now
    if activity.status is ActivityStatus.PUBLISHED and changed & NOTIFIED_FIELDS:
        _record_event(
            session,
            activity,
            ActivityEventKind.CHANGED,
            now,
            changed=sorted(changed & NOTIFIED_FIELDS),
        )
        if "starts_at" in changed:
            await _supersede_reminders(session, activity.id, now)
            _schedule_reminder(session, activity, now, reminder_minutes)
    await session.flush()
    return activity


async def publish(
    session: AsyncSession,
    manage_scope: Scope,
    activity_id: int,
    *,
    now: datetime,
    reminder_minutes: int,
) -> Activity:
    activity = await get_in_scope(session, manage_scope, activity_id)
    if activity.status is not ActivityStatus.DRAFT:
        raise NotDraft()
    if activity.ends_at <= now:
        raise ActivityEnded()
    activity.status = ActivityStatus.PUBLISHED
    activity.published_at = activity.updated_at = now
    _record_event(session, activity, ActivityEventKind.PUBLISHED, now)
    _schedule_reminder(session, activity, now, reminder_minutes)
    await session.flush()
    return activity


async def cancel(
    session: AsyncSession, manage_scope: Scope, activity_id: int, reason: str, *, now: datetime
) -> Activity:
    activity = await get_in_scope(session, manage_scope, activity_id)
    _refuse_if_closed(activity, now)
    was_published = activity.status is ActivityStatus.PUBLISHED
    activity.status = ActivityStatus.CANCELLED
    activity.cancelled_at = activity.updated_at = now
    activity.cancel_reason = reason
    await _supersede_reminders(session, activity.id, now)
    if was_published:  # nobody heard of a draft: nothing to tell
        _record_event(session, activity, ActivityEventKind.CANCELLED, now, reason=reason)
    await session.flush()
    return activity


def _shown_status_is(status: ShownStatus, now: datetime) -> ColumnElement[bool]:
    if status is ShownStatus.PUBLISHED:
        return and_(Activity.status == ActivityStatus.PUBLISHED, Activity.ends_at > now)
    if status is ShownStatus.ENDED:
        return and_(Activity.status == ActivityStatus.PUBLISHED, Activity.ends_at <= now)
    return Activity.status == ActivityStatus(status.value)


async def list_managed(
    session: AsyncSession,
    scope: Scope,
    *,
    org_id: int | None,
    starts_from: datetime | None,
    starts_before: datetime | None,
    activity_type: ActivityType | None,
    status: ShownStatus | None,
    include_cancelled: bool,
    now: datetime,
    after: ActivityKey | None,
    limit: int,
    source: RecordSource | None = None,
) -> Sequence[Activity]:
    """By start, then id; cancelled ones only when asked for (by status or the flag)."""
    query = select(Activity).where(scope.covers(Activity.org_id))
    if source is not None:
        query = query.where(Activity.source == source)
    if org_id is not None:
        await orgs_service.get_in_scope(session, scope, org_id)
        query = query.where(
            Activity.org_id.in_(
                select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id == org_id)
            )
        )
    if starts_from is not None:
        query = query.where(Activity.starts_at >= starts_from)
    if starts_before is not None:
        query = query.where(Activity.starts_at < starts_before)
    if activity_type is not None:
        query = query.where(Activity.type == activity_type)
    if status is not None:
        query = query.where(_shown_status_is(status, now))
    elif not include_cancelled:
        query = query.where(Activity.status != ActivityStatus.CANCELLED)
    if after is not None:
        query = query.where(
            or_(
                Activity.starts_at > after.starts_at,
                and_(Activity.starts_at == after.starts_at, Activity.id > after.id),
            )
        )
    query = query.order_by(Activity.starts_at, Activity.id).limit(limit)
    return (await session.scalars(query)).all()


def activity_key(activity: Activity) -> ActivityKey:
    """The cursor key of a page (the managers' or a member's) that ends with ``activity``."""
    return ActivityKey(starts_at=activity.starts_at, id=activity.id)


async def list_for_member(
    session: AsyncSession,
    member_id: int,
    *,
    upcoming: bool,
    include_cancelled: bool,
    activity_type: ActivityType | None,
    now: datetime,
    after: ActivityKey | None,
    limit: int,
) -> Sequence[Activity]:
    """Upcoming: the next first (by start, then id); past: the latest first. A cancelled one
    only when asked for: the member was told of it, and it is no longer on the agenda."""
    shown = [ActivityStatus.PUBLISHED]
    if include_cancelled:
        shown.append(ActivityStatus.CANCELLED)
    query = select(Activity).where(visible_to_member(member_id), Activity.status.in_(shown))
    if activity_type is not None:
        query = query.where(Activity.type == activity_type)
    if upcoming:
        query = query.where(Activity.ends_at > now)
        order = (Activity.starts_at.asc(), Activity.id.asc())
        if after is not None:
            query = query.where(
                or_(
                    Activity.starts_at > after.starts_at,
                    and_(Activity.starts_at == after.starts_at, Activity.id > after.id),
                )
            )
    else:
        query = query.where(Activity.ends_at <= now)
        order = (Activity.starts_at.desc(), Activity.id.desc())
        if after is not None:
            query = query.where(
                or_(
                    Activity.starts_at < after.starts_at,
                    and_(Activity.starts_at == after.starts_at, Activity.id < after.id),
                )
            )
    return (await session.scalars(query.order_by(*order).limit(limit))).all()


async def add_expected(
    session: AsyncSession,
    manage_scope: Scope,
    member_scope: Scope,
    activity_id: int,
    member_ids: Sequence[int],
    *,
    now: datetime,
) -> None:
    activity = await get_in_scope(session, manage_scope, activity_id)
    _refuse_if_closed(activity, now)
    await insert_expected(
        session, activity.id, await _members_in_scope(session, member_scope, member_ids)
    )


async def remove_expected(
    session: AsyncSession, manage_scope: Scope, activity_id: int, member_id: int, *, now: datetime
) -> None:
    activity = await get_in_scope(session, manage_scope, activity_id)
    _refuse_if_closed(activity, now)
    removed = await session.scalar(
        delete(ExpectedAttendee)
        .where(ExpectedAttendee.activity_id == activity.id, ExpectedAttendee.member_id == member_id)
        .returning(ExpectedAttendee.member_id)
    )
    if removed is None:
        raise NotOnExpectedList()


async def expected_members(
    session: AsyncSession,
    manage_scope: Scope,
    activity_id: int,
    *,
    after_id: int | None,
    limit: int,
) -> Sequence[Row[int, str]]:
    """``member_id`` and ``name`` of each expected member, by member id."""
    activity = await get_in_scope(session, manage_scope, activity_id)
    query = (
        select(Member.id.label("member_id"), Member.name)
        .join(ExpectedAttendee, ExpectedAttendee.member_id == Member.id)
        .where(ExpectedAttendee.activity_id == activity.id)
    )
    if after_id is not None:
        query = query.where(Member.id > after_id)
    return (await session.execute(query.order_by(Member.id).limit(limit))).all()
