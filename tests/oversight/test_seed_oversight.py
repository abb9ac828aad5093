"""Issue 13's acceptance on the demo data: the demo committee admin sees coverage, the
current quarter's compliance with its hollow branch, drills down to a branch's activities,
sees the rating cap with an organization over it and the head counts, approves the
transfer waiting on the committee, imports a roster (dry run, then commit), and downloads
the tables as .xlsx with Chinese headings. And the demo's own slice is what
app/seed/oversight.py says it is."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.config import Settings
from app.kit.clock import FrozenClock
from app.kit.identifiers import make_id_number
from app.kit.time import DISPLAY_ZONE
from app.models import (
    Activity,
    Member,
    Nomination,
    NominationStatus,
    Organization,
    RosterChange,
    RosterChangeKind,
    Transfer,
    TransferKind,
    TransferStep,
)
from app.models.activities import RecordSource
from app.oversight import compliance, headcount, rating_cap
from app.oversight import coverage as coverage_figures
from app.oversight.periods import quarter_of
from app.seed.demo import BRANCHES, DEMO_LOGINS, ROOT_NAME, run_seed
from app.seed.oversight import DEMO_BRANCH, HISTORY, HOLLOW_BRANCH, NOTHING

V1 = "/api/v1/oversight"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))  # tokens are checked against the real time


async def _signed_in(client: httpx.AsyncClient, label: str) -> dict[str, str]:
    login = await client.post("/api/v1/auth/wechat/login", json={"code": DEMO_LOGINS[label]})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(url, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _root_id(app: FastAPI) -> int:
    async with app.state.runtime.sessionmaker() as session:
        root = await session.scalar(select(Organization.id).where(Organization.name == ROOT_NAME))
    assert root is not None
    return root


def _headings(content: bytes, expected: tuple[str, ...]) -> list[str]:
    """The sheet's heading row (found by its first heading), checked to be Chinese."""
    book = load_workbook(io.BytesIO(content))
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    found = next(row for row in rows if row and row[0] == expected[0])
    headings = [str(cell) for cell in found if cell is not None]
    assert headings == list(expected)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in heading) for heading in headings)
    assert any("生成时间" in str(cell) for row in rows[:6] for cell in row if cell)
    return headings


async def test_the_committee_admin_walks_through_oversight_on_the_demo_data(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    assert await run_seed(settings, clock)
    admin = await _signed_in(client, "committee_admin")
    root = await _root_id(app)
    today = clock.now().astimezone(DISPLAY_ZONE).date()
    period = quarter_of(today).name

    # Coverage: every category but instructor_only has organizations; the root is the 综合党委,
    # so no 托底 organization lies outside one.
    shown = await _get(client, f"{V1}/coverage", admin, org_id=root)
    assert shown["total"] == 30
    assert min(shown["own_branch"], shown["joint"], shown["uncovered"]) > 0
    assert sum(shown[c] for c in ("own_branch", "joint", "instructor_only", "uncovered")) == 30
    behind = await _get(client, f"{V1}/coverage/orgs", admin, org_id=root, category="uncovered")
    assert len(behind["items"]) == shown["uncovered"]
    affiliation = await _get(client, f"{V1}/coverage/affiliation", admin, org_id=root)
    assert [c["name"] for c in affiliation["comprehensive_committees"]] == [ROOT_NAME]
    assert affiliation["contradictions"]["fallback_outside_comprehensive"] == 0

    # Compliance of the current quarter: exactly the hollow branch hollow, some compliant.
    found = await _get(client, f"{V1}/compliance", admin, org_id=root, period=period, limit=50)
    by_name = {item["name"]: item for item in found["items"]}
    assert len(by_name) == 12
    assert [n for n, item in by_name.items() if item["hollow"]] == [BRANCHES[HOLLOW_BRANCH][0]]
    assert found["counts"]["hollow"] == 1
    assert found["counts"]["compliant"] >= 1
    assert found["counts"]["compliant"] + found["counts"]["non_compliant"] == 12
    demo = by_name[BRANCHES[DEMO_BRANCH][0]]
    assert demo["compliant"] is True
    assert demo["expected"]["party_group"] == 3  # the one branch with a party group
    assert demo["attendance_rate"] is not None
    assert 0.5 < demo["attendance_rate"] < 1
    hollow = by_name[BRANCHES[HOLLOW_BRANCH][0]]
    assert hollow["last_held_on"] is not None  # it met last quarter
    assert date.fromisoformat(hollow["last_held_on"]) < quarter_of(today).first

    # Drill down to the demo branch's activities: the ones held, and the upcoming one.
    drill = await _get(
        client, f"{V1}/compliance/{demo['org_id']}/activities", admin, period=period, limit=100
    )
    held = [line for line in drill["items"] if line["held"]]
    assert len(held) == sum(demo["held"].values())
    assert all(line["attendances"] > 0 for line in held)
    assert {line["type"] for line in held} >= set(demo["expected"])

    # The rating cap: the app's own figure has an organization over it.
    cap = await _get(client, f"{V1}/rating-cap", admin, org_id=root)
    over = [item for item in cap["items"] if item["over_cap"]]
    assert over
    assert cap["over_cap"] == len(over)
    assert all(item["formal_members_working"] >= 3 for item in over)
    assert all(item["coverage"] not in ("own_branch", "joint") for item in over)
    assert all(item["rating"] in ("4A", "5A") for item in over)

    # Head counts.
    counts = await _get(client, f"{V1}/headcount", admin, org_id=root)
    totals = counts["totals"]
    assert totals["organizations"] == 30
    assert totals["party_members_working"] > totals["relation_here"] > 0
    assert totals["formal_members_working"] > 0
    assert totals["staff_count"] > 0

    # The transfer waiting on the committee: the admin approves it; then the in-branch's step.
    todo = await _get(client, "/api/v1/transfers", admin, waiting_on_me="true")
    waiting = [t for t in todo["items"] if t["step"] == "committee"]
    assert len(waiting) == 1
    transfer = waiting[0]
    assert transfer["kind"] == "internal"
    approved = await client.post(
        f"/api/v1/transfers/{transfer['id']}/approve", json={"step": "committee"}, headers=admin
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["step"] == "in_branch"
    actions = [(e["action"], e["step"]) for e in approved.json()["timeline"]]
    assert actions == [("created", None), ("approved", "out_branch"), ("approved", "committee")]

    # A roster: the template, two rows, a dry run, then the commit.
    template = await client.get(
        "/api/v1/roster/template.xlsx", params={"org_id": root}, headers=admin
    )
    assert template.status_code == 200, template.text
    book = load_workbook(io.BytesIO(template.content))
    sheet = book["花名册"]
    branch, social = BRANCHES[DEMO_BRANCH][0], "南京市鼓楼区志愿者协会"
    sheet.append(
        [
            "周明远",
            "男",
            "17700000001",
            make_id_number("110101", date(1986, 3, 14), 11),
            None,
            "正式党员",
            "2010-07-01",
            branch,
            social,
            "否",
        ]
    )
    sheet.append(
        [
            "林晓岚",
            "女",
            "17700000002",
            make_id_number("110101", date(1994, 9, 2), 20),
            "1994-09-02",
            "预备党员",
            "2026-01-15" if today >= date(2026, 1, 15) else None,
            None,
            social,
            "是",
        ]
    )
    filled = io.BytesIO()
    book.save(filled)
    upload = {"file": ("花名册.xlsx", filled.getvalue(), XLSX)}
    dry = await client.post(
        "/api/v1/roster/imports", params={"org_id": root}, files=upload, headers=admin
    )
    assert dry.status_code == 200, dry.text
    assert (dry.json()["total_rows"], dry.json()["valid_rows"], dry.json()["errors"]) == (2, 2, [])
    done = await client.post(
        "/api/v1/roster/imports",
        params={"org_id": root, "dry_run": "false"},
        files=upload,
        headers=admin,
    )
    assert done.status_code == 200, done.text
    assert (done.json()["committed"], done.json()["created"]) == (True, 2)
    async with app.state.runtime.sessionmaker() as session:
        imported = (
            await session.scalars(select(Member).where(Member.name.in_(["周明远", "林晓岚"])))
        ).all()
        assert len(imported) == 2
        changes = (
            await session.scalars(
                select(RosterChange).where(RosterChange.member_id.in_([m.id for m in imported]))
            )
        ).all()
    assert (
        sorted((c.kind, c.source) for c in changes)
        == [(RosterChangeKind.JOINED, "roster:import")] * 2
    )
    ledger = await _get(client, f"{V1}/roster-changes", admin, org_id=root, limit=100)
    assert ledger["items"]

    # The tables as .xlsx, with Chinese headings.
    for path, params, expected in (
        ("coverage/orgs.xlsx", {}, coverage_figures.ORG_HEADINGS),
        ("compliance.xlsx", {"period": period}, compliance.HEADINGS),
        ("headcount.xlsx", {}, headcount.HEADINGS),
        ("rating-cap.xlsx", {}, rating_cap.HEADINGS),
    ):
        response = await client.get(
            f"{V1}/{path}", params={"org_id": root, **params}, headers=admin
        )
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"].startswith(XLSX)
        _headings(response.content, tuple(expected))


async def test_the_demo_slice_is_what_the_seed_says(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    assert await run_seed(settings, clock)
    root = await _root_id(app)
    now = clock.now()
    current = quarter_of(now.astimezone(DISPLAY_ZONE).date())
    async with app.state.runtime.sessionmaker() as session:
        # Over the cap by the app's own definition.
        capped = rating_cap.capped(root)
        over = (await session.execute(select(capped).where(capped.c.over_cap == 1))).all()
        assert over
        # Every past activity a 补录, none of them after now; two upcoming ones published.
        activities = (await session.scalars(select(Activity))).all()
        past = [a for a in activities if a.ends_at <= now]
        upcoming = [a for a in activities if a.starts_at > now]
        assert past
        assert all(a.source is RecordSource.BACKFILL for a in past)
        assert len(upcoming) == 2
        assert all(a.source is RecordSource.LIVE and a.published_at for a in upcoming)
        # The current quarter's figure, branch by branch, is the seed's HISTORY.
        figures = compliance.rows(root, current, now)
        rows = {row.name: row for row in (await session.execute(select(figures))).all()}
        for index, (_, so_far, _) in HISTORY.items():
            row = rows[BRANCHES[index][0]]
            assert bool(row.hollow) is (so_far == NOTHING), index
        # The previous quarter counts the branches too (entered before it), none hollow.
        previous = quarter_of(current.first - timedelta(days=1))
        before = await compliance.counts(session, compliance.rows(root, previous, now))
        assert (before.branches, before.hollow) == (12, 0)
        assert before.compliant >= 1
        transfers = (await session.scalars(select(Transfer).order_by(Transfer.id))).all()
        assert [(t.kind, t.step) for t in transfers] == [
            (TransferKind.INTERNAL, TransferStep.COMMITTEE),
            (TransferKind.OUTBOUND, TransferStep.OUT_BRANCH),
        ]
        assert transfers[1].letter_number
        [nomination] = (await session.scalars(select(Nomination))).all()
        assert nomination.status is NominationStatus.PENDING
        members = await session.scalar(select(func.count()).select_from(Member))
    assert members == 200

    # The demo secretary sees the outbound transfer on their to-do list, and the 六有
    # checklist of their branch is filled.
    secretary = await _signed_in(client, "secretary")
    todo = await _get(client, "/api/v1/transfers", secretary, waiting_on_me="true")
    assert [(t["kind"], t["step"]) for t in todo["items"]] == [("outbound", "out_branch")]
    me = await _get(client, "/api/v1/me", secretary)
    branch_id = me["roles"][0]["org_id"]
    checklist = await _get(client, f"/api/v1/orgs/{branch_id}/venue", secretary)
    assert checklist["met_count"] == 6
