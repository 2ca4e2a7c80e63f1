"""缺陷报表 on the pages and `lintel report` on the command line: the same three workbooks, the same filters,
and a wrong filter said in the reader's words (the page in Chinese, 400; the command line, exit 2)."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from crm.platform import Foundation, Platform
from lintel.clock import FixedClock
from tests.handover.report_support import NOW, Known, known_defects
from tests.handover.test_reports import table
from tests.webapp.pages_support import login, text
from tests.webapp.test_cli import Lintel
from webapp.database import make_engine


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def known(platform, clock: FixedClock) -> Known:  # type: ignore[no-untyped-def]
    found = known_defects(platform, clock)
    platform.session.commit()
    return found


def test_the_reports_page_offers_the_three_reports_with_the_count_of_the_filter(client, known: Known) -> None:
    login(client, "eng_mgr")
    page = client.get(f"/defect-reports?project={known.project.id}")
    assert page.status_code == 200
    shown = text(page)
    assert "缺陷清单" in shown and "交付前整改统计（住建部门）" in shown and "缺陷反馈报告" in shown
    assert "符合条件的缺陷：5 项" in shown
    html = page.get_data(as_text=True)
    # Each report downloads what the filter's fields hold when its button is pressed.
    assert 'form="filters" formaction="/defect-reports/summary.xlsx"' in html
    assert f'<option value="{known.project.id}" selected>' in html
    assert "缺陷报表" in text(client.get("/"))  # in the menu


def test_a_report_downloads_as_a_workbook_of_the_filter(client, known: Known) -> None:
    login(client, "group_crc")
    response = client.get(f"/defect-reports/defects.xlsx?contractor={known.jia.id}&found_from=2026-11-01")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["Content-Disposition"]
    assert "缺陷清单-全部项目-20261120.xlsx" in unquote(disposition)
    rows = table(load_workbook(io.BytesIO(response.data))["缺陷清单"])
    assert {r["整改单号"] for r in rows} == {
        known.defects["closed"].number,
        known.defects["verifying"].number,
    }

    summary = client.get(f"/defect-reports/summary.xlsx?project={known.project.id}")
    totals = table(load_workbook(io.BytesIO(summary.data))["按项目楼栋"])[-1]
    assert (totals["项目"], totals["查验户数"], totals["发现问题数"]) == ("合计", 4, 5)
    feedback = client.get("/defect-reports/feedback.xlsx")
    assert load_workbook(io.BytesIO(feedback.data)).sheetnames == [
        "按类别部位",
        "按整改单位",
        "按项目",
        "高发问题",
        "环比",
    ]
    assert client.get("/defect-reports/owners.xlsx").status_code == 404


def test_wrong_filters_are_said_in_chinese_beside_their_fields(client, known: Known) -> None:
    login(client, "eng_mgr")
    wrong = f"?project={known.other.id}&building={known.b1.id}&found_from=2026-13-01&status=lost"
    for path in ("/defect-reports", "/defect-reports/defects.xlsx"):
        page = client.get(path + wrong)
        assert page.status_code == 400
        assert page.mimetype == "text/html"
        shown = text(page)
        assert "筛选条件有误" in shown
        assert "该楼栋不属于所选项目" in shown and "日期应写成 2026-11-20 这样的格式" in shown
        assert "请选择列表中的状态" in shown
    assert "不存在，可能已被删除" in text(client.get("/defect-reports?contractor=987654"))
    assert "请从列表中选择" in text(client.get("/defect-reports?project=江南府"))


def test_only_those_who_oversee_defects_export_them(client, known: Known) -> None:
    login(client, "crc")
    assert client.get("/defect-reports").status_code == 403
    assert client.get("/defect-reports/defects.xlsx").status_code == 403
    assert "缺陷报表" not in text(client.get("/"))


def test_the_command_line_writes_each_report_and_exits_2_on_a_wrong_filter(tmp_path: Path) -> None:
    lintel = Lintel(tmp_path)
    assert lintel("init", "--demo").exit_code == 0
    clock = FixedClock(NOW)
    with Session(make_engine(lintel.url)) as session:
        known = known_defects(Platform(session, Foundation(clock=clock)), clock)
        session.commit()
        closed = known.defects["closed"].number

    out = tmp_path / "清单.xlsx"
    result = lintel("report", "defects", "--project", "RPT", "--building", "1栋", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"defects: 4 rows written to {out}" in result.output
    rows = table(load_workbook(out)["缺陷清单"])
    assert rows[0]["整改单号"] == closed and {r["楼栋"] for r in rows} == {"1栋"}
    for kind in ("summary", "feedback"):
        written = tmp_path / f"{kind}.xlsx"
        assert lintel("report", kind, "--from", "2026-11-01", "--out", str(written)).exit_code == 0
        assert (
            load_workbook(written)
            .worksheets[0]["A2"]
            .value.startswith("项目：全部；发现日期：2026-11-01 至 至今")
        )

    wrong = lintel("report", "summary", "--project", "NOPE", "--to", "11/31", "-o", str(tmp_path / "x.xlsx"))
    assert wrong.exit_code == 2
    assert "--project 'NOPE': not found" in wrong.output
    assert "--to '11/31': must be a date like 2026-11-20" in wrong.output
    assert not (tmp_path / "x.xlsx").exists()
    assert lintel("report", "defects", "-o", str(tmp_path / "no" / "such" / "x.xlsx")).exit_code == 1
