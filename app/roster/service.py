"""Validating a roster sheet row by row, and committing it: every row through the member
service's ``create`` (so the roster ledger records each addition), all in the caller's one
transaction, or none.

Where the sheet names an organization it is looked for in the subtree of the organization
imported into (itself in the caller's scope), by name, or for a social organization by its
统一社会信用代码 too; one outside is "not found" like one that does not exist. Phone numbers
and ID numbers are checked against each other in the sheet and against the roster: an ID
number against every record (it is unique), a phone against the current members."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import Scope
from app.errors import AppError
from app.kit.crypto import FieldCipher
from app.kit.identifiers import id_number_birth_date, id_number_problem
from app.kit.validation import EARLIEST_YEAR, LATEST_YEAR
from app.members import service as members_service
from app.members.schemas import MemberCreate
from app.models import AuditEvent, Member, Organization, OrgClosure, OrgKind, PartyStatus
from app.models.members import Gender
from app.models.orgs import BRANCH_KINDS
from app.orgs import service as orgs_service
from app.roster.errors import ROW_MESSAGES, RosterRowsInvalid
from app.roster.schemas import ImportReport, RowError
from app.roster.template import BY_KEY, COLUMNS, SheetRow, UploadedSheet

SOURCE = "roster:import"
# One lock for every commit of a roster, whichever organization: a phone or an ID number
# may be imported twice through two organizations as well as through one. Imports are rare.
_PG_LOCK_KEY = 0x524F53544552  # "ROSTER"
_QUERY_CHUNK = 500

STATUS_LABELS: dict[str, PartyStatus] = {
    "正式党员": PartyStatus.FULL_MEMBER,
    "预备党员": PartyStatus.PROBATIONARY,
    "入党积极分子": PartyStatus.ACTIVIST,
    "积极分子": PartyStatus.ACTIVIST,
    "群众": PartyStatus.MASSES,
    **{status.value: status for status in PartyStatus},
}
GENDER_LABELS: dict[str, Gender] = {
    "男": Gender.MALE,
    "女": Gender.FEMALE,
    **{gender.value: gender for gender in Gender},
}
FLAG_LABELS = {"是": True, "否": False, "true": True, "false": False}
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DATE_DIGITS = re.compile(r"\d{8}")
_PHONE_SEPARATORS = re.compile(r"[\s\-－—]")


@dataclass
class RowCheck:
    row: SheetRow
    fields: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    id_hash: str | None = None

    def fail(self, column: str | None, code: str, **values: Any) -> None:
        template = ROW_MESSAGES[code]
        self.errors.append(
            RowError(
                row=self.row.number,
                column=BY_KEY[column].heading if column else None,
                code=code,
                message=template.format(**values) if values else template,
            )
        )


@dataclass
class OrgChoices:
    """The organizations a sheet may name: the branches and social organizations of the
    subtree imported into, found by name and by credit code."""

    orgs: Sequence[Organization]
    _by_name: dict[str, list[Organization]] = field(default_factory=dict)
    _by_code: dict[str, Organization] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for org in self.orgs:
            self._by_name.setdefault(org.name, []).append(org)
            if org.credit_code:
                self._by_code[org.credit_code] = org

    def named(self, name: str) -> list[Organization]:
        return self._by_name.get(name, [])

    def by_credit_code(self, code: str) -> Organization | None:
        return self._by_code.get(code)


async def org_choices(session: AsyncSession, org_id: int) -> OrgChoices:
    subtree = select(OrgClosure.descendant_id).where(OrgClosure.ancestor_id == org_id)
    orgs = await session.scalars(
        select(Organization)
        .where(
            Organization.id.in_(subtree),
            Organization.kind.in_([*BRANCH_KINDS, OrgKind.SOCIAL_ORG]),
        )
        .order_by(Organization.kind, Organization.name, Organization.id)
    )
    return OrgChoices(orgs.all())


# --- cells ----------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    text_value = str(value).strip()
    return text_value or None


def _date(check: RowCheck, key: str) -> date | None:
    value = check.row.values.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    day: date | None = None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        raw = _text(value) or ""
        try:
            if match := _DATE_TEXT.fullmatch(raw):
                day = date(int(match[1]), int(match[2]), int(match[3]))
            elif _DATE_DIGITS.fullmatch(raw):
                day = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
            elif (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and 1 <= value < 80000
            ):
                # An Excel day number (the cell was not formatted as a date).
                day = date(1899, 12, 30) + timedelta(days=int(value))
        except ValueError:
            day = None
        if day is None:
            check.fail(key, "date.format")
            return None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        check.fail(key, "date.out_of_range")
        return None
    return day


def _no_control(value: str) -> bool:
    return not any(unicodedata.category(char) == "Cc" for char in value)


def _check_cells(check: RowCheck, choices: OrgChoices, today: date) -> None:
    values = check.row.values
    fields = check.fields

    name = _text(values.get("name"))
    if name is None:
        check.fail("name", "roster.name_required")
    elif len(name) > 50:
        check.fail("name", "roster.name_too_long")
    elif not _no_control(name):
        check.fail("name", "text.control_char")
    else:
        fields["name"] = name

    gender = _text(values.get("gender"))
    if gender is not None:
        if gender in GENDER_LABELS:
            fields["gender"] = GENDER_LABELS[gender]
        else:
            check.fail("gender", "roster.gender_invalid")

    phone = _text(values.get("phone"))
    if phone is not None:
        phone = _PHONE_SEPARATORS.sub("", phone)
        if len(phone) == 11 and phone.isascii() and phone.isdigit() and phone.startswith("1"):
            fields["phone"] = phone
        else:
            check.fail("phone", "phone.invalid")

    id_cell = values.get("id_number")
    id_number = _text(id_cell)
    if id_number is not None:
        id_number = id_number.upper()
        problem = id_number_problem(id_number)
        if isinstance(id_cell, int | float) and not isinstance(id_cell, bool) and problem:
            check.fail("id_number", "roster.id_number_as_number")
        elif problem:
            check.fail("id_number", problem)
        else:
            fields["id_number"] = id_number

    birth = _date(check, "birth_date")
    if birth is not None:
        if birth > today:
            check.fail("birth_date", "member.birth_date_future")
        elif "id_number" in fields and id_number_birth_date(fields["id_number"]) != birth:
            check.fail("birth_date", "member.birth_date_mismatch")
        else:
            fields["birth_date"] = birth
    known_birth = birth
    if known_birth is None and "id_number" in fields:
        known_birth = id_number_birth_date(fields["id_number"])

    status = _text(values.get("party_status"))
    if status is None:
        check.fail("party_status", "roster.status_required")
    elif status in STATUS_LABELS:
        fields["party_status"] = STATUS_LABELS[status]
    else:
        check.fail("party_status", "roster.status_invalid")

    joined = _date(check, "joined_party_on")
    if joined is not None:
        if joined > today:
            check.fail("joined_party_on", "member.joined_on_future")
        elif known_birth is not None and joined < known_birth:
            check.fail("joined_party_on", "member.joined_before_birth")
        else:
            fields["joined_party_on"] = joined

    relation = _text(values.get("relation_org"))
    workplace = _text(values.get("workplace_org"))
    if relation is None and workplace is None:
        check.fail(None, "member.org_required")
    if relation is not None:
        named = choices.named(relation)
        branches = [org for org in named if org.kind in BRANCH_KINDS]
        if len(branches) == 1:
            fields["relation_org_id"] = branches[0].id
        elif branches:
            check.fail("relation_org", "roster.relation_ambiguous")
        elif named:
            check.fail("relation_org", "member.relation_not_branch")
        else:
            check.fail("relation_org", "roster.relation_not_found")
    if workplace is not None:
        found = choices.by_credit_code(workplace.upper())
        named = [found] if found is not None else choices.named(workplace)
        socials = [org for org in named if org.kind is OrgKind.SOCIAL_ORG]
        if len(socials) == 1:
            fields["workplace_org_id"] = socials[0].id
        elif socials:
            check.fail("workplace_org", "roster.workplace_ambiguous")
        elif named:
            check.fail("workplace_org", "member.workplace_not_social_org")
        else:
            check.fail("workplace_org", "roster.workplace_not_found")

    flag = _text(values.get("is_mobile"))
    if flag is not None:
        if flag.lower() in FLAG_LABELS:
            fields["is_mobile"] = FLAG_LABELS[flag.lower()]
        else:
            check.fail("is_mobile", "roster.flag_invalid")


def _check_duplicates_in_sheet(checks: Sequence[RowCheck]) -> None:
    first_phone: dict[str, int] = {}
    first_id: dict[str, int] = {}
    for check in checks:
        phone = check.fields.get("phone")
        if phone is not None:
            if phone in first_phone:
                check.fail("phone", "roster.phone_duplicate_in_sheet", row=first_phone[phone])
            else:
                first_phone[phone] = check.row.number
        id_number = check.fields.get("id_number")
        if id_number is not None:
            if id_number in first_id:
                check.fail(
                    "id_number", "roster.id_number_duplicate_in_sheet", row=first_id[id_number]
                )
            else:
                first_id[id_number] = check.row.number


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + _QUERY_CHUNK] for i in range(0, len(values), _QUERY_CHUNK)]


async def _check_against_roster(
    session: AsyncSession, cipher: FieldCipher, checks: Sequence[RowCheck]
) -> None:
    phones = sorted({c.fields["phone"] for c in checks if "phone" in c.fields})
    taken_phones: set[str] = set()
    for chunk in _chunks(phones):
        taken_phones.update(
            phone
            for phone in await session.scalars(
                select(Member.phone).where(Member.phone.in_(chunk), Member.current())
            )
            if phone is not None
        )
    for check in checks:
        if "id_number" in check.fields:
            check.id_hash = cipher.lookup_hash(check.fields["id_number"])
    hashes = sorted({c.id_hash for c in checks if c.id_hash is not None})
    taken_ids: set[str] = set()
    for chunk in _chunks(hashes):
        taken_ids.update(
            value
            for value in await session.scalars(
                select(Member.id_number_hash).where(Member.id_number_hash.in_(chunk))
            )
            if value is not None
        )
    for check in checks:
        if check.fields.get("phone") in taken_phones:
            check.fail("phone", "roster.phone_taken")
        if check.id_hash in taken_ids:
            check.fail("id_number", "member.id_number_taken")


async def check_sheet(
    session: AsyncSession,
    cipher: FieldCipher,
    org_id: int,
    uploaded: UploadedSheet,
    *,
    today: date,
) -> list[RowCheck]:
    """Every row's problems (in the columns' order), none where the row is right."""
    choices = await org_choices(session, org_id)
    checks = [RowCheck(row) for row in uploaded.rows]
    for check in checks:
        _check_cells(check, choices, today)
    _check_duplicates_in_sheet(checks)
    await _check_against_roster(session, cipher, checks)
    order = {column.heading: index for index, column in enumerate(COLUMNS)}
    for check in checks:
        check.errors.sort(key=lambda e: order.get(e.column or "", len(order)))
    return checks


def report(
    org_id: int,
    uploaded: UploadedSheet,
    checks: Sequence[RowCheck],
    *,
    dry_run: bool,
    created: int = 0,
) -> ImportReport:
    invalid = sum(1 for check in checks if check.errors)
    return ImportReport(
        org_id=org_id,
        dry_run=dry_run,
        committed=created > 0,
        total_rows=len(checks),
        valid_rows=len(checks) - invalid,
        invalid_rows=invalid,
        created=created,
        errors=[error for check in checks for error in check.errors],
        ignored_columns=uploaded.ignored,
    )


def problems_by_row(checks: Sequence[RowCheck]) -> dict[int, list[str]]:
    """For the errors workbook: each row's problems as ``列：说明``."""
    return {
        check.row.number: [
            f"{error.column}：{error.message}" if error.column else error.message
            for error in check.errors
        ]
        for check in checks
        if check.errors
    }


async def lock_imports(session: AsyncSession) -> None:
    """Serializes commits of rosters until this transaction ends, so two commits of one
    sheet cannot both find its numbers free. SQLite: the writer's BEGIN IMMEDIATE already
    holds the database's write lock."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


async def dry_run(
    session: AsyncSession,
    scope: Scope,
    cipher: FieldCipher,
    org_id: int,
    uploaded: UploadedSheet,
    *,
    today: date,
) -> tuple[ImportReport, list[RowCheck]]:
    await orgs_service.get_in_scope(session, scope, org_id)
    checks = await check_sheet(session, cipher, org_id, uploaded, today=today)
    return report(org_id, uploaded, checks, dry_run=True), checks


async def commit(
    session: AsyncSession,
    scope: Scope,
    cipher: FieldCipher,
    org_id: int,
    uploaded: UploadedSheet,
    *,
    actor_account_id: int,
    request_id: str | None,
    filename: str | None,
    today: date,
    now: datetime,
) -> ImportReport:
    """All rows or none: any row with an error raises ``RosterRowsInvalid`` with the report,
    and the request's transaction is rolled back."""
    await lock_imports(session)
    org = await orgs_service.get_in_scope(session, scope, org_id)
    checks = await check_sheet(session, cipher, org_id, uploaded, today=today)
    if any(check.errors for check in checks):
        refused = report(org_id, uploaded, checks, dry_run=False)
        raise RosterRowsInvalid(details=refused.model_dump())
    member_ids: list[int] = []
    for check in checks:
        try:
            member = await members_service.create(
                session,
                scope,
                cipher,
                MemberCreate(**check.fields),
                today=today,
                now=now,
                actor_account_id=actor_account_id,
                source=SOURCE,
            )
        except AppError as exc:  # checked above; a refusal here is one the checks missed
            check.fail(None, exc.code if exc.code in ROW_MESSAGES else "roster.row_refused")
            refused = report(org_id, uploaded, checks, dry_run=False)
            raise RosterRowsInvalid(details=refused.model_dump()) from exc
        member_ids.append(member.id)
    session.add(
        AuditEvent(
            actor_account_id=actor_account_id,
            action="roster.import",
            object_type="organization",
            object_id=org.id,
            org_id=org.id,
            request_id=request_id,
            details={
                "rows": len(checks),
                "filename": filename[:200] if filename else None,
                "first_member_id": member_ids[0],
            },
            created_at=now,
        )
    )
    await session.flush()
    return report(org_id, uploaded, checks, dry_run=False, created=len(member_ids))
