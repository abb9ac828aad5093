"""The party-building section of a social organization's annual report (年度报告 党建部分),
computed from the data at each request, and the notes people write about it.

Every figure is read through the oversight and study definitions, never restated here:

- members: ``headcount.counted`` for the organization at the year's end (today while the year
  is under way) and the roster ledger's rows of the year;
- party organization: ``coverage.covered`` at the same day, its parent branch and who holds
  the secretary role there, the instructors on the organization itself;
- activities: ``compliance.rows`` of its parent branch over the year (held, expected from
  the norms, attendance rate);
- study: the app/study rule (``study_daily`` for self-study, ``in_person`` for 集中学习
  sessions) over the party members working there at that day.

Each is one statement; a report is a handful of statements, whatever the data's size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Subquery, and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.annual.errors import NotesStale, NotSocialOrg, YearBeforeEntry, YearOutOfRange
from app.annual.schemas import (
    ActivitiesSection,
    AnnualReportRead,
    MembersSection,
    NotesRead,
    NotesWrite,
    PartyOrganizationSection,
    PersonRead,
    StudySection,
)
from app.attendance.sheet import TYPE_NAMES
from app.auth.scope import Scope
from app.kit import sheet
from app.kit.time import DISPLAY_ZONE
from app.kit.xlsx import CellValue
from app.models import (
    Activity,
    ActivityType,
    AnnualReportNotes,
    Attendance,
    Member,
    NormType,
    Organization,
    OrgClosure,
    OrgKind,
    Role,
    RoleAssignment,
    RosterChange,
    RosterChangeKind,
    StudyDaily,
)
from app.orgs import service as orgs_service
from app.oversight import compliance, headcount
from app.oversight import coverage as coverage_figures
from app.oversight.coverage import end_of_day
from app.oversight.definitions import (
    COVERAGE_LABELS,
    PARTY_ORGANIZATION_COVERAGES,
    PARTY_STATUSES,
    RELATION_PARENT_KINDS,
    Coverage,
    party_member,
    transfer_in_rate,
)
from app.oversight.norms import NORM_LABELS
from app.oversight.periods import FIRST_YEAR, Period, parse
from app.study.figures import minutes
from app.study.in_person import counts_as_session, credited_seconds_sql

# --- what is reported on -------------------------------------------------------------------


async def social_org_in_scope(session: AsyncSession, scope: Scope, org_id: int) -> Organization:
    """The organization in ``scope`` (else 404 ``org.not_found``), a social organization
    (else 422 ``annual.not_social_org``)."""
    org = await orgs_service.get_in_scope(session, scope, org_id)
    if org.kind is not OrgKind.SOCIAL_ORG:
        raise NotSocialOrg(details={"kind": org.kind.value})
    return org


def year_period(year: int, today: date) -> Period:
    """The year as a period of Beijing days, 2000 to this year (else 422
    ``annual.year_out_of_range``)."""
    found = parse(f"{year:04d}") if FIRST_YEAR <= year <= today.year else None
    if found is None:
        raise YearOutOfRange(details={"first_year": FIRST_YEAR, "last_year": today.year})
    return found


# --- the figures ---------------------------------------------------------------------------


async def _members(
    session: AsyncSession, org: Organization, parent: Organization, year: Period, as_of: date
) -> MembersSection:
    rows = headcount.counted(org.id, as_of)
    found = (await session.execute(select(rows).where(rows.c.org_id == org.id))).one_or_none()
    if found is None:  # entered after the year's end: counted() lists it from its entry on
        entered = org.created_at.astimezone(DISPLAY_ZONE).date()
        raise YearBeforeEntry(details={"entered_on": entered.isoformat()})
    # The ledger counts a member where their relation lies, else their workplace: the rows
    # of this organization, and those of its parent branch of the members working here.
    places = [RosterChange.org_id == org.id]
    if parent.kind in RELATION_PARENT_KINDS:
        places.append(and_(RosterChange.org_id == parent.id, Member.workplace_org_id == org.id))
    counted = (
        await session.execute(
            select(RosterChange.kind, func.count())
            .join(Member, Member.id == RosterChange.member_id)
            .where(
                or_(*places),
                RosterChange.party_status.in_(PARTY_STATUSES),
                RosterChange.occurred_on >= year.first,
                RosterChange.occurred_on <= year.last,
            )
            .group_by(RosterChange.kind)
        )
    ).all()
    per_kind = {RosterChangeKind(kind): int(n) for kind, n in counted}
    changes = {kind: per_kind.get(kind, 0) for kind in RosterChangeKind}
    party, formal, here = (
        int(found.party_members_working),
        int(found.formal_members_working),
        int(found.relation_here),
    )
    return MembersSection(
        as_of=as_of,
        staff_count=found.staff_count,
        party_members_working=party,
        formal_members_working=formal,
        probationary_members_working=party - formal,
        relation_here=here,
        transfer_in_rate=transfer_in_rate(here, party),
        changes=changes,
        added=sum(changes[kind] for kind in headcount.ADDITIONS),
        removed=sum(changes[kind] for kind in headcount.REMOVALS),
    )


async def _people(session: AsyncSession, org_id: int, role: Role, before: datetime) -> list[Any]:
    found = await session.execute(
        select(Member.id, Member.name)
        .join(RoleAssignment, RoleAssignment.member_id == Member.id)
        .where(
            RoleAssignment.org_id == org_id,
            RoleAssignment.role == role,
            RoleAssignment.created_at < before,
            Member.current(),
        )
        .order_by(Member.id)
    )
    return [PersonRead(member_id=row[0], name=row[1]) for row in found.all()]


async def _party_organization(
    session: AsyncSession, org: Organization, parent: Organization, as_of: date
) -> PartyOrganizationSection:
    rows = coverage_figures.covered(org.id, as_of)
    found = (await session.execute(select(rows.c.coverage).where(rows.c.org_id == org.id))).one()
    kind = Coverage(found[0])
    has_branch = kind in PARTY_ORGANIZATION_COVERAGES
    until = end_of_day(as_of)
    return PartyOrganizationSection(
        coverage=kind,
        coverage_label=COVERAGE_LABELS[kind],
        branch_id=parent.id if has_branch else None,
        branch_name=parent.name if has_branch else None,
        branch_kind=parent.kind if has_branch else None,
        secretaries=await _people(session, parent.id, Role.SECRETARY, until) if has_branch else [],
        instructors=await _people(session, org.id, Role.INSTRUCTOR, until),
    )


async def _activities(
    session: AsyncSession, branch: Organization, year: Period, now: datetime
) -> ActivitiesSection | None:
    figures = compliance.rows(branch.id, year, now)
    found = next(
        (
            figure
            for figure in await compliance.every_branch(session, figures, None)
            if figure.org_id == branch.id
        ),
        None,
    )
    if found is None:  # the branch was entered after the year ended
        return None
    return ActivitiesSection(
        branch_id=branch.id,
        branch_name=branch.name,
        shared=branch.kind is OrgKind.JOINT_BRANCH,
        held={ActivityType(kind): n for kind, n in found.held.items()},
        expected={NormType(kind): n for kind, n in found.expected.items()},
        held_total=sum(found.held.values()),
        compliant=found.compliant,
        hollow=found.hollow,
        last_held_on=found.last_held_on,
        attendance_rate=found.attendance_rate,
    )


def _study_per_member(workers: ColumnElement[bool], year: Period, as_of: date) -> Subquery:
    """Per party member working where ``workers`` says, on the roster at the end of
    ``as_of``: member_id, org_id (the workplace), self_seconds, in_person_seconds and
    total_seconds of the year, as the study figures count them (app/study/figures.py)."""
    working = (
        select(Member.id.label("member_id"), Member.workplace_org_id.label("org_id"))
        .where(workers, party_member(as_of))
        .subquery("working")
    )
    ids = select(working.c.member_id)
    self_study = (
        select(StudyDaily.member_id, func.sum(StudyDaily.seconds).label("seconds"))
        .where(
            StudyDaily.day >= year.first,
            StudyDaily.day <= year.last,
            StudyDaily.member_id.in_(ids),
        )
        .group_by(StudyDaily.member_id)
        .subquery("self_study")
    )
    in_person = (
        select(Attendance.member_id, func.sum(credited_seconds_sql()).label("seconds"))
        .join(Activity, Activity.id == Attendance.activity_id)
        .where(
            counts_as_session(),
            Activity.starts_at >= year.since,
            Activity.starts_at < year.until,
            Attendance.member_id.in_(ids),
        )
        .group_by(Attendance.member_id)
        .subquery("in_person")
    )
    own = func.coalesce(self_study.c.seconds, 0)
    session_seconds = func.coalesce(in_person.c.seconds, 0)
    return (
        select(
            working.c.member_id,
            working.c.org_id,
            own.label("self_seconds"),
            session_seconds.label("in_person_seconds"),
            (own + session_seconds).label("total_seconds"),
        )
        .outerjoin(self_study, self_study.c.member_id == working.c.member_id)
        .outerjoin(in_person, in_person.c.member_id == working.c.member_id)
        .subquery("per_member")
    )


async def _study(
    session: AsyncSession, org: Organization, year: Period, as_of: date
) -> StudySection:
    per_member = _study_per_member(Member.workplace_org_id == org.id, year, as_of)
    found = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(per_member.c.total_seconds > 0),
                func.coalesce(func.sum(per_member.c.self_seconds), 0),
                func.coalesce(func.sum(per_member.c.in_person_seconds), 0),
            )
        )
    ).one()
    members, studying, self_seconds, session_total = (int(value or 0) for value in found)
    total = self_seconds + session_total
    return StudySection(
        members=members,
        studying_members=studying,
        self_study_seconds=self_seconds,
        in_person_seconds=session_total,
        total_seconds=total,
        total_minutes=minutes(total),
        average_minutes=minutes(round(total / members)) if members else None,
    )


# --- the notes -----------------------------------------------------------------------------


def _notes_read(row: Row[AnnualReportNotes, str] | None) -> NotesRead:
    if row is None:
        return NotesRead(
            highlights=None,
            problems=None,
            plans=None,
            version=0,
            updated_at=None,
            updated_by_account_id=None,
            updated_by_name=None,
        )
    notes: AnnualReportNotes = row[0]
    return NotesRead(
        highlights=notes.highlights,
        problems=notes.problems,
        plans=notes.plans,
        version=notes.version,
        updated_at=notes.updated_at,
        updated_by_account_id=notes.updated_by_account_id,
        updated_by_name=row[1],
    )


async def notes(session: AsyncSession, org_id: int, year: int) -> NotesRead:
    editor = aliased(Member)
    found = (
        await session.execute(
            select(AnnualReportNotes, editor.name)
            .outerjoin(editor, editor.account_id == AnnualReportNotes.updated_by_account_id)
            .where(AnnualReportNotes.org_id == org_id, AnnualReportNotes.year == year)
        )
    ).one_or_none()
    return _notes_read(found)


def _text(value: str | None) -> str | None:
    return value or None  # an empty section is no section


async def _current_version(session: AsyncSession, org_id: int, year: int) -> int:
    found = await session.scalar(
        select(AnnualReportNotes.version).where(
            AnnualReportNotes.org_id == org_id, AnnualReportNotes.year == year
        )
    )
    return found or 0


async def save_notes(
    session: AsyncSession,
    org: Organization,
    year: int,
    body: NotesWrite,
    *,
    account_id: int,
    now: datetime,
) -> NotesRead:
    """Replace the year's notes if nobody saved them since ``body.version`` (optimistic
    concurrency: the conditional UPDATE, or for the first save the primary key, decides
    between two saves at once; the other is 409 ``annual.notes_stale``)."""
    values = {
        "highlights": _text(body.highlights),
        "problems": _text(body.problems),
        "plans": _text(body.plans),
        "updated_by_account_id": account_id,
        "updated_at": now,
    }
    if body.version == 0:
        try:
            async with session.begin_nested():
                session.add(
                    AnnualReportNotes(org_id=org.id, year=year, version=1, created_at=now, **values)
                )
        except IntegrityError as exc:  # saved first by someone else
            current = await _current_version(session, org.id, year)
            raise NotesStale(details={"current_version": current}) from exc
    else:
        saved = await session.execute(
            update(AnnualReportNotes)
            .where(
                AnnualReportNotes.org_id == org.id,
                AnnualReportNotes.year == year,
                AnnualReportNotes.version == body.version,
            )
            .values(version=AnnualReportNotes.version + 1, **values)
        )
        if saved.rowcount != 1:  # type: ignore[attr-defined]
            current = await _current_version(session, org.id, year)
            raise NotesStale(details={"current_version": current})
    return await notes(session, org.id, year)


# --- the report ----------------------------------------------------------------------------


async def report(
    session: AsyncSession, org: Organization, year: Period, *, now: datetime, today: date
) -> AnnualReportRead:
    as_of = min(year.last, today)
    parent = await session.get_one(Organization, org.parent_id)
    members = await _members(session, org, parent, year, as_of)
    party_organization = await _party_organization(session, org, parent, as_of)
    has_branch = party_organization.coverage in PARTY_ORGANIZATION_COVERAGES
    return AnnualReportRead(
        org_id=org.id,
        name=org.name,
        credit_code=org.credit_code,
        year=year.first.year,
        complete=year.last < today,
        generated_at=now,
        members=members,
        party_organization=party_organization,
        activities=await _activities(session, parent, year, now) if has_branch else None,
        study=await _study(session, org, year, as_of),
        notes=await notes(session, org.id, year.first.year),
    )


# --- the subtree's organizations -----------------------------------------------------------


@dataclass(frozen=True)
class OrgLine:
    org_id: int
    name: str
    credit_code: str | None
    coverage: Coverage
    branch_id: int | None
    branch_name: str | None
    party_members_working: int
    formal_members_working: int
    relation_here: int
    held_total: int | None
    compliant: bool | None
    hollow: bool | None
    study_seconds: int
    notes_version: int
    notes_updated_at: datetime | None

    @property
    def transfer_in_rate(self) -> float | None:
        return transfer_in_rate(self.relation_here, self.party_members_working)

    @property
    def study_minutes(self) -> float:
        return minutes(self.study_seconds)


async def org_page(
    session: AsyncSession,
    root_id: int,
    year: Period,
    *,
    now: datetime,
    today: date,
    after: int | None,
    limit: int,
) -> list[OrgLine]:
    """The key numbers of the report of every social organization of ``root_id``'s subtree
    entered by the end of the year (as ``report``), by id, in one statement: head counts
    (``headcount.counted``), coverage (``coverage.covered``), the parent branch's held
    activities (``compliance.rows`` of the subtree: only a branch inside it), the study
    seconds of the party members working there, and the notes' version."""
    as_of = min(year.last, today)
    counted = headcount.counted(root_id, as_of)
    covered = coverage_figures.covered(root_id, as_of)
    branches = compliance.rows(root_id, year, now)
    subtree = aliased(OrgClosure)
    per_member = _study_per_member(
        Member.workplace_org_id.in_(
            select(subtree.descendant_id).where(subtree.ancestor_id == root_id)
        ),
        year,
        as_of,
    )
    study = (
        select(per_member.c.org_id, func.sum(per_member.c.total_seconds).label("seconds"))
        .group_by(per_member.c.org_id)
        .subquery("study")
    )
    has_branch = covered.c.coverage.in_([kind.value for kind in PARTY_ORGANIZATION_COVERAGES])
    query = (
        select(
            counted.c.org_id,
            counted.c.name,
            counted.c.credit_code,
            covered.c.coverage,
            case((has_branch, covered.c.parent_id)).label("branch_id"),
            case((has_branch, covered.c.parent_name)).label("branch_name"),
            counted.c.party_members_working,
            counted.c.formal_members_working,
            counted.c.relation_here,
            branches.c.held_total,
            branches.c.compliant,
            branches.c.hollow,
            func.coalesce(study.c.seconds, 0).label("study_seconds"),
            func.coalesce(AnnualReportNotes.version, 0).label("notes_version"),
            AnnualReportNotes.updated_at.label("notes_updated_at"),
        )
        .join(covered, covered.c.org_id == counted.c.org_id)
        .outerjoin(branches, and_(has_branch, branches.c.branch_id == covered.c.parent_id))
        .outerjoin(study, study.c.org_id == counted.c.org_id)
        .outerjoin(
            AnnualReportNotes,
            and_(
                AnnualReportNotes.org_id == counted.c.org_id,
                AnnualReportNotes.year == year.first.year,
            ),
        )
        .order_by(counted.c.org_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(counted.c.org_id > after)
    return [
        OrgLine(
            org_id=row.org_id,
            name=row.name,
            credit_code=row.credit_code,
            coverage=Coverage(row.coverage),
            branch_id=row.branch_id,
            branch_name=row.branch_name,
            party_members_working=int(row.party_members_working),
            formal_members_working=int(row.formal_members_working),
            relation_here=int(row.relation_here),
            held_total=None if row.held_total is None else int(row.held_total),
            compliant=None if row.compliant is None else bool(row.compliant),
            hollow=None if row.hollow is None else bool(row.hollow),
            study_seconds=int(row.study_seconds),
            notes_version=int(row.notes_version),
            notes_updated_at=row.notes_updated_at,
        )
        for row in (await session.execute(query)).all()
    ]


# --- the sheet -----------------------------------------------------------------------------

HEADINGS = ("板块", "项目", "数值", "说明")
WIDTHS = (12, 30, 16, 60)
NOTE_LABELS = (("highlights", "工作亮点"), ("problems", "存在问题"), ("plans", "下一步计划"))
OTHER_TYPES = [kind for kind in ActivityType if kind.value not in {n.value for n in NormType}]


@dataclass(frozen=True)
class _Line:
    section: str
    item: str
    value: CellValue
    note: str | None = None


def _member_lines(found: MembersSection) -> list[_Line]:
    section = "党员情况"
    lines = [
        _Line(section, "从业人员数", found.staff_count, "社会组织填报的人数；空为未填报"),
        _Line(section, "在此工作的党员", found.party_members_working, f"截至 {found.as_of}"),
        _Line(section, "其中正式党员", found.formal_members_working),
        _Line(section, "其中预备党员", found.probationary_members_working),
        _Line(section, "组织关系在此的党员", found.relation_here, "组织关系在上级党支部"),
        _Line(
            section,
            "组织关系转入率",
            headcount.rate_text(found.transfer_in_rate),
            "组织关系在此的党员 ÷ 在此工作的党员",
        ),
    ]
    lines += [
        _Line(section, f"本年增加：{headcount.KIND_LABELS[kind]}", found.changes[kind])
        for kind in headcount.ADDITIONS
    ]
    lines += [
        _Line(section, f"本年减少：{headcount.KIND_LABELS[kind]}", found.changes[kind])
        for kind in headcount.REMOVALS
    ]
    lines += [
        _Line(section, "本年增加合计", found.added),
        _Line(section, "本年减少合计", found.removed),
    ]
    return lines


def _names(people: list[PersonRead]) -> str:
    return "、".join(person.name for person in people) or "无"


def _organization_lines(found: PartyOrganizationSection) -> list[_Line]:
    section = "党组织情况"
    return [
        _Line(section, "党组织覆盖情况", found.coverage_label),
        _Line(section, "所在党组织", found.branch_name or "无"),
        _Line(section, "党组织书记", _names(found.secretaries) if found.branch_id else "无"),
        _Line(section, "党建工作指导员", _names(found.instructors)),
    ]


def _activity_lines(found: ActivitiesSection | None) -> list[_Line]:
    section = "组织生活"
    if found is None:
        return [_Line(section, "开展活动", None, "没有所在党支部，无组织生活记录")]
    shared = "联合党支部的活动，覆盖其下各社会组织" if found.shared else None
    lines = [_Line(section, "开展活动的党组织", found.branch_name, shared)]
    lines += [
        _Line(
            section,
            f"{NORM_LABELS[kind]}（已召开/应召开）",
            f"{found.held[ActivityType(kind.value)]} / {found.expected[kind]}",
            "达到" if found.held[ActivityType(kind.value)] >= found.expected[kind] else "未达到",
        )
        for kind in NormType
    ]
    lines += [
        _Line(section, f"{TYPE_NAMES[kind]}（已召开）", found.held[kind]) for kind in OTHER_TYPES
    ]
    lines += [
        _Line(section, "已召开合计", found.held_total),
        _Line(section, "三会一课是否达标", "达标" if found.compliant else "未达标"),
        _Line(section, "是否空转", "是（本年未开展任何活动）" if found.hollow else "否"),
        _Line(section, "最近一次活动", found.last_held_on),
        _Line(
            section,
            "出席率",
            headcount.rate_text(found.attendance_rate),
            "已召开活动中应到人员的实到（含迟到）÷ 应到",
        ),
    ]
    return lines


def _study_lines(found: StudySection) -> list[_Line]:
    section = "学习情况"
    return [
        _Line(section, "统计党员", found.members, "年末在此工作的党员"),
        _Line(section, "参学人数", found.studying_members),
        _Line(section, "自学时长（分钟）", minutes(found.self_study_seconds)),
        _Line(section, "集中学习时长（分钟）", minutes(found.in_person_seconds)),
        _Line(section, "学习时长合计（分钟）", found.total_minutes),
        _Line(section, "人均学习时长（分钟）", found.average_minutes),
    ]


def _note_lines(found: NotesRead) -> list[_Line]:
    section = "备注"
    lines = [_Line(section, label, getattr(found, name) or "") for name, label in NOTE_LABELS]
    if found.updated_at is not None:
        lines.append(
            _Line(
                section,
                "最后编辑",
                found.updated_by_name or "",
                sheet.local(found.updated_at),
            )
        )
    return lines


def sheet_rows(found: AnnualReportRead) -> list[list[CellValue]]:
    lines = [
        _Line("基本情况", "社会组织", found.name),
        _Line("基本情况", "统一社会信用代码", found.credit_code),
        *_member_lines(found.members),
        *_organization_lines(found.party_organization),
        *_activity_lines(found.activities),
        *_study_lines(found.study),
        *_note_lines(found.notes),
    ]
    return [[line.section, line.item, line.value, line.note] for line in lines]


def filter_lines(found: AnnualReportRead) -> list[str]:
    lines = [
        f"组织：{found.name}",
        f"年度：{found.year}年",
        f"统计日：{found.members.as_of.isoformat()}",
    ]
    if not found.complete:
        lines.append("说明：本年度尚未结束，数据截至今天")
    return lines


FOOTER = (
    "在此工作的党员：工作单位为本组织的正式党员和预备党员，按统计日在册计；组织关系在此：其中组织关系在上级党支部或联合党支部的。",
    "已召开：未取消、结束时间在本年且已过、至少一人签到（含迟到）或已写会议记录的活动；应召开按上级党委的规定，全年为四个季度之和。",
    "学习时长：统计党员本年的自学时长与集中学习（签到至签退，不超过活动时长）时长之和。",
)
