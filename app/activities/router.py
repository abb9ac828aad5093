from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import Row

from app.activities import backfill, rsvp, service
from app.activities.errors import (
    ActivityAlreadyCancelled,
    ActivityEnded,
    ActivityNotFound,
    BackfillDuplicateMember,
    BackfillNotExpected,
    BackfillNothingHeld,
    BackfillNotPast,
    BackfillTooOld,
    EndsBeforeStart,
    GeofenceNeedsVenue,
    NoBranchCommittee,
    NotDraft,
    NotOnExpectedList,
    PartyGroupInvalid,
    PartyGroupNotApplicable,
    PartyGroupRequired,
    RsvpNotExpected,
    RsvpNotFound,
    RsvpNotOpen,
    RsvpOnLeave,
    RsvpTooLate,
)
from app.activities.schemas import (
    ActivityBackfill,
    ActivityCreate,
    ActivityKey,
    ActivityRead,
    ActivityUpdate,
    CancelRequest,
    ExpectedChange,
    ExpectedMember,
    MyRsvp,
    RsvpSet,
    RsvpSummary,
    ShownStatus,
)
from app.auth.dependencies import ActivitiesManager, CurrentMember, CurrentPrincipal
from app.auth.permissions import Permission
from app.checkin.errors import LocationNeedsGeofence
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit.pagination import Page, PageParams, decode_key, paginate
from app.kit.types import IdPath, IdQuery
from app.kit.validation import Moment, QueryFlag
from app.members.errors import MemberNotFound
from app.models import ActivityType
from app.models.activities import RecordSource
from app.observability import request_id_var
from app.orgs.errors import OrgNotFound
from app.runtime import RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1", tags=["activities"])


@router.post(
    "/activities",
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        OrgNotFound,
        MemberNotFound,
        GeofenceNeedsVenue,
        LocationNeedsGeofence,
        NoBranchCommittee,
        PartyGroupRequired,
        PartyGroupNotApplicable,
        PartyGroupInvalid,
    ),
)
async def create_activity(
    body: ActivityCreate, caller: ActivitiesManager, session: DbSession, runtime: RuntimeDep
) -> ActivityRead:
    """Create a draft activity. Expected attendees default to the organization's members; of
    a 支部委员会 (branch_committee) to the committee's seat holders, of a 党小组会 (party_group,
    which names its party_group_id) to the group's members."""
    now = runtime.clock.now()
    activity = await service.create(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        caller.scope(Permission.MEMBERS_READ),
        body,
        account_id=caller.account_id,
        now=now,
    )
    await service.shown(session, [activity], now)
    return ActivityRead.model_validate(activity)


@router.post(
    "/activities/backfill",
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        OrgNotFound,
        MemberNotFound,
        EndsBeforeStart,
        BackfillNotPast,
        BackfillTooOld,
        BackfillDuplicateMember,
        BackfillNotExpected,
        BackfillNothingHeld,
        NoBranchCommittee,
        PartyGroupRequired,
        PartyGroupNotApplicable,
        PartyGroupInvalid,
    ),
)
async def backfill_activity(
    body: ActivityBackfill, caller: ActivitiesManager, session: DbSession, runtime: RuntimeDep
) -> ActivityRead:
    """补录: record an activity already held, with its attendance and minutes, in one go.
    It is stored ended and marked ``source: backfill`` (who recorded it, when), never
    announced (no notification, no reminder); its attendance rows are 补签s marked the same
    way and earn no points. It counts as held in the compliance figures (not cancelled, ended
    in the period, someone present or late, or minutes), so one with neither is refused.
    Its end and the check-in window after it must have passed, its start lie within a year;
    each entry names a member of the organization's expected list for the type, once; an
    expected member without an entry is absent."""
    now = runtime.clock.now()
    activity = await backfill.record(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        caller.scope(Permission.MEMBERS_READ),
        body,
        account_id=caller.account_id,
        request_id=request_id_var.get(),
        settings=runtime.settings,
        now=now,
    )
    await service.shown(session, [activity], now)
    return ActivityRead.model_validate(activity)


@router.get("/activities", responses=responses(OrgNotFound))
async def list_activities(
    caller: ActivitiesManager,
    session: ReadSession,
    runtime: RuntimeDep,
    page: PageParams,
    org_id: IdQuery = None,
    starts_from: Moment | None = None,
    starts_before: Moment | None = None,
    activity_type: Annotated[ActivityType | None, Query(alias="type")] = None,
    status: ShownStatus | None = None,
    include_cancelled: QueryFlag = False,
    source: Annotated[
        RecordSource | None,
        Query(description="live, or backfill: the 补录s alone (recorded after they were held)"),
    ] = None,
) -> Page[ActivityRead]:
    """Activities of the organizations the caller manages, by start time (then id).
    Cancelled ones are left out unless ``include_cancelled=true`` or ``status=cancelled``."""
    now = runtime.clock.now()
    found = await service.list_managed(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        org_id=org_id,
        starts_from=starts_from,
        starts_before=starts_before,
        activity_type=activity_type,
        status=status,
        include_cancelled=include_cancelled,
        now=now,
        after=None if page.cursor is None else decode_key(page.cursor, ActivityKey),
        limit=page.size + 1,
        source=source,
    )
    return paginate(
        ActivityRead, await service.shown(session, found, now), page, key=service.activity_key
    )


@router.get("/me/activities")
async def my_activities(
    caller: CurrentPrincipal,
    session: ReadSession,
    runtime: RuntimeDep,
    page: PageParams,
    when: Literal["upcoming", "past"] = "upcoming",
    activity_type: Annotated[ActivityType | None, Query(alias="type")] = None,
    include_cancelled: QueryFlag = False,
) -> Page[ActivityRead]:
    """The signed-in member's activities: upcoming ones by start time, the next first; past
    ones the latest first. Cancelled ones only with ``include_cancelled=true``."""
    if caller.member_id is None:  # an account not linked to a member is expected nowhere
        return Page[ActivityRead](items=[])
    now = runtime.clock.now()
    found = await service.list_for_member(
        session,
        caller.member_id,
        upcoming=when == "upcoming",
        include_cancelled=include_cancelled,
        activity_type=activity_type,
        now=now,
        after=None if page.cursor is None else decode_key(page.cursor, ActivityKey),
        limit=page.size + 1,
    )
    return paginate(
        ActivityRead, await service.shown(session, found, now), page, key=service.activity_key
    )


@router.get("/activities/{activity_id}", responses=responses(ActivityNotFound))
async def get_activity(
    activity_id: IdPath, caller: CurrentPrincipal, session: ReadSession, runtime: RuntimeDep
) -> ActivityRead:
    """One activity: for those who manage it and for the members it concerns."""
    activity = await service.get_visible_to_member(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        member_id=caller.member_id,
    )
    await service.shown(session, [activity], runtime.clock.now())
    return ActivityRead.model_validate(activity)


@router.patch(
    "/activities/{activity_id}",
    responses=responses(
        ActivityNotFound,
        ActivityAlreadyCancelled,
        ActivityEnded,
        MemberNotFound,
        EndsBeforeStart,
        GeofenceNeedsVenue,
        LocationNeedsGeofence,
        PartyGroupRequired,
        PartyGroupNotApplicable,
        PartyGroupInvalid,
    ),
)
async def update_activity(
    activity_id: IdPath,
    body: ActivityUpdate,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> ActivityRead:
    """Change an activity; moving a published one tells its members and reschedules the reminder."""
    now = runtime.clock.now()
    activity = await service.update_activity(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        caller.scope(Permission.MEMBERS_READ),
        activity_id,
        body,
        now=now,
        reminder_minutes=runtime.settings.activity_reminder_minutes_before,
    )
    await service.shown(session, [activity], now)
    return ActivityRead.model_validate(activity)


@router.post(
    "/activities/{activity_id}/publish",
    responses=responses(ActivityNotFound, NotDraft, ActivityEnded),
)
async def publish_activity(
    activity_id: IdPath, caller: ActivitiesManager, session: DbSession, runtime: RuntimeDep
) -> ActivityRead:
    """Publish a draft: members see it, are notified, and get a reminder before it starts."""
    now = runtime.clock.now()
    activity = await service.publish(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        now=now,
        reminder_minutes=runtime.settings.activity_reminder_minutes_before,
    )
    await service.shown(session, [activity], now)
    return ActivityRead.model_validate(activity)


@router.post(
    "/activities/{activity_id}/cancel",
    responses=responses(ActivityNotFound, ActivityAlreadyCancelled, ActivityEnded),
)
async def cancel_activity(
    activity_id: IdPath,
    body: CancelRequest,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> ActivityRead:
    """Cancel an activity with a reason; members of a published one are told."""
    now = runtime.clock.now()
    activity = await service.cancel(
        session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id, body.reason, now=now
    )
    await service.shown(session, [activity], now)
    return ActivityRead.model_validate(activity)


@router.get("/activities/{activity_id}/expected", responses=responses(ActivityNotFound))
async def list_expected(
    activity_id: IdPath, caller: ActivitiesManager, session: ReadSession, page: PageParams
) -> Page[ExpectedMember]:
    """Who is expected to attend, by member id."""
    rows = await service.expected_members(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        after_id=page.after,
        limit=page.size + 1,
    )
    return paginate(ExpectedMember, rows, page, key=_by_member)


def _by_member(row: Row[int, str]) -> int:
    return int(row.member_id)


@router.post(
    "/activities/{activity_id}/expected",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ActivityNotFound, ActivityAlreadyCancelled, ActivityEnded, MemberNotFound),
)
async def add_expected(
    activity_id: IdPath,
    body: ExpectedChange,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """Add members to the expected list (流动党员 and guests from the caller's scope)."""
    await service.add_expected(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        caller.scope(Permission.MEMBERS_READ),
        activity_id,
        body.member_ids,
        now=runtime.clock.now(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/activities/{activity_id}/expected/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(
        ActivityNotFound, ActivityAlreadyCancelled, ActivityEnded, NotOnExpectedList
    ),
)
async def remove_expected(
    activity_id: IdPath,
    member_id: IdPath,
    caller: ActivitiesManager,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    """Take a member off the expected list."""
    await service.remove_expected(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        member_id,
        now=runtime.clock.now(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


RSVP_REFUSALS = (ActivityNotFound, RsvpNotOpen, RsvpTooLate, RsvpNotExpected)


@router.put("/activities/{activity_id}/rsvp", responses=responses(*RSVP_REFUSALS, RsvpOnLeave))
async def answer_rsvp(
    activity_id: IdPath,
    body: RsvpSet,
    caller: CurrentMember,
    session: DbSession,
    runtime: RuntimeDep,
) -> MyRsvp:
    """Say "I'll come" before the start (an expected member); to stay away, ask leave."""
    mine = await rsvp.answer(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        body.answer,
        member_id=caller.member_id,
        now=runtime.clock.now(),
    )
    return MyRsvp.model_validate(mine, from_attributes=True)


@router.get("/activities/{activity_id}/rsvp", responses=responses(ActivityNotFound))
async def my_rsvp(activity_id: IdPath, caller: CurrentMember, session: ReadSession) -> MyRsvp:
    """The signed-in member's answer, and their leave request's status if they asked."""
    mine = await rsvp.mine(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        member_id=caller.member_id,
    )
    return MyRsvp.model_validate(mine, from_attributes=True)


@router.delete(
    "/activities/{activity_id}/rsvp",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*RSVP_REFUSALS, RsvpNotFound),
)
async def withdraw_rsvp(
    activity_id: IdPath, caller: CurrentMember, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Take back one's "I'll come" before the start."""
    await rsvp.withdraw(
        session,
        caller.scope(Permission.ACTIVITIES_MANAGE),
        activity_id,
        member_id=caller.member_id,
        now=runtime.clock.now(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/activities/{activity_id}/rsvp-summary", responses=responses(ActivityNotFound))
async def rsvp_summary(
    activity_id: IdPath, caller: ActivitiesManager, session: ReadSession
) -> RsvpSummary:
    """How the expected members answered: attending, leave requested or approved, no answer."""
    found = await rsvp.counts(session, caller.scope(Permission.ACTIVITIES_MANAGE), activity_id)
    return RsvpSummary.model_validate(found, from_attributes=True)
