"""The dataset of the oversight dashboard benchmark (bench/oversight/dashboard.py), written
with asyncpg COPY into a database the app's own migrations have just created.

- The city committee (id 1, the admin's) and 20 street committees under it; five streets
  are designated 综合党委 (so a 托底 organization in the other fifteen contradicts it).
- Per street 500 social organizations (10,000 in all): 200 under a branch of their own,
  150 under 30 joint branches (5 each), 75 directly under the street with an instructor's
  role on them, 75 directly under the street with nobody (uncovered). 4,600 branches.
- 100,000 members (and the admin): the workplace a social organization drawn with weights
  15 / 8 / 6 / 4.7 by coverage (5% none), party status 78 / 12 / 6 / 4% full /
  probationary / activist / masses; the relation the workplace's own or joint branch for
  85% / 70% of those, else another branch or none; 2% departed. 300 instructors hold the
  1,500 instructor roles, 5 each. Ratings from none to 5A, a fifth 4A or 5A.
- Per branch and quarter (2026-Q2 to the current one): 12% hollow, 40% holding every norm,
  the others part of them, plus other types; 4% cancelled, some with minutes only, some
  with nothing recorded, some still to come; the branch's members whose relation is there
  expected at each (activity_expected), and exactly ``ATTENDANCES`` attendance rows drawn
  from those expected at the recorded activities (1% rejected in review, 8% late).
- Party groups in 30% of the branches; two streets set their own norms; one roster_changes
  row per member joined, one more per departure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg

from app.kit.time import DISPLAY_ZONE

CITY = 1
STREETS = 20
OWN_PER_STREET = 200
JOINT_PER_STREET = 30
PER_JOINT = 5
INSTRUCTOR_PER_STREET = 75
UNCOVERED_PER_STREET = 75
MEMBERS = 100_000
ATTENDANCES = 1_000_000
INSTRUCTORS = 300
COMPREHENSIVE_STREETS = 5
ADMIN = MEMBERS + 1  # member and account id of the city committee's admin
FIRST_QUARTER = (2026, 2)  # history from 2026-Q2 to the current quarter

WORKPLACE_WEIGHTS = {"own": 15.0, "joint": 8.0, "instructor": 6.0, "uncovered": 4.7}
STATUSES = ("full_member", "probationary", "activist", "masses")
STATUS_WEIGHTS = (78, 12, 6, 4)
RATINGS = (None, "none", "1A", "2A", "3A", "4A", "5A")
RATING_WEIGHTS = (10, 25, 5, 10, 30, 12, 8)
AFFILIATIONS = (None, "territorial", "business_supervisor", "attached", "fallback")
AFFILIATION_WEIGHTS = (10, 50, 20, 10, 10)
NORMS = {
    "branch_general_meeting": 1,
    "branch_committee": 3,
    "party_lecture": 1,
    "themed_party_day": 3,
}
OTHER_TYPES = ("org_life_meeting", "group_study", "volunteer", "other")
TYPE_TITLES = {
    "branch_general_meeting": "支部党员大会",
    "branch_committee": "支部委员会会议",
    "party_group": "党小组会",
    "party_lecture": "党课",
    "themed_party_day": "主题党日活动",
    "org_life_meeting": "组织生活会",
    "group_study": "集中学习",
    "volunteer": "志愿服务",
    "other": "其他活动",
}
DEPARTURES = ("transferred_out", "moved_away", "deceased", "withdrew")
SECRET = bytes(32)


@dataclass
class Tree:
    orgs: list[tuple[Any, ...]] = field(default_factory=list)
    closure: list[tuple[int, int, int]] = field(default_factory=list)
    coverage: dict[int, str] = field(default_factory=dict)  # social org -> kind
    parent: dict[int, int] = field(default_factory=dict)  # social org -> its parent
    branches: list[int] = field(default_factory=list)
    instructor_orgs: list[int] = field(default_factory=list)
    streets: list[int] = field(default_factory=list)


def _quarters(today: date) -> list[tuple[datetime, datetime]]:
    """(since, until) of each quarter from FIRST_QUARTER to today's, Beijing midnights."""
    year, quarter = FIRST_QUARTER
    found: list[tuple[datetime, datetime]] = []
    while (year, quarter) <= (today.year, (today.month - 1) // 3 + 1):
        first = date(year, 3 * quarter - 2, 1)
        after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        found.append(
            (
                datetime.combine(first, time.min, DISPLAY_ZONE).astimezone(UTC),
                datetime.combine(after, time.min, DISPLAY_ZONE).astimezone(UTC),
            )
        )
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return found


def _tree(rng: random.Random, since: datetime) -> Tree:
    tree = Tree()
    next_id = CITY
    social_number = 0

    def add(parent: int | None, kind: str, name: str, depth: int, ancestors: list[int]) -> int:
        nonlocal next_id
        org = next_id
        next_id += 1
        extra: tuple[Any, ...] = (None, None, None, None, None)
        if kind == "social_org":
            nonlocal social_number
            social_number += 1
            extra = (
                rng.choice(("social_group", "foundation", "social_service_agency")),
                f"51{org:016d}",
                rng.choices(AFFILIATIONS, AFFILIATION_WEIGHTS)[0],
                rng.choices(RATINGS, RATING_WEIGHTS)[0],
                None if rng.random() < 0.1 else rng.randint(5, 300),
            )
        tree.orgs.append((org, parent, kind, name, depth, *extra, since, since))
        tree.closure.append((org, org, 0))
        for up, ancestor in enumerate(reversed(ancestors), start=1):
            tree.closure.append((ancestor, org, up))
        return org

    add(None, "committee", "市两新组织工作委员会", 0, [])
    for s in range(STREETS):
        street = add(CITY, "committee", f"第{s + 1}街道社会组织党委", 1, [CITY])
        tree.streets.append(street)
        up = [CITY, street]
        for b in range(OWN_PER_STREET):
            branch = add(street, "branch", f"第{s + 1}街道第{b + 1}社会组织党支部", 2, up)
            tree.branches.append(branch)
            org = add(branch, "social_org", f"社会组织{social_number + 1}号", 3, [*up, branch])
            tree.coverage[org], tree.parent[org] = "own", branch
        for j in range(JOINT_PER_STREET):
            joint = add(street, "joint_branch", f"第{s + 1}街道第{j + 1}联合党支部", 2, up)
            tree.branches.append(joint)
            for _ in range(PER_JOINT):
                org = add(joint, "social_org", f"社会组织{social_number + 1}号", 3, [*up, joint])
                tree.coverage[org], tree.parent[org] = "joint", joint
        for kind, count in (
            ("instructor", INSTRUCTOR_PER_STREET),
            ("uncovered", UNCOVERED_PER_STREET),
        ):
            for _ in range(count):
                org = add(street, "social_org", f"社会组织{social_number + 1}号", 2, up)
                tree.coverage[org], tree.parent[org] = kind, street
                if kind == "instructor":
                    tree.instructor_orgs.append(org)
    return tree


@dataclass
class People:
    members: list[tuple[Any, ...]] = field(default_factory=list)
    by_branch: dict[int, list[int]] = field(default_factory=dict)  # current, relation there
    roles: list[tuple[Any, ...]] = field(default_factory=list)
    changes: list[tuple[Any, ...]] = field(default_factory=list)


def _people(rng: random.Random, tree: Tree, now: datetime) -> People:
    people = People()
    socials = list(tree.coverage)
    weights = [WORKPLACE_WEIGHTS[tree.coverage[o]] for o in socials]
    workplaces = rng.choices(socials, weights, k=MEMBERS)
    statuses = rng.choices(STATUSES, STATUS_WEIGHTS, k=MEMBERS)
    start = now - timedelta(days=900)
    change_id = 0
    for m in range(1, MEMBERS + 1):
        workplace: int | None = workplaces[m - 1]
        if rng.random() < 0.05:
            workplace = None
        kind = tree.coverage.get(workplace) if workplace else None
        draw = rng.random()
        relation: int | None
        if (kind == "own" and draw < 0.85) or (kind == "joint" and draw < 0.70):
            relation = tree.parent[workplace]  # type: ignore[index]
        elif draw < 0.95 if kind in ("own", "joint") else draw < 0.6:
            relation = rng.choice(tree.branches)
        else:
            relation = None
        created = start + timedelta(seconds=rng.randrange(800 * 86400))
        departed = rng.random() < 0.02
        left_on = (now - timedelta(days=rng.randrange(1, 120))).date() if departed else None
        reason = rng.choice(DEPARTURES) if departed else None
        people.members.append(
            (
                m, None, f"党员{m}", statuses[m - 1], relation, workplace, False, False,
                left_on, reason, now if departed else None, created, created,
            )
        )  # fmt: skip
        if relation is not None and not departed:
            people.by_branch.setdefault(relation, []).append(m)
        where = relation or workplace
        if where is not None:
            change_id += 1
            people.changes.append(
                (change_id, m, where, "joined", statuses[m - 1], created.date(),
                 "member:create", created)
            )  # fmt: skip
            if departed:
                change_id += 1
                people.changes.append(
                    (change_id, m, where, reason, statuses[m - 1], left_on, "member:depart", now)
                )  # fmt: skip
    people.members.append(
        (ADMIN, ADMIN, "市两新工委管理员", "full_member", None, None, False, False,
         None, None, None, start, start)
    )  # fmt: skip
    role_id = 0
    instructors = rng.sample(
        [m for m in range(1, MEMBERS + 1) if statuses[m - 1] == "full_member"], INSTRUCTORS
    )
    for n, org in enumerate(tree.instructor_orgs):
        role_id += 1
        holder = instructors[n % INSTRUCTORS]
        people.roles.append((role_id, holder, org, "instructor", start, start))
    role_id += 1
    people.roles.append((role_id, ADMIN, CITY, "committee_admin", start, start))
    return people


@dataclass
class Life:
    groups: list[tuple[Any, ...]] = field(default_factory=list)
    activities: list[tuple[Any, ...]] = field(default_factory=list)
    expected: list[tuple[int, int]] = field(default_factory=list)
    minutes: list[tuple[Any, ...]] = field(default_factory=list)
    attendances: list[tuple[Any, ...]] = field(default_factory=list)


def _planned(rng: random.Random, profile: str, has_groups: bool) -> list[str]:
    norms = dict(NORMS)
    if has_groups:
        norms["party_group"] = 3
    if profile == "hollow":
        return [] if rng.random() < 0.7 else [rng.choice(list(norms))]  # cancelled or empty
    found: list[str] = []
    for kind, n in norms.items():
        found += [kind] * (n if profile == "full" else rng.randint(0, n))
    return found + [rng.choice(OTHER_TYPES) for _ in range(rng.randint(0, 2))]


def _life(rng: random.Random, tree: Tree, people: People, now: datetime) -> Life:
    life = Life()
    group_of: dict[int, int] = {}
    for branch in tree.branches:
        if rng.random() < 0.3:
            for g in range(2):
                group_id = len(life.groups) + 1
                life.groups.append((group_id, branch, f"第{g + 1}党小组", None, now, now))
                group_of.setdefault(branch, group_id)
    quarters = _quarters(now.astimezone(DISPLAY_ZONE).date())
    activity_id = 0
    candidates: list[tuple[int, int, datetime]] = []
    for branch in tree.branches:
        expected = people.by_branch.get(branch, [])
        for since, until in quarters:
            profile = rng.choices(("hollow", "full", "part"), (12, 40, 48))[0]
            span = (until - since).total_seconds() - 3 * 3600
            for kind in _planned(rng, profile, branch in group_of):
                activity_id += 1
                starts = since + timedelta(seconds=rng.randrange(int(span)))
                ends = starts + timedelta(hours=2)
                cancelled = (profile == "hollow" and rng.random() < 0.5) or rng.random() < 0.04
                status = "cancelled" if cancelled else "published"
                life.activities.append(
                    (activity_id, branch, kind, f"{TYPE_TITLES[kind]}（{starts:%m月%d日}）",
                     status, starts, ends, SECRET, starts - timedelta(days=3),
                     starts - timedelta(days=1) if cancelled else None,
                     group_of.get(branch) if kind == "party_group" else None,
                     starts - timedelta(days=7), starts - timedelta(days=7), "accept_flagged")
                )  # fmt: skip
                life.expected += [(activity_id, m) for m in expected]
                if cancelled or ends > now:
                    continue
                draw = rng.random()
                if profile == "hollow" or draw < 0.10:
                    continue  # nothing recorded
                if draw < 0.15 or (draw < 0.60 and not expected):
                    life.minutes.append((activity_id, "会议记录：传达学习，讨论通过。", ends, ends))
                    continue  # minutes only
                if draw < 0.60:
                    life.minutes.append((activity_id, "会议记录：传达学习，讨论通过。", ends, ends))
                candidates += [(activity_id, m, starts) for m in expected]
    chosen = rng.sample(candidates, min(ATTENDANCES, len(candidates)))
    chosen.sort()
    for n, (activity, member, starts) in enumerate(chosen, start=1):
        late = rng.random() < 0.08
        rejected = rng.random() < 0.01
        life.attendances.append(
            (n, activity, member, "rotating_code",
             starts + timedelta(minutes=rng.randint(20, 40) if late else rng.randint(-10, 5)),
             late, False, rejected, "[]", "rejected" if rejected else None, "live")
        )  # fmt: skip
    return life


COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": (
        "id", "parent_id", "kind", "name", "depth", "social_org_type", "credit_code",
        "affiliation_mode", "rating", "staff_count", "created_at", "updated_at",
    ),
    "org_closure": ("ancestor_id", "descendant_id", "depth"),
    "accounts": ("id", "openid", "is_active", "created_at", "updated_at"),
    "members": (
        "id", "account_id", "name", "party_status", "relation_org_id", "workplace_org_id",
        "is_mobile", "is_lost_contact", "left_on", "departure_reason", "departed_at",
        "created_at", "updated_at",
    ),
    "role_assignments": ("id", "member_id", "org_id", "role", "created_at", "updated_at"),
    "roster_changes": (
        "id", "member_id", "org_id", "kind", "party_status", "occurred_on", "source",
        "recorded_at",
    ),
    "party_groups": ("id", "org_id", "name", "leader_member_id", "created_at", "updated_at"),
    "activities": (
        "id", "org_id", "type", "title", "status", "starts_at", "ends_at", "checkin_secret",
        "published_at", "cancelled_at", "party_group_id", "created_at", "updated_at",
        "walk_in_policy",
    ),
    "activity_expected": ("activity_id", "member_id"),
    "activity_minutes": ("activity_id", "content", "created_at", "updated_at"),
    "attendances": (
        "id", "activity_id", "member_id", "method", "checked_in_at", "late", "walk_in",
        "needs_review", "review_reasons", "review_status", "source",
    ),
}  # fmt: skip


async def seed(dsn: str, now: datetime) -> dict[str, int]:
    rng = random.Random(13)
    tree = _tree(rng, now - timedelta(days=1000))
    people = _people(rng, tree, now)
    life = _life(rng, tree, people, now)
    tables: dict[str, list[tuple[Any, ...]]] = {
        "organizations": tree.orgs,
        "org_closure": tree.closure,
        "accounts": [(ADMIN, "bench-oversight-admin", True, now, now)],
        "members": people.members,
        "role_assignments": people.roles,
        "roster_changes": people.changes,
        "party_groups": life.groups,
        "activities": life.activities,
        "activity_expected": life.expected,
        "activity_minutes": life.minutes,
        "attendances": life.attendances,
    }
    connection = await asyncpg.connect(dsn)
    try:
        for table, records in tables.items():
            await connection.copy_records_to_table(
                table, records=records, columns=list(COLUMNS[table])
            )
            if "id" in COLUMNS[table]:
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        await connection.executemany(
            "INSERT INTO comprehensive_committees (org_id, designated_at) VALUES ($1, $2)",
            [(street, now) for street in tree.streets[:COMPREHENSIVE_STREETS]],
        )
        await connection.executemany(
            "INSERT INTO meeting_norms (committee_id, activity_type, per_quarter, updated_at) "
            "VALUES ($1, $2, $3, $4)",
            [
                (tree.streets[1], "themed_party_day", 2, now),
                (tree.streets[2], "branch_committee", 2, now),
            ],
        )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return {table: len(records) for table, records in tables.items()}
