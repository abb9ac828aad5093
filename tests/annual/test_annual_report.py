"""The party-building section of a social organization's annual report: its figures over a
small dataset worked out by hand below, the notes, the sheet, who may read and write.

    甲街道工委 (committee)                     admin 甲管理员
    ├── 甲支部 (branch)                        secretary 书记甲
    │   ├── 甲协会 (social, staff 20)          instructor 指导员甲 on it ← the report
    │   └── 另协会 (social)
    └── 直属中心 (social, parent: committee)    instructor 指导员乙 on it
    乙街道工委 (committee)                     admin 乙管理员
    └── 乙协会 (social)

Today is 8 October 2026 (Beijing); everything was entered on 1 January 2026.

Members working at 甲协会 (party = full + probationary; here = relation at 甲支部):
    A full, relation 甲支部; B full, relation 甲支部; C probationary, relation 甲支部;
    D full, no relation; E activist, relation 甲支部; F full, relation 甲支部, left on
    1 October. H (full, relation 甲支部) works at 另协会; 书记甲's relation is 甲支部 but
    he works nowhere.
    → party 4 (A B C D), formal 3, probationary 1, here 3 (A B C), rate 0.75.

The ledger of 2026 (party members' rows of 甲协会, or of 甲支部 for someone working here):
    joined A B C F on 1 January (D's row is dated 2025; E is an activist; H and 书记甲 do not
    work here); A transferred in on 1 March; F moved away on 1 October
    → joined 4, transferred_in 1: added 5; moved_away 1: removed 1.

甲支部's activities (no party groups; default norms, so a year expects general meeting 4,
branch committee 12, party group 0, party lecture 4, themed party day 12):
    bgm1  10 Mar  A present, A B expected                  held
    bgm2  10 Jun  minutes, nobody present, A B C expected   held
    bc    5 Apr   A present, B late                         held
    pl    5 May   A's check-in rejected                     not held (nothing recorded)
    tpd   1 Jul   cancelled, A present                      not held
    tpd   1 Nov   has not ended                             not held
    tpd   20 Dec 2025                                       another year
    gs    1 Aug   集中学习 90 min; A 60 min in and out, B never checked out   held
    → held bgm 2, bc 1, group study 1 (total 4); not compliant, not hollow, last 1 Aug;
      attendance over the held ones' expected: bgm1 1 of 2, bgm2 0 of 3 → 1/5 = 0.2.

Study of 2026 of A B C D: A self-study 600 s on 1 Feb and 600 s on 1 Mar, 3600 s in person
at gs; B 1200 s on 31 Dec 2025 (another year), 0 in person (no check-out); F 999 s on 1 May
(F has left: not counted) → 4 members, 1 studying, 1200 + 3600 = 4800 s = 80.0 minutes,
20.0 a member.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import event, update
from sqlalchemy.util import await_only

from app.kit.clock import FrozenClock
from app.kit.time import DISPLAY_ZONE
from app.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    Attendance,
    CheckInMethod,
    DepartureReason,
    ExpectedAttendee,
    Member,
    Minutes,
    Organization,
    OrgKind,
    PartyStatus,
    Role,
    RosterChange,
    RosterChangeKind,
    StudyDaily,
)
from app.models.activities import ReviewStatus
from tests.factories import Actor, Factory
from tests.study.task_helpers import add_material

NOW = datetime(2026, 10, 8, 4, 0, tzinfo=UTC)  # 12:00 on 8 October in Beijing
ENTERED = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 1 January 2026, 00:00 in Beijing
V1 = "/api/v1/orgs"
T = ActivityType


def bj(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=DISPLAY_ZONE).astimezone(UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@dataclass
class Scene:
    app: FastAPI
    client: httpx.AsyncClient
    association: Organization
    other_association: Organization
    direct: Organization
    branch: Organization
    other: Organization
    admin: Actor
    secretary: Actor
    instructor: Actor
    other_admin: Actor
    plain: Actor

    def report_url(self, org: Organization | None = None, year: int = 2026) -> str:
        return f"{V1}/{(org or self.association).id}/annual-report/{year}"

    async def report(self, actor: Actor | None = None, **kwargs: Any) -> dict[str, Any]:
        response = await self.client.get(
            self.report_url(**kwargs), headers=(actor or self.admin).headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def save(self, actor: Actor, **body: Any) -> httpx.Response:
        return await self.client.put(f"{self.report_url()}/notes", json=body, headers=actor.headers)


async def _activity(
    session: Any,
    org: Organization,
    kind: ActivityType,
    starts: datetime,
    *,
    minutes: int = 90,
    status: ActivityStatus = ActivityStatus.PUBLISHED,
    present: tuple[tuple[Member, int | None], ...] = (),  # (member, minutes until check-out)
    late: tuple[Member, ...] = (),
    rejected: tuple[Member, ...] = (),
    expected: tuple[Member, ...] = (),
    with_minutes: bool = False,
) -> None:
    activity = Activity(
        org_id=org.id,
        type=kind,
        title=f"{kind.value}-{starts.isoformat()}",
        status=status,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        checkin_secret=os.urandom(32),
        published_at=ENTERED,
        cancelled_at=NOW if status is ActivityStatus.CANCELLED else None,
        created_at=ENTERED,
        updated_at=ENTERED,
    )
    session.add(activity)
    await session.flush()
    for member in expected:
        session.add(ExpectedAttendee(activity_id=activity.id, member_id=member.id))
    rows = [(member, out, False, None) for member, out in present]
    rows += [(member, None, True, None) for member in late]
    rows += [(member, None, False, ReviewStatus.REJECTED) for member in rejected]
    for member, out, is_late, review in rows:
        session.add(
            Attendance(
                activity_id=activity.id,
                member_id=member.id,
                method=CheckInMethod.ROTATING_CODE,
                checked_in_at=starts,
                checked_out_at=None if out is None else starts + timedelta(minutes=out),
                late=is_late,
                review_status=review,
            )
        )
    if with_minutes:
        session.add(
            Minutes(activity_id=activity.id, content="会议记录", created_at=NOW, updated_at=NOW)
        )
    await session.flush()


@pytest.fixture
async def scene(app: FastAPI, client: httpx.AsyncClient, factory: Factory) -> Scene:
    social = OrgKind.SOCIAL_ORG
    street_a = await factory.org(OrgKind.COMMITTEE, "甲街道工委")
    street_b = await factory.org(OrgKind.COMMITTEE, "乙街道工委")
    branch = await factory.org(OrgKind.BRANCH, "甲支部", street_a)
    association = await factory.org(social, "甲协会", branch, staff_count=20)
    other_association = await factory.org(social, "另协会", branch)
    direct = await factory.org(social, "直属中心", street_a)
    other = await factory.org(social, "乙协会", street_b)
    full, probationary = PartyStatus.FULL_MEMBER, PartyStatus.PROBATIONARY
    a = await factory.member(branch, association, name="甲")
    b = await factory.member(branch, association, name="乙")
    c = await factory.member(branch, association, name="丙", party_status=probationary)
    d = await factory.member(None, association, name="丁")
    await factory.member(branch, association, name="戊", party_status=PartyStatus.ACTIVIST)
    f = await factory.member(branch, association, name="己")
    await factory.member(branch, other_association, name="辛")
    admin = await factory.actor(Role.COMMITTEE_ADMIN, street_a)
    secretary = await factory.actor(Role.SECRETARY, branch)
    instructor = await factory.actor(Role.INSTRUCTOR, association)
    await factory.actor(Role.INSTRUCTOR, direct)
    other_admin = await factory.actor(Role.COMMITTEE_ADMIN, street_b)
    plain = await factory.actor(None, None, relation=branch)
    material = await add_material(app, branch)
    async with factory.runtime.sessionmaker.begin() as session:
        for table in (Organization, Member):
            await session.execute(update(table).values(created_at=ENTERED))
        await session.execute(
            update(RosterChange).values(occurred_on=date(2026, 1, 1), recorded_at=ENTERED)
        )
        await session.execute(
            update(RosterChange)
            .where(RosterChange.member_id == d.id)
            .values(occurred_on=date(2025, 6, 1))
        )
        await session.execute(
            update(Member)
            .where(Member.id == f.id)
            .values(
                departed_at=NOW,
                left_on=date(2026, 10, 1),
                departure_reason=DepartureReason.MOVED_AWAY,
            )
        )
        for member, kind, day in (
            (a, RosterChangeKind.TRANSFERRED_IN, date(2026, 3, 1)),
            (f, RosterChangeKind.MOVED_AWAY, date(2026, 10, 1)),
        ):
            session.add(
                RosterChange(
                    member_id=member.id,
                    org_id=branch.id,
                    kind=kind,
                    party_status=full,
                    occurred_on=day,
                    note="台账",
                    source="test",
                    recorded_at=NOW,
                )
            )
        await _activity(
            session, branch, T.BRANCH_GENERAL_MEETING, bj(2026, 3, 10),
            present=((a, None),), expected=(a, b),
        )  # fmt: skip
        await _activity(
            session, branch, T.BRANCH_GENERAL_MEETING, bj(2026, 6, 10),
            with_minutes=True, expected=(a, b, c),
        )  # fmt: skip
        await _activity(
            session, branch, T.BRANCH_COMMITTEE, bj(2026, 4, 5), present=((a, None),), late=(b,)
        )
        await _activity(session, branch, T.PARTY_LECTURE, bj(2026, 5, 5), rejected=(a,))
        await _activity(
            session, branch, T.THEMED_PARTY_DAY, bj(2026, 7, 1),
            status=ActivityStatus.CANCELLED, present=((a, None),),
        )  # fmt: skip
        await _activity(session, branch, T.THEMED_PARTY_DAY, bj(2026, 11, 1))
        await _activity(session, branch, T.THEMED_PARTY_DAY, bj(2025, 12, 20), present=((a, None),))
        await _activity(
            session, branch, T.GROUP_STUDY, bj(2026, 8, 1), present=((a, 60), (b, None))
        )
        for member, day, seconds in (
            (a, date(2026, 2, 1), 600),
            (a, date(2026, 3, 1), 600),
            (b, date(2025, 12, 31), 1200),
            (f, date(2026, 5, 1), 999),
        ):
            session.add(
                StudyDaily(member_id=member.id, day=day, material_id=material, seconds=seconds)
            )
    return Scene(
        app, client, association, other_association, direct, branch, other,
        admin, secretary, instructor, other_admin, plain,
    )  # fmt: skip


async def test_the_section_of_a_year_from_the_data(scene: Scene) -> None:
    body = await scene.report()
    assert body["org_id"] == scene.association.id
    assert (body["name"], body["year"], body["complete"]) == ("甲协会", 2026, False)
    assert body["generated_at"] == "2026-10-08T12:00:00+08:00"
    changes = dict.fromkeys((kind.value for kind in RosterChangeKind), 0) | {
        "joined": 4,
        "transferred_in": 1,
        "moved_away": 1,
    }
    assert body["members"] == {
        "as_of": "2026-10-08",
        "staff_count": 20,
        "party_members_working": 4,
        "formal_members_working": 3,
        "probationary_members_working": 1,
        "relation_here": 3,
        "transfer_in_rate": 0.75,
        "changes": changes,
        "added": 5,
        "removed": 1,
    }
    organization = body["party_organization"]
    assert organization == {
        "coverage": "own_branch",
        "coverage_label": "单独建立党支部",
        "branch_id": scene.branch.id,
        "branch_name": "甲支部",
        "branch_kind": "branch",
        "secretaries": [
            {"member_id": scene.secretary.member.id, "name": scene.secretary.member.name}
        ],
        "instructors": [
            {"member_id": scene.instructor.member.id, "name": scene.instructor.member.name}
        ],
    }
    activities = body["activities"]
    held = dict.fromkeys((kind.value for kind in ActivityType), 0) | {
        "branch_general_meeting": 2,
        "branch_committee": 1,
        "group_study": 1,
    }
    assert activities == {
        "branch_id": scene.branch.id,
        "branch_name": "甲支部",
        "shared": False,
        "held": held,
        "expected": {
            "branch_general_meeting": 4,
            "branch_committee": 12,
            "party_group": 0,
            "party_lecture": 4,
            "themed_party_day": 12,
        },
        "held_total": 4,
        "compliant": False,
        "hollow": False,
        "last_held_on": "2026-08-01",
        "attendance_rate": 0.2,
    }
    assert body["study"] == {
        "members": 4,
        "studying_members": 1,
        "self_study_seconds": 1200,
        "in_person_seconds": 3600,
        "total_seconds": 4800,
        "total_minutes": 80.0,
        "average_minutes": 20.0,
    }
    assert body["notes"] == {
        "highlights": None,
        "problems": None,
        "plans": None,
        "version": 0,
        "updated_at": None,
        "updated_by_account_id": None,
        "updated_by_name": None,
    }


async def test_an_organization_without_a_branch(scene: Scene) -> None:
    body = await scene.report(org=scene.direct)
    assert body["party_organization"]["coverage"] == "instructor_only"
    assert body["party_organization"]["branch_id"] is None
    assert body["party_organization"]["secretaries"] == []
    assert len(body["party_organization"]["instructors"]) == 1
    assert body["activities"] is None
    assert body["members"]["party_members_working"] == 0
    assert body["members"]["transfer_in_rate"] is None
    assert body["study"]["members"] == 0
    assert body["study"]["average_minutes"] is None


async def test_a_past_year_is_counted_at_its_end(scene: Scene, clock: FrozenClock) -> None:
    clock.at = datetime(2027, 2, 1, 4, 0, tzinfo=UTC)
    body = await scene.report(year=2026)
    assert body["complete"] is True
    assert body["members"]["as_of"] == "2026-12-31"
    # F left on 1 October, before the year's end.
    assert body["members"]["party_members_working"] == 4
    # The 1 November themed party day has ended since: held needs attendance or minutes.
    assert body["activities"]["held_total"] == 4


async def code_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]["code"]
    return code


async def test_years_and_kinds_refused(scene: Scene) -> None:
    headers = scene.admin.headers
    for year, code in (
        (2027, "annual.year_out_of_range"),
        (1999, "annual.year_out_of_range"),
        (99999, "annual.year_out_of_range"),
        (2025, "annual.year_before_entry"),
    ):
        response = await scene.client.get(scene.report_url(year=year), headers=headers)
        assert await code_of(response, 422) == code
    out_of_range = await scene.client.get(scene.report_url(year=2027), headers=headers)
    assert out_of_range.json()["error"]["message"] == "年度应在 2000 年至 2026 年之间"
    response = await scene.client.get(scene.report_url(org=scene.branch), headers=headers)
    assert await code_of(response, 422) == "annual.not_social_org"
    response = await scene.client.get(f"{scene.report_url(org=scene.branch)}.xlsx", headers=headers)
    assert await code_of(response, 422) == "annual.not_social_org"
    response = await scene.client.get(
        f"{V1}/{scene.association.id}/annual-report/20x6", headers=headers
    )
    assert response.status_code == 422


async def test_who_may_read_and_write(scene: Scene) -> None:
    for actor in (scene.admin, scene.secretary, scene.instructor):
        await scene.report(actor)
    for url in (scene.report_url(), f"{scene.report_url()}.xlsx"):
        response = await scene.client.get(url, headers=scene.plain.headers)
        assert await code_of(response, 403) == "auth.forbidden"
        response = await scene.client.get(url, headers=scene.other_admin.headers)
        assert await code_of(response, 404) == "org.not_found"
    other = await scene.client.get(scene.report_url(org=scene.other), headers=scene.admin.headers)
    assert await code_of(other, 404) == "org.not_found"

    notes = {"highlights": "亮点", "version": 0}
    assert await code_of(await scene.save(scene.instructor, **notes), 403) == "auth.forbidden"
    assert await code_of(await scene.save(scene.plain, **notes), 403) == "auth.forbidden"
    assert await code_of(await scene.save(scene.other_admin, **notes), 404) == "org.not_found"
    assert (await scene.report())["notes"]["version"] == 0
    saved = await scene.save(scene.secretary, **notes)
    assert saved.status_code == 200, saved.text


async def test_notes_round_trip_and_stale_saves(scene: Scene, clock: FrozenClock) -> None:
    first = await scene.save(
        scene.admin, highlights="党建引领业务发展\n成效明显", problems="学习不够", version=0
    )
    assert first.status_code == 200, first.text
    assert first.json() == {
        "highlights": "党建引领业务发展\n成效明显",
        "problems": "学习不够",
        "plans": None,
        "version": 1,
        "updated_at": "2026-10-08T12:00:00+08:00",
        "updated_by_account_id": scene.admin.account.id,
        "updated_by_name": scene.admin.member.name,
    }
    # Someone who loaded the report before the first save: refused, nothing changes.
    stale = await scene.save(scene.secretary, highlights="覆盖", version=0)
    assert await code_of(stale, 409) == "annual.notes_stale"
    assert stale.json()["error"]["details"] == {"current_version": 1}
    assert stale.json()["error"]["message"] == "年度报告备注已被他人修改，请刷新后再保存"
    wrong = await scene.save(scene.secretary, highlights="覆盖", version=5)
    assert await code_of(wrong, 409) == "annual.notes_stale"

    clock.advance(hours=1)
    second = await scene.save(scene.secretary, highlights="", plans="明年计划", version=1)
    assert second.status_code == 200, second.text
    shown = (await scene.report())["notes"]
    assert shown == {
        "highlights": None,  # an empty section is cleared, an absent one too
        "problems": None,
        "plans": "明年计划",
        "version": 2,
        "updated_at": "2026-10-08T13:00:00+08:00",
        "updated_by_account_id": scene.secretary.account.id,
        "updated_by_name": scene.secretary.member.name,
    }
    # Another year's notes are their own.
    clock.at = datetime(2027, 1, 5, 4, 0, tzinfo=UTC)
    assert (await scene.report(year=2027))["notes"]["version"] == 0


async def test_bad_notes_are_field_errors(scene: Scene) -> None:
    for body in (
        {"highlights": "长" * 2001, "version": 0},
        {"highlights": "控制\x00字符", "version": 0},
        {"highlights": "亮点"},
        {"highlights": "亮点", "version": -1},
        {"highlights": "亮点", "version": "1"},
    ):
        response = await scene.save(scene.admin, **body)
        assert await code_of(response, 422) == "validation_failed", body
    assert (await scene.report())["notes"]["version"] == 0


def _rows(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet is not None
    assert sheet.title == "党建部分"
    return [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_the_sheet(scene: Scene) -> None:
    saved = await scene.save(scene.admin, highlights="亮点", version=0)
    assert saved.status_code == 200
    response = await scene.client.get(f"{scene.report_url()}.xlsx", headers=scene.admin.headers)
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    rows = _rows(response)
    assert rows[0][0] == "社会组织年度报告（党建部分）"
    assert [row[0] for row in rows[1:5]] == [
        "组织：甲协会",
        "年度：2026年",
        "统计日：2026-10-08",
        "说明：本年度尚未结束，数据截至今天",
    ]
    assert rows[5][0] == "生成时间：2026-10-08 12:00"
    assert rows[6] == ["板块", "项目", "数值", "说明"]
    items = {(row[0], row[1]): row[2] for row in rows[7:] if row[1] is not None}
    assert items[("党员情况", "在此工作的党员")] == 4
    assert items[("党员情况", "其中正式党员")] == 3
    assert items[("党员情况", "组织关系转入率")] == "75.0%"
    assert items[("党员情况", "本年增加合计")] == 5
    assert items[("党员情况", "本年减少：离职或迁离")] == 1
    assert items[("党组织情况", "党组织覆盖情况")] == "单独建立党支部"
    assert items[("党组织情况", "所在党组织")] == "甲支部"
    assert items[("党组织情况", "党组织书记")] == scene.secretary.member.name
    assert items[("组织生活", "支部党员大会（已召开/应召开）")] == "2 / 4"
    assert items[("组织生活", "支部委员会（已召开/应召开）")] == "1 / 12"
    assert items[("组织生活", "三会一课是否达标")] == "未达标"
    assert items[("组织生活", "出席率")] == "20.0%"
    assert items[("学习情况", "学习时长合计（分钟）")] == 80
    assert items[("学习情况", "人均学习时长（分钟）")] == 20
    assert items[("备注", "工作亮点")] == "亮点"
    assert items[("备注", "最后编辑")] == scene.admin.member.name


@contextmanager
def both_at(app: FastAPI, statement: str) -> Iterator[None]:
    """Holds each of two requests before the first statement starting with ``statement``
    until the other has reached it too (as tests/qa/test_races.py)."""
    barrier = asyncio.Barrier(2)
    engine = app.state.runtime.engine.sync_engine
    held: list[str] = []

    def hold(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.lstrip().startswith(statement) and len(held) < 2:
            held.append(sql)
            await_only(asyncio.wait_for(barrier.wait(), timeout=10))

    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", hold)
    assert len(held) == 2, f"the race never reached {statement!r}"


@pytest.mark.postgres_only
@pytest.mark.parametrize(("version", "statement"), [(0, "INSERT"), (1, "UPDATE")])
async def test_two_saves_at_once_leave_one(scene: Scene, version: int, statement: str) -> None:
    if version:
        assert (await scene.save(scene.admin, plans="起点", version=0)).status_code == 200
    with both_at(scene.app, f"{statement} annual_report_notes".replace("INSERT ", "INSERT INTO ")):
        first, second = await asyncio.gather(
            scene.save(scene.admin, highlights="管理员的", version=version),
            scene.save(scene.secretary, highlights="书记的", version=version),
        )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    loser = first if first.status_code == 409 else second
    assert loser.json()["error"]["details"] == {"current_version": version + 1}
    winner = first if first.status_code == 200 else second
    notes = (await scene.report())["notes"]
    assert notes["version"] == version + 1
    assert notes["highlights"] == winner.json()["highlights"]


async def test_the_subtrees_reports_a_page_at_a_time(scene: Scene) -> None:
    saved = await scene.save(scene.admin, highlights="亮点", version=0)
    assert saved.status_code == 200
    street = scene.branch.parent_id
    url = f"/api/v1/annual-reports?org_id={street}&year=2026"
    first = await scene.client.get(f"{url}&limit=2", headers=scene.admin.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["name"], body["year"], body["as_of"], body["complete"]) == (
        "甲街道工委",
        2026,
        "2026-10-08",
        False,
    )
    assert body["items"][0] == {
        "org_id": scene.association.id,
        "name": "甲协会",
        "credit_code": scene.association.credit_code,
        "coverage": "own_branch",
        "branch_id": scene.branch.id,
        "branch_name": "甲支部",
        "party_members_working": 4,
        "formal_members_working": 3,
        "relation_here": 3,
        "transfer_in_rate": 0.75,
        "held_total": 4,
        "compliant": False,
        "hollow": False,
        "study_minutes": 80.0,
        "notes_version": 1,
        "notes_updated_at": "2026-10-08T12:00:00+08:00",
    }
    second = body["items"][1]
    assert (second["name"], second["party_members_working"], second["transfer_in_rate"]) == (
        "另协会",
        1,
        1.0,
    )
    assert (second["held_total"], second["study_minutes"], second["notes_version"]) == (4, 0.0, 0)
    rest = await scene.client.get(
        f"{url}&limit=2&cursor={body['next_cursor']}", headers=scene.admin.headers
    )
    assert rest.status_code == 200, rest.text
    (direct,) = rest.json()["items"]
    assert rest.json()["next_cursor"] is None
    assert (direct["name"], direct["coverage"], direct["branch_id"], direct["held_total"]) == (
        "直属中心",
        "instructor_only",
        None,
        None,
    )
    # Listed from the organization itself, its branch lies outside the subtree.
    alone = await scene.client.get(
        f"/api/v1/annual-reports?org_id={scene.association.id}&year=2026",
        headers=scene.admin.headers,
    )
    (line,) = alone.json()["items"]
    assert (line["branch_id"], line["held_total"], line["party_members_working"]) == (
        scene.branch.id,
        None,
        4,
    )
    for actor, status in ((scene.other_admin, 404), (scene.plain, 403)):
        response = await scene.client.get(url, headers=actor.headers)
        assert response.status_code == status, response.text
    response = await scene.client.get(
        f"/api/v1/annual-reports?org_id={street}&year=2027", headers=scene.admin.headers
    )
    assert await code_of(response, 422) == "annual.year_out_of_range"


async def test_an_organization_under_a_joint_branch(scene: Scene, factory: Factory) -> None:
    async with factory.runtime.sessionmaker() as session:
        committee = await session.get_one(Organization, scene.branch.parent_id)
    joint = await factory.org(OrgKind.JOINT_BRANCH, "甲联合支部", committee)
    covered = await factory.org(OrgKind.SOCIAL_ORG, "联合会", joint)
    secretary = await factory.actor(Role.SECRETARY, joint)
    await factory.member(joint, covered, name="庚")
    await factory.member(scene.branch, covered, name="壬")  # relation elsewhere: not here
    async with factory.runtime.sessionmaker.begin() as session:  # entered today, 8 October
        await session.execute(
            update(RosterChange)
            .where(RosterChange.occurred_on > date(2026, 1, 1))
            .where(RosterChange.source != "test")
            .values(occurred_on=date(2026, 10, 8))
        )
    body = await scene.report(secretary, org=covered)
    assert body["party_organization"]["coverage"] == "joint"
    assert body["party_organization"]["branch_kind"] == "joint_branch"
    assert [person["name"] for person in body["party_organization"]["secretaries"]] == [
        secretary.member.name
    ]
    assert body["activities"]["shared"] is True
    assert body["activities"]["hollow"] is True
    members = body["members"]
    assert (members["party_members_working"], members["relation_here"]) == (2, 1)
    assert members["transfer_in_rate"] == 0.5
    # Both joined in 2026: 庚's row on the joint branch, 壬's on 甲支部 (not this parent).
    assert members["changes"]["joined"] == 1
    saved = await scene.client.put(
        f"{scene.report_url(org=covered)}/notes",
        json={"plans": "计划", "version": 0},
        headers=secretary.headers,
    )
    assert saved.status_code == 200, saved.text
