"""Bulk seed for the check-in benchmark: one committee, its branches, members with WeChat
accounts, published activities whose check-in window is open now, and who is expected where.

Rows are written with PostgreSQL COPY (asyncpg) or with one executemany per table on SQLite,
into a database the app's own migrations have just created."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

# The window stays open for the whole run: it opened 20 minutes ago (10 before the start)
# and closes 30 minutes after an end three hours away.
STARTS_IN = timedelta(minutes=10)
LASTS = timedelta(hours=3)


@dataclass(frozen=True)
class Plan:
    members: int
    activities: int
    branches: int

    @property
    def members_per_branch(self) -> int:
        return self.members // self.branches

    @property
    def activities_per_branch(self) -> int:
        return self.activities // self.branches

    @property
    def expected_pairs(self) -> int:
        return self.branches * self.members_per_branch * self.activities_per_branch

    def check(self) -> None:
        if self.members % self.branches or self.activities % self.branches:
            raise SystemExit("members and activities must be multiples of branches")


# 100,000 members in 500 branches of 200; two activities per branch, each expecting the
# whole branch: 200,000 (activity, member) pairs, each a real first check-in.
POSTGRES_PLAN = Plan(members=100_000, activities=1_000, branches=500)
# Smaller on SQLite: 10,000 members in 25 branches of 400, four activities each: 40,000 pairs.
SQLITE_PLAN = Plan(members=10_000, activities=100, branches=25)

COMMITTEE_ID = 1


def branch_id(index: int) -> int:
    return COMMITTEE_ID + 1 + index


def member_branch(plan: Plan, member_id: int) -> int:
    return branch_id((member_id - 1) // plan.members_per_branch)


def activity_branch(plan: Plan, activity_id: int) -> int:
    return branch_id((activity_id - 1) // plan.activities_per_branch)


def expected_pairs(plan: Plan) -> Iterator[tuple[int, int]]:
    """(activity id, member id): every member of a branch is expected at its activities."""
    for b in range(plan.branches):
        first_member = b * plan.members_per_branch + 1
        members = range(first_member, first_member + plan.members_per_branch)
        for a in range(plan.activities_per_branch):
            activity_id = b * plan.activities_per_branch + a + 1
            for member_id in members:
                yield activity_id, member_id


@dataclass
class Rows:
    organizations: list[tuple[Any, ...]]
    org_closure: list[tuple[Any, ...]]
    accounts: list[tuple[Any, ...]]
    members: list[tuple[Any, ...]]
    role_assignments: list[tuple[Any, ...]]
    activities: list[tuple[Any, ...]]
    activity_expected: list[tuple[Any, ...]]
    # Activity id -> its HMAC secret, for minting rotating codes.
    secrets: dict[int, bytes]


COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("id", "parent_id", "kind", "name", "depth", "created_at", "updated_at"),
    "org_closure": ("ancestor_id", "descendant_id", "depth"),
    "accounts": ("id", "openid", "is_active", "created_at", "updated_at"),
    "members": (
        "id",
        "account_id",
        "name",
        "party_status",
        "relation_org_id",
        "is_mobile",
        "is_lost_contact",
        "created_at",
        "updated_at",
    ),
    "role_assignments": ("id", "member_id", "org_id", "role", "created_at", "updated_at"),
    "activities": (
        "id",
        "org_id",
        "type",
        "title",
        "status",
        "starts_at",
        "ends_at",
        "walk_in_policy",
        "checkin_secret",
        "published_at",
        "created_at",
        "updated_at",
    ),
    "activity_expected": ("activity_id", "member_id"),
}
TABLES = tuple(COLUMNS)


def build_rows(plan: Plan, now: datetime) -> Rows:
    plan.check()
    orgs: list[tuple[Any, ...]] = [(COMMITTEE_ID, None, "committee", "综合党委", 0, now, now)]
    closure: list[tuple[Any, ...]] = [(COMMITTEE_ID, COMMITTEE_ID, 0)]
    roles: list[tuple[Any, ...]] = []
    for b in range(plan.branches):
        org_id = branch_id(b)
        orgs.append((org_id, COMMITTEE_ID, "branch", f"第{b + 1}党支部", 1, now, now))
        closure += [(COMMITTEE_ID, org_id, 1), (org_id, org_id, 0)]
        # The first member of each branch is its secretary: some callers hold a role.
        roles.append((b + 1, b * plan.members_per_branch + 1, org_id, "secretary", now, now))
    accounts = [(i, f"bench-{i}", True, now, now) for i in range(1, plan.members + 1)]
    members = [
        (i, i, f"党员{i}", "full_member", member_branch(plan, i), False, False, now, now)
        for i in range(1, plan.members + 1)
    ]
    starts_at = now + STARTS_IN
    activity_secrets = {a: secrets.token_bytes(32) for a in range(1, plan.activities + 1)}
    activities = [
        (
            a,
            activity_branch(plan, a),
            "themed_party_day",
            f"主题党日 {a}",
            "published",
            starts_at,
            starts_at + LASTS,
            "accept_flagged",
            activity_secrets[a],
            now,
            now,
            now,
        )
        for a in range(1, plan.activities + 1)
    ]
    return Rows(
        organizations=orgs,
        org_closure=closure,
        accounts=accounts,
        members=members,
        role_assignments=roles,
        activities=activities,
        activity_expected=list(expected_pairs(plan)),
        secrets=activity_secrets,
    )


async def write_postgres(dsn: str, rows: Rows) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            for table in TABLES:
                await connection.copy_records_to_table(
                    table, records=getattr(rows, table), columns=list(COLUMNS[table])
                )
            for table in ("organizations", "accounts", "members", "role_assignments", "activities"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def _sqlite_value(value: Any) -> Any:
    # As SQLAlchemy stores them on SQLite: naive UTC text for DateTime, 0/1 for Boolean.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def write_sqlite(path: str, rows: Rows) -> None:
    connection = sqlite3.connect(path)
    try:
        with connection:
            for table in TABLES:
                columns = COLUMNS[table]
                placeholders = ", ".join("?" for _ in columns)
                connection.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
                    ([_sqlite_value(v) for v in row] for row in getattr(rows, table)),
                )
        connection.execute("ANALYZE")
    finally:
        connection.close()
