"""Demo oversight (issue 13, item 10): a quarter of history for the twelve demo branches and
the workflows a committee acts on, written through the services that write them in use, so
a newcomer's dashboard shows real figures.

- Every branch gets its 支部委员会 (the demo branch has one already), so a 支委会 has
  someone to expect.
- 三会一课 of the previous quarter and of the current one so far (Beijing quarters, relative
  to the seed's ``now``), recorded through the 补录 service (app/activities/backfill.py) with
  attendance (present, late, leave, absent) and minutes: the demo branch, 阳光, 公益基金会
  and 心语 compliant in the current quarter; the others short of the norms in different
  ways; 人民调解协会党支部 hollow (it met last quarter, nothing since). Two upcoming
  activities published through the activities service.
- The root committee designated 综合党委 (app/oversight/comprehensive.py).
- The rating cap: 南京清凉山公益基金会 (4A, under a street committee with no branch or
  instructor, four formal members working there) is over it as the demo people fall; the
  walkthrough test checks it with app/oversight/rating_cap.py.
- Two transfers in progress (app/transfers/service.py), both started by the demo
  secretary: one of the demo branch's members to 鼓楼区公益基金会党支部 (湖南路街道),
  approved by the branch and waiting on 湖南路街道社会组织工委's step, which the demo
  committee admin may decide; one out of the system, waiting on the demo branch.
- The 六有 checklist of five branches (app/venue/service.py), and the demo branch nominated
  双强党支部 of this year (app/honours/service.py), waiting for the committee's decision.

The roster ledger needs nothing here: the members' service wrote every addition."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activities import backfill
from app.activities import service as activities_service
from app.activities.schemas import ActivityBackfill, ActivityCreate, BackfillEntry, BackfillState
from app.auth.permissions import Permission
from app.auth.scope import Principal, Scope
from app.config import Settings
from app.groups import service as groups_service
from app.groups.schemas import CommitteeReplace, SeatAssignment
from app.honours import service as honours_service
from app.honours.schemas import NominationCreate
from app.kit.crypto import FieldCipher
from app.kit.time import DISPLAY_ZONE
from app.minutes.schemas import MinutesWrite
from app.models import (
    ActivityType,
    CommitteePost,
    HonourKind,
    Member,
    Organization,
    PartyGroup,
    PartyStatus,
    Role,
    RoleAssignment,
    TransferAction,
    TransferStep,
    VenueItem,
)
from app.oversight import comprehensive
from app.oversight.periods import Period, quarter_of
from app.transfers import service as transfers_service
from app.transfers.schemas import TransferFields
from app.venue import service as venue_service

SEED = 20261203
EVERYWHERE = Scope(everywhere=True)
DEMO_BRANCH = 2  # the demo secretary's (app/seed/demo.py SECRETARY_BRANCH)
HOLLOW_BRANCH = 11  # 鼓楼区人民调解协会党支部
IN_BRANCH = 5  # 鼓楼区公益基金会党支部, under 湖南路街道社会组织工委

GM, BC, PL, TD, PG = (
    ActivityType.BRANCH_GENERAL_MEETING,
    ActivityType.BRANCH_COMMITTEE,
    ActivityType.PARTY_LECTURE,
    ActivityType.THEMED_PARTY_DAY,
    ActivityType.PARTY_GROUP,
)


@dataclass(frozen=True)
class Held:
    """How many of each meeting a branch held in a quarter (党小组会 only where it has a
    party group)."""

    general: int = 1
    committee: int = 3
    lecture: int = 1
    themed: int = 3
    group: int = 0

    def counts(self) -> dict[ActivityType, int]:
        return {
            GM: self.general,
            BC: self.committee,
            PL: self.lecture,
            TD: self.themed,
            PG: self.group,
        }


FULL = Held()
NOTHING = Held(0, 0, 0, 0)
# Per branch (demo.py's BRANCHES order): (previous quarter, current quarter so far, the
# share of expected members present). The norms (docs/mission.md): 1, 3, 1, 3 a quarter.
HISTORY: dict[int, tuple[Held, Held, float]] = {
    0: (FULL, FULL, 0.9),
    1: (FULL, Held(lecture=0, themed=2), 0.8),  # no 党课 yet
    DEMO_BRANCH: (Held(group=3), Held(group=3), 0.88),
    3: (Held(committee=2), Held(committee=1, themed=1), 0.7),
    4: (FULL, Held(committee=2, themed=2), 0.75),  # the 联合党支部
    5: (FULL, FULL, 0.85),
    6: (Held(themed=2), Held(general=0, committee=2), 0.7),
    7: (Held(0, 1, 0, 1), Held(0, 1, 0, 1), 0.55),
    8: (FULL, Held(themed=2), 0.8),
    9: (FULL, FULL, 0.92),
    10: (FULL, Held(committee=2, lecture=0), 0.75),
    HOLLOW_BRANCH: (Held(1, 1, 0, 1), NOTHING, 0.6),
}
# Each type's usual hours (Beijing) and length.
HOURS: dict[ActivityType, tuple[time, timedelta]] = {
    GM: (time(14, 30), timedelta(hours=2)),
    BC: (time(9, 30), timedelta(hours=1, minutes=30)),
    PL: (time(14, 30), timedelta(hours=2)),
    TD: (time(9, 0), timedelta(hours=3)),
    PG: (time(19, 0), timedelta(hours=1)),
}
TOPICS: dict[ActivityType, tuple[str, ...]] = {
    GM: (
        "传达学习上级党组织会议精神",
        "讨论发展党员和预备党员转正",
        "通报支部工作并部署下阶段任务",
    ),
    BC: (
        "研究本月党建工作安排",
        "研究党员教育管理和党费收缴",
        "研究入党积极分子培养考察",
        "研究主题党日活动方案",
    ),
    PL: ("书记讲党课：社会组织党建与业务融合发展", "专题党课：发挥党员先锋模范作用"),
    TD: ("重温入党誓词", "走进社区开展志愿服务", "参观雨花台烈士纪念馆", "学习身边的优秀党员"),
    PG: ("学习党章和党内法规", "交流学习体会和工作情况", "党小组谈心谈话"),
}
TYPE_NAMES = {GM: "支部党员大会", BC: "支部委员会", PL: "党课", TD: "主题党日", PG: "党小组会"}
LEAVE_REASONS = ("外出参加项目督导", "家中老人住院陪护", "单位值班", "身体不适")
BACKFILL_REASON = "会议当时以纸质签到，会后据签到表补录"


Roles = dict[int, list[tuple[Role, int | None]]]


def _principal(roles: Roles, member: Member) -> Principal:
    """The demo login signed in: its account with the roles it holds."""
    assert member.account_id is not None
    return Principal(
        account_id=member.account_id, member_id=member.id, roles=tuple(roles.get(member.id, []))
    )


def _slots(period: Period, latest: datetime, kind: ActivityType, n: int) -> list[datetime]:
    """``n`` starts of ``kind`` spread over the period's days up to ``latest`` (the last
    moment such a meeting may end), at the type's usual hour where that day allows it."""
    at, length = HOURS[kind]
    first = period.since
    span = latest - length - first
    if n == 0 or span <= timedelta(0):
        return []
    starts = []
    for k in range(n):
        target = first + span * ((k + 0.5) / n)
        day = target.astimezone(DISPLAY_ZONE).date()
        usual = datetime.combine(day, at, DISPLAY_ZONE).astimezone(UTC)
        if usual + length > latest:
            usual = datetime.combine(day - timedelta(days=1), at, DISPLAY_ZONE).astimezone(UTC)
        starts.append(usual if usual >= first else target)
    return starts


def _minutes(kind: ActivityType, topic: str, branch: Organization, came: int) -> MinutesWrite:
    content = (
        f"{branch.name}召开{TYPE_NAMES[kind]}，应到与实到人数见签到记录，实到{came}人。\n"
        f"会议主题：{topic}。\n"
        "会议首先集体学习了上级党组织近期文件精神，与会党员结合本职工作交流了学习体会，"
        "并对支部下一阶段工作提出了意见建议。"
    )
    decisions = None
    if kind in (GM, BC):
        decisions = "1. 按计划推进本季度“三会一课”；\n2. 做好党员教育管理和党费收缴工作。"
    return MinutesWrite(content=content, decisions=decisions)


class _History:
    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        rng: random.Random,
        now: datetime,
    ) -> None:
        self.session, self.settings, self.rng, self.now = session, settings, rng, now
        self.window = timedelta(minutes=settings.checkin_closes_minutes_after)

    async def record(
        self,
        recorder: Principal,
        branch: Organization,
        kind: ActivityType,
        starts_at: datetime,
        presence: float,
        host: Member,
        group_id: int | None,
    ) -> None:
        _, length = HOURS[kind]
        ends_at = starts_at + length
        expected = await activities_service.default_expected(self.session, branch, kind, group_id)
        entries: list[BackfillEntry] = []
        for member_id in expected:
            roll = self.rng.random()
            if roll < presence:
                state = BackfillState.LATE if self.rng.random() < 0.06 else BackfillState.PRESENT
                entries.append(BackfillEntry(member_id=member_id, state=state))
            elif roll < presence + (1 - presence) / 2:
                reason = self.rng.choice(LEAVE_REASONS)
                entries.append(
                    BackfillEntry(member_id=member_id, state=BackfillState.LEAVE, reason=reason)
                )
            else:
                entries.append(BackfillEntry(member_id=member_id, state=BackfillState.ABSENT))
        if entries and not any(e.state is BackfillState.PRESENT for e in entries):
            entries[0] = BackfillEntry(member_id=entries[0].member_id, state=BackfillState.PRESENT)
        came = sum(e.state in (BackfillState.PRESENT, BackfillState.LATE) for e in entries)
        month = starts_at.astimezone(DISPLAY_ZONE).month
        topic = self.rng.choice(TOPICS[kind])
        # The minutes of every meeting but one 主题党日 in three (kept on paper).
        minutes = (
            None if kind is TD and self.rng.random() < 0.34 else _minutes(kind, topic, branch, came)
        )
        if came == 0 and minutes is None:
            minutes = _minutes(kind, topic, branch, came)
        body = ActivityBackfill(
            org_id=branch.id,
            type=kind,
            title=f"{month}月{TYPE_NAMES[kind]}：{topic}",
            starts_at=starts_at,
            ends_at=ends_at,
            venue_name="支部党员活动室",
            host_member_id=host.id,
            lecturer_member_id=host.id if kind is PL else None,
            party_group_id=group_id,
            reason=BACKFILL_REASON,
            attendance=entries,
            minutes=minutes,
        )
        # Recorded the day after, or now if that is still to come.
        recorded_at = min(ends_at + self.window + timedelta(hours=20), self.now)
        await backfill.record(
            self.session,
            recorder.scope(Permission.ACTIVITIES_MANAGE),
            recorder.scope(Permission.MEMBERS_READ),
            body,
            account_id=recorder.account_id,
            request_id=None,
            settings=self.settings,
            now=recorded_at,
        )


async def _committees(
    session: AsyncSession,
    branches: list[Organization],
    secretaries: Mapping[int, Member],
    now: datetime,
) -> None:
    """A 支部委员会 for every branch that has none: its secretary 书记, the first two other
    party members of the branch 组织委员 and 宣传委员."""
    for branch in branches:
        if await groups_service.committee_member_ids(session, branch.id):
            continue
        secretary = secretaries[branch.id]
        others = list(
            await session.scalars(
                select(Member.id)
                .where(
                    groups_service.in_branch(branch.id),
                    Member.is_lost_contact.is_(False),
                    Member.id != secretary.id,
                    Member.party_status == PartyStatus.FULL_MEMBER,
                )
                .order_by(Member.id)
                .limit(2)
            )
        )
        posts = (CommitteePost.ORGANIZATION, CommitteePost.PROPAGANDA)
        seats = [SeatAssignment(member_id=secretary.id, post=CommitteePost.SECRETARY)]
        seats += [SeatAssignment(member_id=m, post=p) for m, p in zip(others, posts, strict=False)]
        await groups_service.replace_committee(
            session, EVERYWHERE, branch.id, CommitteeReplace(seats=seats), now=now
        )


async def _roles(session: AsyncSession, members: list[Member]) -> Roles:
    found: Roles = {}
    rows = await session.execute(
        select(RoleAssignment.member_id, RoleAssignment.role, RoleAssignment.org_id).where(
            RoleAssignment.member_id.in_([m.id for m in members])
        )
    )
    for member_id, role, org_id in rows:
        found.setdefault(member_id, []).append((role, org_id))
    return found


def _periods(now: datetime) -> tuple[Period, Period]:
    current = quarter_of(now.astimezone(DISPLAY_ZONE).date())
    return quarter_of(current.first - timedelta(days=1)), current


def founded(now: datetime) -> datetime:
    """When the demo's organizations are entered: a month before the previous quarter, so
    that quarter's figures count its branches (a branch counts in the periods that end
    after it was entered)."""
    previous, _ = _periods(now)
    return previous.since - timedelta(days=30)


async def _transfer_candidates(
    session: AsyncSession, branch: Organization, staff: Mapping[str, Member]
) -> list[Member]:
    """Party members of the branch, newest first, the demo logins apart: the last ones
    entered, on no committee seat or party group the demo relies on."""
    staff_ids = [member.id for member in staff.values()]
    return list(
        await session.scalars(
            select(Member)
            .where(
                groups_service.in_branch(branch.id),
                Member.id.not_in(staff_ids),
                Member.is_lost_contact.is_(False),
                Member.party_status.in_([PartyStatus.FULL_MEMBER, PartyStatus.PROBATIONARY]),
            )
            .order_by(Member.id.desc())
            .limit(2)
        )
    )


async def seed_oversight(
    session: AsyncSession,
    settings: Settings,
    cipher: FieldCipher,
    party: Mapping[str | int, Organization],
    staff: Mapping[str, Member],
    secretaries: list[Member],
    now: datetime,
) -> None:
    """``party``: the demo's party organizations by key (app/seed/demo.py); ``staff``: the
    demo logins' members with their accounts; ``secretaries``: each branch's secretary, in
    the branches' order."""
    rng = random.Random(SEED)
    branches = [party[i] for i in range(len(HISTORY))]
    secretary_of = {branch.id: s for branch, s in zip(branches, secretaries, strict=True)}
    await _committees(session, branches, secretary_of, now)
    roles = await _roles(session, [staff["committee_admin"], staff["secretary"]])
    committee = _principal(roles, staff["committee_admin"])
    secretary = _principal(roles, staff["secretary"])
    group_id = await session.scalar(
        select(PartyGroup.id).where(PartyGroup.org_id == branches[DEMO_BRANCH].id)
    )

    # 三会一课: the previous quarter whole, the current one up to now (each meeting ended
    # and its check-in window closed an hour before now).
    history = _History(session, settings, rng, now)
    previous, current = _periods(now)
    latest_now = now - history.window - timedelta(hours=1)
    for index, branch in enumerate(branches):
        recorder = secretary if index == DEMO_BRANCH else committee
        before, so_far, presence = HISTORY[index]
        for period, held, latest in (
            (previous, before, previous.until - timedelta(hours=4)),
            (current, so_far, latest_now),
        ):
            for kind, n in held.counts().items():
                group = group_id if kind is PG else None
                if kind is PG and group is None:
                    continue
                for starts_at in _slots(period, latest, kind, n):
                    await history.record(
                        recorder, branch, kind, starts_at, presence, secretary_of[branch.id], group
                    )

    # Upcoming, published as a secretary publishes: the demo branch's 主题党日 next week and
    # the 公益基金会 branch's 党课.
    for recorder, branch, kind, title, days in (
        (secretary, branches[DEMO_BRANCH], TD, "主题党日：社区志愿服务进楼栋", 5),
        (committee, branches[IN_BRANCH], PL, "专题党课：社会组织党建工作实务", 9),
    ):
        at, length = HOURS[kind]
        day = (now + timedelta(days=days)).astimezone(DISPLAY_ZONE).date()
        starts_at = datetime.combine(day, at, DISPLAY_ZONE).astimezone(UTC)
        host = secretary_of[branch.id]
        created = await activities_service.create(
            session,
            recorder.scope(Permission.ACTIVITIES_MANAGE),
            recorder.scope(Permission.MEMBERS_READ),
            ActivityCreate(
                org_id=branch.id,
                type=kind,
                title=title,
                starts_at=starts_at,
                ends_at=starts_at + length,
                venue_name="支部党员活动室",
                host_member_id=host.id,
                lecturer_member_id=host.id if kind is PL else None,
            ),
            account_id=recorder.account_id,
            now=now - timedelta(days=1),
        )
        await activities_service.publish(
            session,
            recorder.scope(Permission.ACTIVITIES_MANAGE),
            created.id,
            now=now - timedelta(days=1),
            reminder_minutes=settings.activity_reminder_minutes_before,
        )

    # 综合党委: the root committee, so a 托底 organization outside it is a contradiction.
    await comprehensive.designate(
        session,
        committee.scope(Permission.OVERSIGHT_MANAGE),
        party["root"].id,
        account_id=committee.account_id,
        now=now - timedelta(days=20),
    )

    # Transfers, both started by the demo secretary for members of the demo branch.
    moving, leaving = await _transfer_candidates(session, branches[DEMO_BRANCH], staff)
    today = now.astimezone(DISPLAY_ZONE).date()
    internal = await transfers_service.create(
        session,
        secretary,
        TransferFields(to_org_id=branches[IN_BRANCH].id, reason="工作调动至南京鼓楼慈善基金会"),
        member_id=moving.id,
        for_self=False,
        now=now - timedelta(days=2, hours=3),
    )
    await transfers_service.decide(
        session,
        settings,
        cipher,
        secretary,
        internal.id,
        TransferStep.OUT_BRANCH,
        TransferAction.APPROVED,
        reason=None,
        request_id=None,
        today=today,
        now=now - timedelta(days=1, hours=20),
    )
    assert internal.step is TransferStep.COMMITTEE  # 宁海路 → 湖南路: the committee's step
    await transfers_service.create(
        session,
        secretary,
        TransferFields(
            to_outside_name="中共上海市徐汇区社会组织综合委员会",
            letter_number=f"鼓社组转〔{today.year}〕第017号",
            reason="随配偶迁居上海，到新单位工作",
        ),
        member_id=leaving.id,
        for_self=False,
        now=now - timedelta(hours=30),
    )

    # 六有: the compliant branches' venues all met, one short of two items.
    for index, missing in (
        (0, ()),
        (DEMO_BRANCH, ()),
        (5, ()),
        (9, ()),
        (3, (VenueItem.READING, VenueItem.RULES)),
    ):
        checker = secretary if index == DEMO_BRANCH else committee
        org = await venue_service.venue_org(
            session, checker.scope(Permission.VENUE_WRITE), branches[index].id
        )
        for item in VenueItem:
            met = item not in missing
            await venue_service.check_item(
                session,
                org,
                item,
                met=met,
                note=VENUE_NOTES[item] if met else VENUE_LACKING[item],
                account_id=checker.account_id,
                now=now - timedelta(days=10 - index),
            )

    # 双强党支部: the demo branch nominated by its secretary, for the committee to decide.
    await honours_service.nominate(
        session,
        secretary.scope(Permission.HONOURS_NOMINATE),
        NominationCreate(
            kind=HonourKind.DOUBLE_STRONG_BRANCH,
            year=today.year,
            org_id=branches[DEMO_BRANCH].id,
            reason="支部“三会一课”按时规范开展，党员参加组织生活积极；组织党员骨干带头开展"
            "社区志愿服务，党建与业务融合推进成效明显。",
        ),
        account_id=secretary.account_id,
        now=now - timedelta(days=3),
    )


VENUE_NOTES: dict[VenueItem, str] = {
    VenueItem.SITE: "与机构共用会议室，约40平方米，挂牌“党员活动室”",
    VenueItem.FACILITIES: "桌椅、投影仪、音响齐全",
    VenueItem.SIGNAGE: "门口悬挂党组织标牌",
    VenueItem.PARTY_FLAG: "党旗一面，入党誓词上墙",
    VenueItem.READING: "党报党刊两种，党建书籍三十余册",
    VenueItem.RULES: "“三会一课”等制度上墙",
}
VENUE_LACKING: dict[VenueItem, str] = {
    VenueItem.SITE: "暂无固定活动场所",
    VenueItem.FACILITIES: "缺少投影设备",
    VenueItem.SIGNAGE: "标牌尚未制作",
    VenueItem.PARTY_FLAG: "党旗待配发",
    VenueItem.READING: "党报党刊尚未订阅",
    VenueItem.RULES: "制度尚未上墙",
}
