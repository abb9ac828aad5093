"""Roster import (花名册导入): the template, the upload (a dry run, or the commit of every row
or none) and the uploaded sheet given back with its errors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.auth.dependencies import MembersWriter
from app.auth.permissions import Permission
from app.auth.scope import Principal, Scope
from app.db import DbSession, ReadSession
from app.errors import responses
from app.idempotency.route import IdempotentRoute
from app.kit import multipart, sheet
from app.kit.types import INT32_MAX, Digits
from app.kit.validation import QueryFlag
from app.models import Organization
from app.observability import request_id_var
from app.orgs import service as orgs_service
from app.orgs.errors import OrgNotFound
from app.roster import service, template
from app.roster.errors import (
    RosterEmpty,
    RosterFileMissing,
    RosterFileTooLarge,
    RosterHeadingsMissing,
    RosterMalformedUpload,
    RosterNotXlsx,
    RosterRowsInvalid,
    RosterTooManyRows,
    RosterUploadInterrupted,
    RosterWorkbookTooLarge,
)
from app.roster.schemas import ImportReport
from app.runtime import Runtime, RuntimeDep

router = APIRouter(route_class=IdempotentRoute, prefix="/api/v1/roster", tags=["roster"])

OrgQuery = Annotated[
    int,
    Query(
        ge=1,
        le=INT32_MAX,
        description="The organization imported into: the sheet's branches and social "
        "organizations are looked for in its subtree; one in the caller's `members:write` "
        "scope (another: 404 `org.not_found`)",
    ),
    Digits,
]
UPLOAD_FIELD = "file"
UPLOAD_REFUSALS = multipart.UploadRefusals(
    missing=RosterFileMissing,
    malformed=RosterMalformedUpload,
    interrupted=RosterUploadInterrupted,
    too_large=RosterFileTooLarge,
)
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [UPLOAD_FIELD],
                    "properties": {UPLOAD_FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
_SHEET_ERRORS = (
    OrgNotFound,
    RosterFileMissing,
    RosterMalformedUpload,
    RosterUploadInterrupted,
    RosterFileTooLarge,
    RosterWorkbookTooLarge,
    RosterNotXlsx,
    RosterHeadingsMissing,
    RosterEmpty,
    RosterTooManyRows,
)
_LIMITS = f"""

The filled template (`GET /api/v1/roster/template.xlsx`) as the multipart/form-data field
`file`: an .xlsx of at most {template.MAX_FILE_BYTES // (1024 * 1024)} MB
(`roster.file_too_large`, 413) with at most {template.MAX_ROWS} non-empty rows below the
heading row (`roster.too_many_rows`); not an .xlsx: `roster.not_xlsx`; no heading row with
姓名 and 党员状态: `roster.headings_missing`; no rows: `roster.empty`. The sheet read is
the one named 花名册, else the first; columns are found by their headings, in any order;
headings that are no column of the template (and an 错误 column) are not read.

Each row is checked: 姓名 required; 手机号 11 digits; 身份证号 18 characters with the GB
11643 check character (X allowed), and 出生日期 when given must be the one it carries;
党员状态 正式党员 / 预备党员 / 入党积极分子 / 群众; dates parsable, not in the future, 入党
not before birth; 组织关系所在支部 a branch, 工作单位 a social organization (by name or
统一社会信用代码), both in the subtree of `org_id` (one elsewhere is not found, like one
that does not exist), at least one of them; no phone or ID number twice in the sheet; no
ID number already registered, no phone of a current member. Each error: its row (as Excel
numbers it), column, stable code and Chinese message."""


def _scope(caller: Principal) -> Scope:
    return caller.scope(Permission.MEMBERS_WRITE)


async def _org_before_upload(runtime: Runtime, caller: Principal, org_id: int) -> Organization:
    # Refused before the file is read, through a short read: a writer would hold SQLite's
    # write lock while a slow upload arrives.
    async with runtime.read_sessionmaker() as read:
        return await orgs_service.get_in_scope(read, _scope(caller), org_id)


async def _uploaded(request: Request) -> tuple[template.UploadedSheet, str | None]:
    received = await multipart.receive_file(
        request, UPLOAD_FIELD, limit=template.MAX_FILE_BYTES, refusals=UPLOAD_REFUSALS
    )
    return template.read_sheet(bytes(received.data)), received.filename


@router.get(
    "/template.xlsx",
    response_class=Response,
    responses={
        200: sheet.answer("党员花名册导入模板 (.xlsx)"),
        **responses(OrgNotFound),
    },
)
async def roster_template(
    org_id: OrgQuery, caller: MembersWriter, session: ReadSession, runtime: RuntimeDep
) -> Response:
    """The roster template: a 花名册 sheet with the Chinese headings, a 填写说明 sheet with
    what each column accepts, and a 可选组织 sheet listing the branches and social
    organizations of `org_id`'s subtree (names and 统一社会信用代码) the sheet may name."""
    org = await orgs_service.get_in_scope(session, _scope(caller), org_id)
    choices = await service.org_choices(session, org.id)
    workbook = template.build_template(org, choices.orgs, runtime.clock.now())
    return sheet.download(
        workbook,
        ascii_name=f"roster-template-{org.id}.xlsx",
        name=f"{org.name}-党员花名册模板.xlsx",
    )


@router.post(
    "/imports",
    openapi_extra=_UPLOAD_BODY,
    responses=responses(*_SHEET_ERRORS, RosterRowsInvalid),
    description="Import a roster into `org_id`'s subtree. `dry_run=true` (the default) "
    "checks every row and answers the report, writing nothing. `dry_run=false` commits: "
    "every row is written, in one transaction, through the member service (the roster "
    "ledger records each addition as `joined`, source `roster:import`), or, when any row "
    "has an error, none: 422 `roster.rows_invalid` whose details are the same report. "
    "Commits are serialized, so the same sheet committed twice at once is written once "
    "(the second finds its numbers taken). Callers: `members:write` (secretaries, "
    "committee admins)." + _LIMITS,
)
async def import_roster(
    org_id: OrgQuery,
    request: Request,
    caller: MembersWriter,
    session: DbSession,
    runtime: RuntimeDep,
    dry_run: Annotated[
        QueryFlag, Query(description="`true` (default): check only; `false`: write")
    ] = True,
) -> ImportReport:
    """Check a filled roster template, or import it (all rows or none)."""
    await _org_before_upload(runtime, caller, org_id)
    uploaded, filename = await _uploaded(request)
    if dry_run:
        async with runtime.read_sessionmaker() as read:
            result, _ = await service.dry_run(
                read, _scope(caller), runtime.cipher, org_id, uploaded, today=runtime.today()
            )
        return result
    return await service.commit(
        session,
        _scope(caller),
        runtime.cipher,
        org_id,
        uploaded,
        actor_account_id=caller.account_id,
        request_id=request_id_var.get(),
        filename=filename,
        today=runtime.today(),
        now=runtime.clock.now(),
    )


@router.post(
    "/imports/errors.xlsx",
    response_class=Response,
    openapi_extra=_UPLOAD_BODY,
    responses={
        200: sheet.answer("花名册及错误说明 (.xlsx)"),
        **responses(*_SHEET_ERRORS),
    },
    description="The uploaded roster given back as an .xlsx: its rows as they were, under "
    "its headings, with an added 错误 column listing each row's problems (`列：说明`), the "
    "same a dry run reports. Fixed and uploaded again, it is read like the template. "
    "Writes nothing." + _LIMITS,
)
async def roster_errors_workbook(
    org_id: OrgQuery, request: Request, caller: MembersWriter, runtime: RuntimeDep
) -> Response:
    """The uploaded roster with an 错误 column."""
    org = await _org_before_upload(runtime, caller, org_id)
    uploaded, _ = await _uploaded(request)
    async with runtime.read_sessionmaker() as read:
        _, checks = await service.dry_run(
            read, _scope(caller), runtime.cipher, org_id, uploaded, today=runtime.today()
        )
    workbook = template.build_errors_workbook(uploaded, service.problems_by_row(checks))
    return sheet.download(
        workbook, ascii_name=f"roster-errors-{org.id}.xlsx", name=f"{org.name}-花名册错误说明.xlsx"
    )
