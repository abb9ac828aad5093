"""The posting benchmark's database: a city committee, 10 street committees, 100 branches
(10 a street), 2,000 members (20 a branch) each with a WeChat account, and one instructor on
each street, so a question asked from a branch is routed to its street's instructor. Rows by
asyncpg COPY; the categories are the migrations' own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

CITY = 1
STREETS = 10
BRANCHES_PER_STREET = 10
MEMBERS_PER_BRANCH = 20
BRANCHES = STREETS * BRANCHES_PER_STREET
MEMBERS = BRANCHES * MEMBERS_PER_BRANCH
FIRST_BRANCH = CITY + STREETS + 1
FIRST_INSTRUCTOR = MEMBERS + 1


def street_id(index: int) -> int:
    return CITY + 1 + index


def branch_of_member(member_id: int) -> int:
    return FIRST_BRANCH + (member_id - 1) // MEMBERS_PER_BRANCH


def _orgs(now: datetime) -> tuple[list[tuple[Any, ...]], list[tuple[int, int, int]]]:
    orgs: list[tuple[Any, ...]] = [(CITY, None, "committee", "市社会组织综合党委", 0, now, now)]
    closure = [(CITY, CITY, 0)]
    for s in range(STREETS):
        street = street_id(s)
        orgs.append((street, CITY, "committee", f"第{s + 1}街道工委", 1, now, now))
        closure += [(street, street, 0), (CITY, street, 1)]
    for b in range(BRANCHES):
        branch, street = FIRST_BRANCH + b, street_id(b // BRANCHES_PER_STREET)
        orgs.append((branch, street, "branch", f"第{b + 1}党支部", 2, now, now))
        closure += [(branch, branch, 0), (street, branch, 1), (CITY, branch, 2)]
    return orgs, closure


def _people(now: datetime) -> dict[str, list[tuple[Any, ...]]]:
    people = MEMBERS + STREETS
    accounts = [(i, f"bench-post-{i}", True, now, now) for i in range(1, people + 1)]
    members = [
        (m, m, f"党员{m}", "full_member", branch_of_member(m), False, False, now, now)
        for m in range(1, MEMBERS + 1)
    ]
    members += [
        (i, i, f"指导员{s + 1}", "full_member", None, False, False, now, now)
        for s, i in enumerate(range(FIRST_INSTRUCTOR, people + 1))
    ]
    roles = [
        (s + 1, FIRST_INSTRUCTOR + s, street_id(s), "instructor", now, now) for s in range(STREETS)
    ]
    return {"accounts": accounts, "members": members, "role_assignments": roles}


COLUMNS = {
    "organizations": ("id", "parent_id", "kind", "name", "depth", "created_at", "updated_at"),
    "org_closure": ("ancestor_id", "descendant_id", "depth"),
    "accounts": ("id", "openid", "is_active", "created_at", "updated_at"),
    "members": (
        "id", "account_id", "name", "party_status", "relation_org_id", "is_mobile",
        "is_lost_contact", "created_at", "updated_at",
    ),
    "role_assignments": ("id", "member_id", "org_id", "role", "created_at", "updated_at"),
}  # fmt: skip


async def seed(dsn: str, now: datetime) -> int:
    """The rows; answers the id of the category 党费."""
    orgs, closure = _orgs(now)
    tables = {"organizations": orgs, "org_closure": closure, **_people(now)}
    connection = await asyncpg.connect(dsn)
    try:
        for table, records in tables.items():
            await connection.copy_records_to_table(
                table, records=records, columns=list(COLUMNS[table])
            )
        for table in ("organizations", "accounts", "members", "role_assignments"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await connection.execute("VACUUM ANALYZE")
        category: int = await connection.fetchval(
            "SELECT id FROM qa_categories WHERE name = '党费'"
        )
    finally:
        await connection.close()
    return category
