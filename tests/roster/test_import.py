"""Roster import: the template, a dry run's report row by row, a commit of every row (the
members and the ledger's additions) or of none, the checks of each column, the limits of
the upload and the scope of the organization imported into."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select

from app.kit.clock import FrozenClock
from app.models import (
    AuditEvent,
    DepartureReason,
    Gender,
    Member,
    OrgKind,
    PartyStatus,
    Role,
    RosterChange,
    RosterChangeKind,
)
from app.roster.template import MAX_ROWS
from tests.factories import Factory
from tests.roster.helpers import (
    NOW,
    V1,
    Scene,
    build_scene,
    errors_of,
    id_number,
    read_book,
    workbook,
    wrong_check,
)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def scene(client: httpx.AsyncClient, factory: Factory) -> Scene:
    return await build_scene(client, factory)


def good_rows(scene: Scene) -> list[dict[str, object]]:
    w = scene.world
    assert w.social_a2.credit_code is not None
    return [
        {
            "姓名": "张三",
            "性别": "男",
            "手机号": "13800000001",
            "身份证号": id_number(date(1985, 6, 15), check="X"),
            "党员状态": "正式党员",
            "入党日期": "2010-07-01",
            "组织关系所在支部": "甲一支部",
            "工作单位": "甲一协会",
        },
        {
            "姓名": "李四",
            "性别": "女",
            "手机号": "139 0000 0002",
            "出生日期": date(1990, 1, 2),
            "党员状态": "预备党员",
            "入党日期": "2026/3/1",
            # by 统一社会信用代码, lower-cased as people type it
            "工作单位": w.social_a2.credit_code.lower(),
            "流动党员": "是",
        },
        {
            "姓名": "王五",
            "身份证号": id_number(date(1995, 12, 31), check="X").lower(),
            "出生日期": "1995年12月31日",
            "党员状态": "入党积极分子",
            "组织关系所在支部": "甲二支部",
        },
    ]


async def test_template_has_the_headings_what_each_accepts_and_the_orgs_in_scope(
    scene: Scene,
) -> None:
    response = await scene.client.get(
        f"{V1}/template.xlsx",
        params={"org_id": scene.world.street_a.id},
        headers=scene.admin.headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = read_book(response.content)
    assert list(book) == ["花名册", "填写说明", "可选组织"]
    assert book["花名册"][0] == [
        "姓名",
        "性别",
        "手机号",
        "身份证号",
        "出生日期",
        "党员状态",
        "入党日期",
        "组织关系所在支部",
        "工作单位",
        "流动党员",
    ]
    notes = {row[0]: row[1:] for row in book["填写说明"] if row and row[0]}
    assert notes["姓名"][0] == "必填"
    assert notes["党员状态"][0] == "必填"
    assert "正式党员" in notes["党员状态"][1]
    assert "预备党员" in notes["党员状态"][1]
    assert "GB 11643" in notes["身份证号"][1]
    assert "统一社会信用代码" in notes["工作单位"][1]
    orgs = {row[0]: row[1:] for row in book["可选组织"][1:]}
    w = scene.world
    assert set(orgs) == {"甲一支部", "甲二支部", "甲一协会", "甲二基金会"}
    assert orgs["甲一协会"] == ["社会组织", w.social_a1.credit_code, "工作单位"]
    assert orgs["甲一支部"][0] == "党支部"


async def test_good_rows_dry_run_writes_nothing_then_commit_writes_members_and_ledger(
    scene: Scene,
) -> None:
    data = workbook(good_rows(scene))
    before = await scene.counts()

    dry = await scene.upload(data)  # dry_run defaults to true
    assert dry.status_code == 200, dry.text
    assert dry.json() == {
        "org_id": scene.world.street_a.id,
        "dry_run": True,
        "committed": False,
        "total_rows": 3,
        "valid_rows": 3,
        "invalid_rows": 0,
        "created": 0,
        "errors": [],
        "ignored_columns": [],
    }
    assert await scene.counts() == before

    done = await scene.upload(data, dry_run=False)
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["dry_run"], body["committed"], body["created"], body["errors"]) == (
        False,
        True,
        3,
        [],
    )
    members_before, ledger_before, audit_before = before
    assert await scene.counts() == (members_before + 3, ledger_before + 3, audit_before + 1)

    w = scene.world
    async with scene.factory.runtime.sessionmaker() as session:
        members = {
            m.name: m
            for m in await session.scalars(
                select(Member).where(Member.name.in_(["张三", "李四", "王五"]))
            )
        }
        ledger = (
            await session.scalars(
                select(RosterChange).where(
                    RosterChange.member_id.in_([m.id for m in members.values()])
                )
            )
        ).all()
        audit = await session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.import"))
    zhang, li, wang = members["张三"], members["李四"], members["王五"]
    assert (zhang.gender, zhang.phone, zhang.birth_date) == (
        Gender.MALE,
        "13800000001",
        date(1985, 6, 15),
    )
    assert zhang.id_number_masked is not None
    assert zhang.id_number_masked.endswith("X")
    assert (zhang.party_status, zhang.joined_party_on) == (
        PartyStatus.FULL_MEMBER,
        date(2010, 7, 1),
    )
    assert (zhang.relation_org_id, zhang.workplace_org_id) == (w.branch_a1.id, w.social_a1.id)
    assert (li.phone, li.birth_date, li.party_status) == (
        "13900000002",
        date(1990, 1, 2),
        PartyStatus.PROBATIONARY,
    )
    assert (li.relation_org_id, li.workplace_org_id, li.is_mobile) == (None, w.social_a2.id, True)
    assert (wang.birth_date, wang.party_status, wang.relation_org_id) == (
        date(1995, 12, 31),
        PartyStatus.ACTIVIST,
        w.branch_a2.id,
    )
    assert sorted((c.member_id, c.org_id, c.kind, c.party_status) for c in ledger) == sorted(
        [
            (zhang.id, w.branch_a1.id, RosterChangeKind.JOINED, PartyStatus.FULL_MEMBER),
            (li.id, w.social_a2.id, RosterChangeKind.JOINED, PartyStatus.PROBATIONARY),
            (wang.id, w.branch_a2.id, RosterChangeKind.JOINED, PartyStatus.ACTIVIST),
        ]
    )
    assert {(c.source, c.recorded_by_account_id, c.occurred_on) for c in ledger} == {
        ("roster:import", scene.admin.account.id, date(2026, 12, 3))
    }
    assert audit is not None
    assert audit.details["rows"] == 3
    assert audit.object_id == w.street_a.id

    # The same sheet again: every row is now a duplicate of the roster, and nothing is written.
    again = await scene.upload(data, dry_run=False)
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "roster.rows_invalid"
    assert "roster.phone_taken" in {e["code"] for e in again.json()["error"]["details"]["errors"]}
    assert await scene.counts() == (members_before + 3, ledger_before + 3, audit_before + 1)


async def test_bad_rows_change_nothing_and_each_error_is_reported_with_its_row(
    scene: Scene,
) -> None:
    good = good_rows(scene)[0]
    rows = [
        good,  # row 2: right
        {
            "性别": "未知",
            "手机号": "1380000000",
            "党员状态": "党员",
            "组织关系所在支部": "甲一支部",
        },
        {
            "姓名": "赵六",
            "身份证号": id_number(date(1980, 2, 3)),
            "出生日期": "1980-02-04",
            "党员状态": "正式党员",
            "入党日期": "2027-01-01",
            "工作单位": "甲一协会",
        },
        {"姓名": "孙七", "党员状态": "预备党员", "入党日期": "2020-13-01"},
        {
            "姓名": "周八",
            "出生日期": "2000-01-01",
            "党员状态": "群众",
            "入党日期": "1999-12-31",
            "组织关系所在支部": "甲一协会",
            "工作单位": "甲一支部",
            "流动党员": "可能",
        },
        {"姓名": "吴九", "出生日期": "2030-01-01", "党员状态": "群众", "工作单位": "甲一协会"},
    ]
    before = await scene.counts()
    dry = await scene.upload(workbook(rows))
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["total_rows"], report["valid_rows"], report["invalid_rows"]) == (6, 1, 5)
    assert errors_of(report) == [
        (3, "姓名", "roster.name_required"),
        (3, "性别", "roster.gender_invalid"),
        (3, "手机号", "phone.invalid"),
        (3, "党员状态", "roster.status_invalid"),
        (4, "出生日期", "member.birth_date_mismatch"),
        (4, "入党日期", "member.joined_on_future"),
        (5, "入党日期", "date.format"),
        (5, None, "member.org_required"),
        (6, "入党日期", "member.joined_before_birth"),
        (6, "组织关系所在支部", "member.relation_not_branch"),
        (6, "工作单位", "member.workplace_not_social_org"),
        (6, "流动党员", "roster.flag_invalid"),
        (7, "出生日期", "member.birth_date_future"),
    ]
    messages = {(e["row"], e["code"]): e["message"] for e in report["errors"]}
    assert messages[(3, "roster.name_required")] == "姓名必填"
    assert messages[(4, "member.birth_date_mismatch")] == "出生日期与身份证号码不一致"

    refused = await scene.upload(workbook(rows), dry_run=False)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "roster.rows_invalid"
    assert error["message"] == "花名册有 5 行数据有误，未导入任何记录"
    assert error["details"]["errors"] == report["errors"]
    assert (error["details"]["dry_run"], error["details"]["created"]) == (False, 0)
    assert await scene.counts() == before  # not even the good row 2


async def test_id_number_checks_and_the_x_check_character(scene: Scene) -> None:
    x_number = id_number(date(1970, 1, 1), check="X")
    ten = id_number(date(1971, 1, 1), check="0")
    rows = [
        {
            "姓名": "甲",
            "身份证号": x_number,
            "出生日期": "1970-01-01",
            "党员状态": "群众",
            "工作单位": "甲一协会",
        },
        {
            "姓名": "乙",
            "身份证号": wrong_check(x_number),
            "党员状态": "群众",
            "工作单位": "甲一协会",
        },
        # X is the check character's place only; the right number with the X replaced by 0 fails
        {"姓名": "丙", "身份证号": x_number[:17] + "0", "党员状态": "群众", "工作单位": "甲一协会"},
        {"姓名": "丁", "身份证号": ten[:17] + "X", "党员状态": "群众", "工作单位": "甲一协会"},
        {
            "姓名": "戊",
            "身份证号": "32010219850230001X",
            "党员状态": "群众",
            "工作单位": "甲一协会",
        },
        {"姓名": "己", "身份证号": x_number[:16], "党员状态": "群众", "工作单位": "甲一协会"},
        {
            "姓名": "庚",
            "身份证号": "3201021985X615001X",
            "党员状态": "群众",
            "工作单位": "甲一协会",
        },
        # typed into a number cell, Excel keeps 15 digits: the number is lost
        {
            "姓名": "辛",
            "身份证号": 3.20102198501011e17,
            "党员状态": "群众",
            "工作单位": "甲一协会",
        },
        {"姓名": "壬", "身份证号": ten, "党员状态": "群众", "工作单位": "甲一协会"},
    ]
    report = (await scene.upload(workbook(rows))).json()
    assert errors_of(report) == [
        (3, "身份证号", "id_number.check_char"),
        (4, "身份证号", "id_number.check_char"),
        (5, "身份证号", "id_number.check_char"),
        (6, "身份证号", "id_number.birth_date"),  # 1985-02-30
        (7, "身份证号", "id_number.length"),
        (8, "身份证号", "id_number.charset"),
        (9, "身份证号", "roster.id_number_as_number"),
    ]


async def test_duplicates_in_the_sheet_and_against_the_roster(scene: Scene) -> None:
    w = scene.world
    taken_id = id_number(date(1988, 8, 8))
    await scene.factory.member(w.branch_a1, phone="13700000001", id_number=taken_id)
    # A member elsewhere (乙): the numbers are registered all the same.
    elsewhere_id = id_number(date(1977, 7, 7))
    await scene.factory.member(w.joint_b, phone="13700000002", id_number=elsewhere_id)
    # A member who left: their phone may be someone's now, their ID number stays theirs.
    departed_id = id_number(date(1966, 6, 6))
    departed = await scene.factory.member(w.branch_a1, phone="13700000003", id_number=departed_id)
    async with scene.factory.runtime.sessionmaker.begin() as session:
        row = await session.get_one(Member, departed.id)
        row.departed_at, row.left_on, row.departure_reason = (
            NOW,
            date(2026, 1, 1),
            DepartureReason.MOVED_AWAY,
        )

    same_id = id_number(date(1999, 9, 9))
    base = {"党员状态": "正式党员", "工作单位": "甲一协会"}
    rows = [
        {**base, "姓名": "一", "手机号": "13600000001", "身份证号": same_id},
        {**base, "姓名": "二", "手机号": "13600000001"},
        {**base, "姓名": "三", "身份证号": same_id.lower()},
        {**base, "姓名": "四", "手机号": "13700000001"},
        {**base, "姓名": "五", "身份证号": taken_id},
        {**base, "姓名": "六", "手机号": "13700000002", "身份证号": elsewhere_id},
        {**base, "姓名": "七", "手机号": "13700000003"},
        {**base, "姓名": "八", "身份证号": departed_id},
        {**base, "姓名": "九", "手机号": "136-0000-0001"},
    ]
    report = (await scene.upload(workbook(rows))).json()
    assert errors_of(report) == [
        (3, "手机号", "roster.phone_duplicate_in_sheet"),
        (4, "身份证号", "roster.id_number_duplicate_in_sheet"),
        (5, "手机号", "roster.phone_taken"),
        (6, "身份证号", "member.id_number_taken"),
        (7, "手机号", "roster.phone_taken"),
        (7, "身份证号", "member.id_number_taken"),
        (9, "身份证号", "member.id_number_taken"),
        (10, "手机号", "roster.phone_duplicate_in_sheet"),
    ]
    messages = {e["row"]: e["message"] for e in report["errors"]}
    assert messages[3] == "与第 2 行的手机号重复"
    assert messages[4] == "与第 2 行的身份证号重复"


async def test_orgs_by_name_or_credit_code_only_within_the_subtree(scene: Scene) -> None:
    w = scene.world
    assert w.social_b.credit_code
    assert w.social_a1.credit_code
    twin = await scene.factory.org(OrgKind.SOCIAL_ORG, "甲二基金会", w.branch_a1)  # same name
    assert twin.credit_code
    base = {"党员状态": "群众"}
    rows = [
        {**base, "姓名": "一", "工作单位": w.social_a1.credit_code},
        {**base, "姓名": "二", "工作单位": "乙服务中心"},  # exists, outside the scope
        {**base, "姓名": "三", "工作单位": w.social_b.credit_code},  # the same, by its code
        {**base, "姓名": "四", "工作单位": "不存在的协会"},
        {**base, "姓名": "五", "组织关系所在支部": "乙联合支部"},  # outside
        {**base, "姓名": "六", "组织关系所在支部": "不存在的支部"},
        {**base, "姓名": "七", "工作单位": "甲二基金会"},  # two of that name in the subtree
        {**base, "姓名": "八", "工作单位": twin.credit_code},  # told apart by the code
    ]
    report = (await scene.upload(workbook(rows))).json()
    assert errors_of(report) == [
        (3, "工作单位", "roster.workplace_not_found"),
        (4, "工作单位", "roster.workplace_not_found"),
        (5, "工作单位", "roster.workplace_not_found"),
        (6, "组织关系所在支部", "roster.relation_not_found"),
        (7, "组织关系所在支部", "roster.relation_not_found"),
        (8, "工作单位", "roster.workplace_ambiguous"),
    ]
    messages = {e["row"]: e["message"] for e in report["errors"]}
    # Outside the scope reads exactly as not existing.
    assert messages[3] == messages[4] == messages[5]

    # A secretary of 甲一支部 imports into their branch: 甲二基金会 under 甲二支部 is out of reach.
    narrow = await scene.upload(
        workbook([{**base, "姓名": "九", "工作单位": w.social_a2.credit_code}]),
        org_id=w.branch_a1.id,
        actor=scene.secretary,
    )
    assert errors_of(narrow.json()) == [(2, "工作单位", "roster.workplace_not_found")]


async def test_another_organization_is_not_found_and_a_plain_member_is_forbidden(
    scene: Scene,
) -> None:
    w = scene.world
    data = workbook(good_rows(scene))
    plain = await scene.factory.actor(None, None, relation=w.branch_a1)
    instructor = await scene.factory.actor(Role.INSTRUCTOR, w.street_a)
    before = await scene.counts()
    for path in ("imports", "imports/errors.xlsx"):
        for org_id in (w.branch_a2.id, w.street_b.id, w.city.id, 999_999):
            response = await scene.upload(
                data,
                org_id=org_id,
                actor=scene.secretary,
                path=path,
                dry_run=False if path == "imports" else None,
            )
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "org.not_found"
    template = await scene.client.get(
        f"{V1}/template.xlsx", params={"org_id": w.street_b.id}, headers=scene.admin.headers
    )
    assert template.status_code == 404
    response = await scene.upload(data, actor=plain)
    assert response.status_code == 403
    assert (await scene.upload(data, actor=instructor)).status_code == 403
    assert await scene.counts() == before


async def test_upload_limits_and_unreadable_files(scene: Scene) -> None:
    too_big = b"PK" + b"\0" * (5 * 1024 * 1024)
    response = await scene.upload(too_big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "roster.file_too_large"
    assert response.json()["error"]["details"]["max_size"] == "5 MB"

    too_many = workbook(
        [
            {"姓名": f"人{n}", "党员状态": "群众", "工作单位": "甲一协会"}
            for n in range(MAX_ROWS + 1)
        ]
    )
    response = await scene.upload(too_many)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "roster.too_many_rows"
    assert response.json()["error"]["details"] == {"max_rows": MAX_ROWS}

    for data in (b"name,phone\n", b"PK\x03\x04" + b"\0" * 64, b"", "姓名".encode() * 10):
        response = await scene.upload(data, filename="花名册.csv")
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] in {"roster.not_xlsx", "roster.file_missing"}
    response = await scene.upload(b"name,phone\n", filename="花名册.csv")
    assert response.json()["error"]["code"] == "roster.not_xlsx"

    response = await scene.upload(workbook([{"A": 1}], headings=["A", "B"]))
    assert response.json()["error"]["code"] == "roster.headings_missing"
    response = await scene.upload(workbook([], headings=["姓名", "手机号"]))
    assert response.json()["error"]["code"] == "roster.headings_missing"
    assert response.json()["error"]["details"] == {"missing": ["党员状态"]}
    response = await scene.upload(workbook([{}, {}]))
    assert response.json()["error"]["code"] == "roster.empty"

    no_file = await scene.client.post(
        f"{V1}/imports", params={"org_id": scene.world.street_a.id}, headers=scene.admin.headers
    )
    assert no_file.status_code == 422
    assert no_file.json()["error"]["code"] == "roster.file_missing"


async def test_headings_found_below_title_rows_in_any_order_unknown_ones_ignored(
    scene: Scene,
) -> None:
    headings = ["序号", "党员状态", "工作单位", "姓名*", "转正日期"]
    rows = [
        {
            "序号": 1,
            "党员状态": "正式党员",
            "工作单位": "甲一协会",
            "姓名*": "郑十",
            "转正日期": "2020-01-01",
        }
    ]
    done = await scene.upload(workbook(rows, headings=headings, title_rows=2), dry_run=False)
    assert done.status_code == 200, done.text
    assert done.json()["created"] == 1
    assert done.json()["ignored_columns"] == ["序号", "转正日期"]


async def test_the_filled_template_imports(scene: Scene) -> None:
    import io

    from openpyxl import load_workbook

    response = await scene.client.get(
        f"{V1}/template.xlsx",
        params={"org_id": scene.world.street_a.id},
        headers=scene.admin.headers,
    )
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["花名册"]
    sheet.append(
        [
            "钱一",
            "男",
            "13500000001",
            id_number(date(1980, 1, 1)),
            None,
            "正式党员",
            "2001-07-01",
            "甲一支部",
            None,
            "否",
        ]
    )
    out = io.BytesIO()
    book.save(out)
    done = await scene.upload(out.getvalue(), dry_run=False)
    assert done.status_code == 200, done.text
    assert (done.json()["total_rows"], done.json()["created"]) == (1, 1)


async def test_errors_workbook_marks_each_row_and_once_fixed_imports(scene: Scene) -> None:
    rows = [
        {"姓名": "好人", "党员状态": "群众", "工作单位": "甲一协会", "手机号": "13300000001"},
        {"姓名": "错人", "党员状态": "党员", "手机号": "123", "工作单位": "甲一协会"},
    ]
    before = await scene.counts()
    response = await scene.upload(workbook(rows), path="imports/errors.xlsx")
    assert response.status_code == 200, response.text
    sheet = read_book(response.content)["花名册"]
    assert sheet[0][-1] == "错误"
    assert sheet[0][:-1] == [
        "姓名",
        "性别",
        "手机号",
        "身份证号",
        "出生日期",
        "党员状态",
        "入党日期",
        "组织关系所在支部",
        "工作单位",
        "流动党员",
    ]
    assert sheet[1][0] == "好人"
    assert sheet[1][-1] is None
    assert sheet[1][2] == "13300000001"
    assert sheet[2][0] == "错人"
    assert sheet[2][-1] == (
        "手机号：手机号码格式不正确；党员状态：党员状态应填“正式党员”“预备党员”“入党积极分子”或“群众”"
    )
    assert await scene.counts() == before

    # The secretary fixes row 3 in the errors workbook and uploads it as it is.
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.content))
    fixed = book["花名册"]
    fixed["C3"] = "13300000002"
    fixed["F3"] = "预备党员"
    out = io.BytesIO()
    book.save(out)
    done = await scene.upload(out.getvalue(), dry_run=False)
    assert done.status_code == 200, done.text
    assert (done.json()["created"], done.json()["ignored_columns"]) == (2, [])


async def test_dates_as_people_type_them_and_as_excel_stores_them(scene: Scene) -> None:
    base = {"党员状态": "正式党员", "工作单位": "甲一协会"}
    rows = [
        {**base, "姓名": "一", "入党日期": "20100701"},
        {**base, "姓名": "二", "入党日期": 40360},  # Excel's day number of 2010-07-01
        {**base, "姓名": "三", "入党日期": "2010.7.1"},
        {**base, "姓名": "四", "入党日期": "2010-02-30"},
        {**base, "姓名": "五", "入党日期": "去年"},
        {**base, "姓名": "六", "入党日期": "1850-01-01"},
        {**base, "姓名": "七", "入党日期": 10**9},
    ]
    report = (await scene.upload(workbook(rows))).json()
    assert errors_of(report) == [
        (5, "入党日期", "date.format"),
        (6, "入党日期", "date.format"),
        (7, "入党日期", "date.out_of_range"),
        (8, "入党日期", "date.format"),
    ]
    done = await scene.upload(workbook(rows[:3]), dry_run=False)
    assert done.status_code == 200, done.text
    async with scene.factory.runtime.sessionmaker() as session:
        joined = set(
            await session.scalars(
                select(Member.joined_party_on).where(Member.name.in_(["一", "二", "三"]))
            )
        )
    assert joined == {date(2010, 7, 1)}


async def test_a_full_sheet_is_read_and_a_zip_bomb_is_not(scene: Scene) -> None:
    import io
    import zipfile

    full = workbook(
        [{"姓名": f"人{n}", "党员状态": "群众", "工作单位": "甲一协会"} for n in range(MAX_ROWS)]
    )
    report = (await scene.upload(full)).json()
    assert (report["total_rows"], report["invalid_rows"]) == (MAX_ROWS, 0)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (65 * 1024 * 1024))
    response = await scene.upload(out.getvalue())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "roster.workbook_too_large"


async def test_a_dry_run_and_the_errors_workbook_take_no_write_lock(
    app: FastAPI, scene: Scene
) -> None:
    """On SQLite a writer's BEGIN IMMEDIATE stops every other writer: checking a sheet
    must not, however long it takes."""
    data = workbook([{"姓名": "一", "党员状态": "群众", "工作单位": "甲一协会"}])
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    engine = app.state.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert (await scene.upload(data)).status_code == 200
        assert (await scene.upload(data, path="imports/errors.xlsx")).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert seen
    assert not [sql for sql in seen if sql.startswith(("BEGIN IMMEDIATE", "INSERT", "UPDATE"))]
