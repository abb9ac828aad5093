"""The transfers list as an Excel sheet: the caller's transfers only, with Chinese headings."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.transfers.scene import OUTSIDE, V1, Scene


async def test_the_sheet_lists_the_callers_transfers_with_chinese_headings(scene: Scene) -> None:
    w = scene.world
    crossing = await scene.start(scene.sec_a1, to_org_id=w.branch_a2.id)
    leaving = await scene.start(
        scene.sec_a1, member_id=(await scene.factory.member(w.branch_a1)).id, **OUTSIDE
    )

    response = await scene.client.get(f"{V1}/transfers.xlsx", headers=scene.sec_a1.headers)
    assert response.status_code == 200, response.text
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "组织关系转接"
    assert rows[1][0] == "状态：全部"
    assert str(rows[2][0]).startswith("生成时间：")
    assert rows[3][:4] == ("编号", "党员", "类型", "转出组织")
    listed = {row[0]: row for row in rows[4:] if isinstance(row[0], int)}
    assert set(listed) == {crossing["id"], leaving["id"]}
    assert listed[leaving["id"]][5] == OUTSIDE["letter_number"]
    assert listed[crossing["id"]][6] == crossing["status_label"]

    # 乙's secretary decides no step of either: an empty sheet, not theirs.
    other = await scene.client.get(f"{V1}/transfers.xlsx", headers=scene.sec_b.headers)
    rows = list(load_workbook(io.BytesIO(other.content)).active.iter_rows(values_only=True))
    assert [row for row in rows[4:] if isinstance(row[0], int)] == []
    refused = await scene.client.get(f"{V1}/transfers.xlsx", headers=scene.mover.headers)
    assert refused.status_code == 403
