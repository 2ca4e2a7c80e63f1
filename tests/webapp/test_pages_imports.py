"""The import page: an administrator uploads a file, the import runs in the background with its progress
kept on the job's row, the result lists the skipped rows with their line and reason (downloadable, written
to the personal-data log), and template files are offered per kind."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from crm.estate.import_files import read_table
from crm.estate.imports import Importer
from crm.estate.models import PersonalDataAccess, Unit
from tests.crm.test_estate_imports import OWNERS, PROJECTS, UNITS, xlsx
from tests.webapp.pages_support import login, text
from tests.webapp.test_pages_chinese import ALLOWED, crawl


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    queued: list[Callable[[], None]] = []
    app.extensions["lintel.import_runner"] = queued.append  # run when the test says so
    app.extensions["queued_imports"] = queued
    return app


def run_queued(app) -> None:  # type: ignore[no-untyped-def]
    queued = app.extensions["queued_imports"]
    while queued:
        queued.pop(0)()


def upload(client, kind: str, name: str, content: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        "/admin/import",
        data={"kind": kind, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_an_upload_imports_in_the_background_and_lists_the_skipped_rows(app, client, platform, clock) -> None:
    Importer(platform.session, clock).run("projects", read_table("p.xlsx", xlsx(PROJECTS)))
    Importer(platform.session, clock).run("units", read_table("u.xlsx", xlsx(UNITS)))
    platform.session.commit()
    login(client, "admin")
    response = upload(client, "owners", "业主.xlsx", xlsx(OWNERS))
    assert response.status_code == 302
    job_page = response.headers["Location"]

    waiting = client.get(job_page)
    assert "排队中" in text(waiting) and 'hx-trigger="every 1s"' in waiting.get_data(as_text=True)

    run_queued(app)
    progress = client.get(job_page + "/progress")
    shown = text(progress)
    assert "hx-trigger" not in progress.get_data(as_text=True)  # finished: the page stops asking
    assert "已完成" in shown
    assert "新增 3" in shown and "跳过 4" in shown
    for line, why in [
        ("5", "项目 XHY 的 1栋 0109 不存在，请先导入房号"),
        ("6", "电话「12345」不是有效的手机号或带区号的固定电话"),
        ("7", "证件号码「110101199003070012」无效"),
        ("8", "「联系业主」的「也许」应为 是/否"),
    ]:
        assert f"{line} " in shown and why.replace(" ", "") in shown.replace(" ", ""), why

    # After a reload, and in the list of recent imports.
    assert "证件号码「110101199003070012」无效" in text(client.get(job_page)).replace(" ", "")
    listing = text(client.get("/admin/import"))
    assert "业主.xlsx" in listing and "跳过 4" in listing

    download = client.get(job_page + "/problems.csv")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["行号", "列", "原因"] and [r[0] for r in rows[1:]] == ["5", "6", "7", "8"]
    logged = platform.session.scalars(
        select(PersonalDataAccess).where(PersonalDataAccess.what == "export")
    ).all()
    assert [(a.actor, a.via) for a in logged] == [("admin", "page")]


def test_the_import_pages_read_in_chinese(app, client, platform, clock) -> None:
    Importer(platform.session, clock).run("projects", read_table("p.xlsx", xlsx(PROJECTS)))
    platform.session.commit()
    login(client, "admin")
    job_page = upload(client, "units", "房号.xlsx", xlsx(UNITS)).headers["Location"]
    refused = upload(client, "owners", "业主.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    run_queued(app)
    found = crawl(client, ["/admin/import", job_page, refused.headers["Location"]], ALLOWED)
    assert found == {}


def test_a_file_that_cannot_be_read_is_refused_with_the_reason_on_the_page(app, client, platform) -> None:
    login(client, "admin")
    before = platform.session.query(Unit).count()
    response = upload(client, "units", "房号.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    run_queued(app)
    shown = text(client.get(response.headers["Location"]))
    assert "文件被拒绝" in shown and "旧版 Excel 文件（.xls）无法读取，请另存为 .xlsx 或 CSV" in shown
    missing = upload(client, "units", "缺列.csv", "项目编码,楼栋\nXHY,1栋\n".encode())
    run_queued(app)
    assert "缺少必填的列：房号" in text(client.get(missing.headers["Location"]))
    assert platform.session.query(Unit).count() == before


def test_an_upload_without_a_file_or_kind_says_what_is_missing(client) -> None:
    login(client, "admin")
    assert "请选择要导入的文件" in text(client.post("/admin/import", data={"kind": "units"}))
    assert "请选择要导入的内容" in text(client.post("/admin/import", data={"kind": "nothing"}))


@pytest.mark.parametrize("kind", ["projects", "units", "owners", "contracts", "contractors"])
def test_templates_are_offered_per_kind_and_import_as_they_are(client, kind: str) -> None:
    login(client, "admin")
    page = client.get("/admin/import").get_data(as_text=True)
    assert f"/admin/import/templates/{kind}.xlsx" in page and f"/admin/import/templates/{kind}.csv" in page

    book = client.get(f"/admin/import/templates/{kind}.xlsx")
    assert book.status_code == 200 and book.headers["Content-Disposition"].startswith("attachment")
    sheets = load_workbook(io.BytesIO(book.data), read_only=True).worksheets
    headers = next(sheets[0].iter_rows(values_only=True))
    assert headers[0] in ("项目编码", "名称")
    help_rows = list(sheets[1].iter_rows(values_only=True))
    assert help_rows[0][1] == "English header" and len(help_rows) > 2
    for name, content in (
        ("t.xlsx", book.data),
        ("t.csv", client.get(f"/admin/import/templates/{kind}.csv").data),
    ):
        Importer.check(kind, read_table(name, content))  # the headers fit the kind
    assert client.get(f"/admin/import/templates/{kind}.pdf").status_code == 404


def test_in_english_the_reasons_are_the_command_lines(app, client, platform, clock) -> None:
    Importer(platform.session, clock).run("projects", read_table("p.xlsx", xlsx(PROJECTS)))
    platform.session.commit()
    login(client, "admin")
    client.post("/lang", data={"lang": "en"})
    job_page = upload(client, "units", "units.xlsx", xlsx(UNITS)).headers["Location"]
    run_queued(app)
    shown = text(client.get(job_page))
    assert "Skipped rows" in shown and "project NOPE is not on file (import the projects first)" in shown
    assert "Import records" in text(client.get("/admin/import"))
