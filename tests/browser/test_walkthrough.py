"""A complaint from the hotline to the owner's rating, through the pages, in headless Chromium.

crc registers it and triages it (first with a mistake), eng handles it with a photo, crc replies, the
owner reads the reply on the portal from a phone and adds a note, the centre records the owner's
confirmation with its score, which the portal then shows as the one rating.
Each page is saved under test-output/screenshots/.
"""

from __future__ import annotations

import re
import struct
import zlib
from datetime import timedelta
from pathlib import Path

from crm.directory import actor_for
from crm.platform import Platform
from engine.models import HumanTask
from tests.browser.conftest import SCREENSHOTS

OWNER_PHONE = "13800000001"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def png(path: Path) -> Path:
    """A small real photo-like PNG (a gradient), made without any imaging library."""
    width, height = 96, 64
    rows = b"".join(
        b"\x00" + b"".join(bytes((40 + x, 90 + y, 160)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def seed_other_complaints(served) -> None:  # type: ignore[no-untyped-def]
    """A few complaints already in the centre's queue, one of them overdue, so the inbox looks like a day."""
    with served.session() as session:
        platform = Platform(session, served.foundation)
        crc = actor_for(platform.directory.user("crc"))
        for phone, text in (
            ("13800000003", "地下车库顶板渗水，车辆被滴脏"),
            ("13800000004", "入户门关闭不严，冬天漏风"),
            ("13800000002", "小区东门道闸经常失灵"),
        ):
            platform.complaints.register(crc, channel="forum", description=text, owner_phone=phone)
        session.flush()
        first = session.query(HumanTask).order_by(HumanTask.id).first()
        assert first is not None
        first.due_at = served.foundation.clock.now() - timedelta(hours=5)
        session.commit()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.click(".me form button:has-text('退出')")
    page.wait_for_selector("#username")


def open_current_task(page, base: str, instance_id: int) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/requests/{instance_id}")
    page.click(".head a.badge")
    page.wait_for_selector("form[action$='/complete']")


def test_a_complaint_from_registration_to_the_owners_rating(served, browser, tmp_path) -> None:
    seed_other_complaints(served)
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # -- the coordinator signs in -------------------------------------------------------------------
    page.goto(f"{base}/inbox")
    page.wait_for_selector("#username")
    shot(page, "01-sign-in")
    sign_in(page, base, "crc")
    assert "李娜（客服专员）" in page.inner_text(".me")
    shot(page, "02-home")

    # -- issues an API token for a script on her own page: shown this once, then listed --------------
    page.click(".me a:has-text('李娜')")
    page.fill("#name", "日报脚本")
    page.click("form[action$='/account/tokens'] button[type=submit]")
    page.wait_for_selector("#new-token")
    assert page.inner_text("#new-token").startswith("lt_")
    assert "日报脚本" in page.inner_text("table.list")
    shot(page, "02-account")

    # -- registers a complaint, finding the owner by phone with htmx --------------------------------
    page.click("nav a:has-text('登记投诉')")
    page.fill("#q", OWNER_PHONE)
    page.wait_for_selector("#owner-results input[name=owner]")
    assert "张伟" in page.inner_text("#owner-results")
    page.select_option("#channel", "hotline")
    page.select_option("#category", "quality")
    page.fill("#description", "主卧卫生间天花板渗水，楼上业主不在家，已持续一周。")
    shot(page, "03-register")
    page.click("form button[type=submit]:text-is('登记')")
    page.wait_for_selector(".diagram[data-ready]", state="attached")
    assert page.get_attribute(".diagram", "data-ready") == "true"
    flash = page.inner_text(".flash.ok")
    number = re.search(r"TS-\d{4}-\d{6}", flash).group(0)
    instance_id = int(page.url.rsplit("/", 1)[-1])
    assert page.locator(".djs-element.lintel-current[data-element-id=triage]").count() == 1

    # -- claims the triage task in the inbox ---------------------------------------------------------
    page.click("nav a:has-text('收件箱')")
    row = page.locator("tr", has_text=number)
    assert "待认领" in row.inner_text()
    assert "逾期" in page.inner_text("table.inbox tbody tr:first-child")  # the overdue one comes first
    shot(page, "04-inbox")
    row.locator("button:has-text('认领')").click()
    page.wait_for_selector(".flash.ok")
    assert "李娜（客服专员）" in page.locator("tr", has_text=number).inner_text()

    # -- submits the triage form with a mistake, sees it beside the field, fixes it -----------------
    page.locator("tr", has_text=number).locator("a:has-text('打开')").click()
    page.wait_for_selector("form[action$='/complete']")
    page.select_option("#f-category", "quality")
    page.select_option("#f-department", "engineering")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_selector("#err-severity")
    assert page.inner_text("#err-severity") == "必填"
    assert page.locator("#f-department").input_value() == "engineering"  # what was chosen stays
    shot(page, "05-task-error")
    page.select_option("#f-severity", "high")
    page.fill("#f-note", "请工程部尽快上门查看")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert "已完成「客服分派」" in page.inner_text(".flash.ok")

    page.goto(f"{base}/requests/{instance_id}")
    page.wait_for_selector(".diagram[data-ready]", state="attached")
    assert page.locator(".djs-element.lintel-current[data-element-id=handle]").count() == 1
    assert page.locator(".djs-element.lintel-done[data-element-id=triage]").count() == 1
    shot(page, "06-request")
    sign_out(page)

    # -- the engineering handler completes the handling step with a photo ---------------------------
    sign_in(page, base, "eng")
    page.click("nav a:has-text('收件箱')")
    page.locator("tr", has_text=number).locator("a:has-text('打开')").click()
    page.wait_for_selector("#f-resolution")
    page.fill("#f-resolution", "已上门检查，更换楼上卫生间防水层并做闭水试验 48 小时，无渗漏。")
    page.set_input_files("#f-attachments", str(png(tmp_path / "现场照片.png")))
    shot(page, "07-handle")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_selector(".flash.ok")
    sign_out(page)

    # -- the coordinator replies to the owner and records the owner's answer, in one step --------------
    sign_in(page, base, "crc")
    page.goto(f"{base}/inbox?view=mine")  # first-contact ownership: it came back to her, not the queue
    page.locator("tr", has_text=number).locator("a:has-text('打开')").click()
    page.wait_for_selector("form[action$='/complete']")
    assert "现场照片.png" in page.inner_text("aside")
    page.fill("#f-reply", "您好，渗水已处理完毕，闭水试验无渗漏，请您查看。")
    page.check("input[name=reached][value=no]")  # the first call: the owner does not answer
    shot(page, "08-reply-and-confirm")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_selector(".flash.ok")

    # -- the owner, on a phone, looks the request up and reads the reply written for them -----------
    phone = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    owner = phone.new_page()
    owner.on("pageerror", lambda exc: errors.append(str(exc)))
    owner.goto(f"{base}/portal")
    owner.fill("#number", number)
    owner.fill("#phone", "13900000000")
    owner.click("form button[type=submit]")
    owner.wait_for_selector(".flash.error")
    owner.fill("#number", number)
    owner.fill("#phone", OWNER_PHONE)
    shot(owner, "09-portal-lookup")
    owner.click("form button[type=submit]")
    owner.wait_for_selector(".status-big")
    assert owner.inner_text(".status-big") == "等待与您确认处理结果"
    assert owner.inner_text(".card.reply").startswith("客服中心的答复")
    assert "您好，渗水已处理完毕，闭水试验无渗漏，请您查看。" in owner.inner_text(".card.reply")
    body = owner.inner_text("body")
    assert "李娜" not in body and "赵工" not in body and "请工程部尽快上门查看" not in body
    assert "更换楼上卫生间防水层" not in body  # the handler's resolution is for the staff
    width = owner.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the portal scrolls sideways on a phone ({width}px)"
    owner.fill("#text", "周末家里有人，可以上门复查。")
    owner.click("form button[type=submit]:has-text('提交补充信息')")
    owner.wait_for_selector(".flash.ok")
    assert "您补充了信息" in owner.inner_text("ol.timeline")
    shot(owner, "10-portal-reply")

    # -- the coordinator calls again, reaches the owner and records the answer ----------------------
    open_current_task(page, base, instance_id)
    assert page.locator("#f-reply").input_value().startswith("您好，渗水已处理完毕")
    page.check("input[name=reached][value=yes]")
    page.check("input[name=satisfied][value=yes]")
    page.click(".rating label:has-text('5')")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_selector(".flash.ok")
    page.goto(f"{base}/requests/{instance_id}")
    page.wait_for_selector(".diagram[data-ready]", state="attached")
    assert "已结案" in page.inner_text(".head")
    assert "业主在服务平台补充了信息" in page.inner_text("body")
    shot(page, "08-request-closed")
    context.close()

    # -- the owner sees it closed, with the score given on the phone as the one rating --------------
    owner.reload()
    owner.wait_for_selector(".status-big")
    assert owner.inner_text(".status-big") == "已办结"
    body = owner.inner_text("body")
    assert "您的评价" in body and "★★★★★" in body and "提交评价" not in body and "催办" not in body
    shot(owner, "10-portal-rated")
    phone.close()

    assert errors == []


def test_a_coordinator_registers_and_triages_in_one_go_and_owns_the_reply(served, browser) -> None:  # type: ignore[no-untyped-def]
    base = served.url
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, "crc")

    # -- a major owner calls; the coordinator has all she needs and triages as she registers --------
    page.click("nav a:has-text('登记投诉')")
    page.fill("#q", "2栋0801")
    page.wait_for_selector("#owner-results input[name=owner]")
    assert "刘洋" in page.inner_text("#owner-results") and "重要客户" in page.inner_text("#owner-results")
    page.select_option("#channel", "hotline")
    page.select_option("#category", "quality")
    page.fill("#description", "客厅窗户密封不严，下雨时窗台积水。")
    page.click(".triage-now summary")
    page.select_option("#severity", "high")
    page.select_option("#department", "engineering")
    page.fill("#note", "重要客户，请优先安排")
    shot(page, "16-register-and-triage")
    page.click("form button[type=submit]:text-is('登记并分派')")
    page.wait_for_selector(".diagram[data-ready]", state="attached")
    flash = page.inner_text(".flash.ok")
    assert "并分派" in flash
    number = re.search(r"TS-\d{4}-\d{6}", flash).group(0)
    instance_id = int(page.url.rsplit("/", 1)[-1])
    assert page.locator(".djs-element.lintel-current[data-element-id=handle]").count() == 1
    facts = page.inner_text("dl.facts")
    assert "首次响应时限" in facts and "已按时完成" in facts and "结案时限" in facts and "剩余" in facts
    assert "重要客户" in page.inner_text(".head")
    shot(page, "17-registered-and-triaged")
    sign_out(page)

    # -- engineering handles it -------------------------------------------------------------------------
    sign_in(page, base, "eng")
    page.goto(f"{base}/inbox")
    page.locator("tr", has_text=number).locator("a:has-text('打开')").click()
    page.fill("#f-resolution", "更换窗扇密封胶条并补打外侧密封胶，淋水试验无渗漏。")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_selector(".flash.ok")
    sign_out(page)

    # -- back with her (首问负责): the owner does not answer the first call -----------------------------
    sign_in(page, base, "crc")
    page.goto(f"{base}/inbox?view=mine")
    row = page.locator("tr", has_text=number)
    assert "回复业主并确认" in row.inner_text() and "李娜（客服专员）" in row.inner_text()
    assert "重要客户" in row.inner_text()
    row.locator("a:has-text('打开')").click()
    page.check("input[name=reached][value=no]")
    page.fill("#f-reply", "您好，窗户密封已更换，淋水试验无渗漏。")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_selector(".flash.ok")

    # -- the keyboard: J moves to a row, Enter opens it ------------------------------------------------
    page.goto(f"{base}/inbox?view=mine")
    page.wait_for_selector("table.inbox[data-keyboard]")
    rows = page.locator("table.inbox tbody tr")
    target = next(i for i in range(rows.count()) if number in rows.nth(i).inner_text())
    for _ in range(target + 1):
        page.keyboard.press("j")
    assert number in page.inner_text("table.inbox tr.focused")
    shot(page, "18-inbox-keyboard")
    page.keyboard.press("Enter")
    page.wait_for_selector("form[action$='/complete']")
    assert page.locator("#f-reply").input_value().startswith("您好，窗户密封已更换")  # kept for the next call
    page.check("input[name=reached][value=yes]")
    page.check("input[name=satisfied][value=yes]")
    page.click(".rating label:has-text('4')")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_selector(".flash.ok")

    # -- found again later by the last four digits of the owner's phone -------------------------------
    page.click("nav a:has-text('工单查询')")
    page.fill("#q", "0003")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector("table.lookup")
    row = page.locator("table.lookup tr", has_text=number)
    assert "已结案" in row.inner_text() and "重要客户" in row.inner_text()
    shot(page, "19-lookup")
    row.locator(f"a:has-text('{number}')").click()
    page.wait_for_selector(".timeline")
    assert "未联系上业主 1 次" in page.inner_text("dl.facts")
    page.goto(f"{base}/requests/{instance_id}/print")
    page.wait_for_selector("body.print")
    assert page.locator("nav").count() == 0 and page.locator("form").count() == 0
    shot(page, "20-print")
    context.close()
    assert errors == []


def test_the_inbox_fits_a_tablet(served, browser) -> None:
    seed_other_complaints(served)
    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="zh-CN", has_touch=True)
    page = context.new_page()
    sign_in(page, served.url, "crc_sup")
    page.goto(f"{served.url}/inbox?department=*")
    page.wait_for_selector("table.inbox")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 768, f"the inbox scrolls sideways on a tablet ({width}px)"
    shot(page, "11-inbox-tablet")
    context.close()


def test_an_overdue_complaint_climbs_to_the_department_manager(served, browser) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import sessionmaker

    from engine.timers import TimerJob

    clock = served.foundation.clock
    with served.session() as session:
        platform = Platform(session, served.foundation)
        crc = actor_for(platform.directory.user("crc"))
        complaint = platform.complaints.register(
            crc, channel="hotline", description="厨房下水管堵塞，已三天无法使用", owner_phone="13800000004"
        )
        triage = platform.tasks.open_tasks_of(complaint.instance_id)[0]
        platform.tasks.complete(
            triage.id, {"category": "quality", "severity": "urgent", "department": "engineering"}, crc
        )
        session.commit()
        number, instance_id = complaint.number, complaint.instance_id
    job = TimerJob(sessionmaker(served.engine), lambda s: Platform(s, served.foundation).runtime)
    job.run_until(clock.now() + timedelta(days=4), clock)  # one working day late, and then some

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, served.url, "eng_mgr")
    shot(page, "12-manager-home")
    page.goto(f"{served.url}/inbox?view=mine")
    page.wait_for_selector("table.inbox")
    assert number in page.inner_text("table.inbox") and "部门经理督办" in page.inner_text("table.inbox")
    shot(page, "13-manager-inbox")
    page.click(f"table.inbox tr:has-text('{number}') a:has-text('部门经理督办')")
    page.wait_for_selector("form[action$='/complete']")
    step = page.locator("#overdue-step")
    card = step.inner_text()
    assert "责任部门处理" in card and "待认领" in card and "逾期" in card
    shot(page, "14-escalation-task")
    step.locator("select").select_option(label="赵工（工程部）")  # assigns the overdue step right there
    step.locator("button[type=submit]").click()
    page.wait_for_selector(".flash.ok")
    assert "处理人 赵工（工程部）" in page.inner_text("#overdue-step").replace("\n", " ").replace("\t", " ")
    page.fill("#f-action", "已电话督促施工单位，今天下班前疏通。")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_selector(".flash.ok")
    page.goto(f"{served.url}/requests/{instance_id}")
    page.wait_for_selector(".timeline")
    body = page.inner_text("body")
    assert "系统 「责任部门处理」逾期，转一级督办" in body
    assert "孙经理（工程部经理） 完成了「处理超时：部门经理督办」" in body
    shot(page, "15-request-escalated")
    context.close()
    assert errors == []


def test_a_supervisor_reassigns_a_task_a_colleague_holds(served, browser) -> None:  # type: ignore[no-untyped-def]
    with served.session() as session:
        platform = Platform(session, served.foundation)
        crc = actor_for(platform.directory.user("crc"))
        complaint = platform.complaints.register(
            crc, channel="hotline", description="阳台推拉门滑轨变形，关不严", owner_phone="13800000005"
        )
        triage = platform.tasks.open_tasks_of(complaint.instance_id)[0]
        platform.tasks.claim(triage.id, crc)  # the coordinator took it, then went on leave
        session.commit()
        number, instance_id, task_id = complaint.number, complaint.instance_id, triage.id

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, served.url, "crc_sup")
    page.goto(f"{served.url}/inbox")
    page.wait_for_selector("table.inbox")
    assert "李娜（客服专员）" in page.locator("tr", has_text=number).inner_text()
    page.locator("tr", has_text=number).locator("a:has-text('打开')").click()
    page.wait_for_selector("form[action$='/reassign']")
    assert "此任务由 李娜（客服专员） 处理" in page.inner_text("body")
    assert page.locator("form[action$='/complete']").count() == 0  # nothing to type that would be refused
    page.select_option("form[action$='/reassign'] select", label="王强（客服中心主管）")
    shot(page, "16-supervisor-reassign")
    page.click("form[action$='/reassign'] button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert "已把「客服分派」改派给 王强（客服中心主管）。" in page.inner_text(".flash.ok")
    page.wait_for_selector(f"form[action='/tasks/{task_id}/complete']")  # now theirs to fill in
    page.goto(f"{served.url}/requests/{instance_id}")
    page.wait_for_selector(".timeline")
    assert "把「客服分派」从 李娜（客服专员） 改派给 王强（客服中心主管）" in page.inner_text(".timeline")
    shot(page, "17-request-reassigned")
    context.close()
    assert errors == []


def test_any_process_is_started_from_its_start_page_and_shows_where_it_is(served, browser) -> None:  # type: ignore[no-untyped-def]
    """A coordinator starts 业主咨询 (a diagram in the Camunda dialect) from 发起流程: the new request's page
    has its number and name, and its diagram shows the step it waits in."""
    with served.session() as session:
        platform = Platform(session, served.foundation)
        inquiry = Path(__file__).parents[1] / "data" / "owner_inquiry.bpmn"
        platform.definitions.deploy(inquiry.read_bytes(), "owner_inquiry.bpmn", actor="admin")
        session.commit()

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, served.url, "crc")
    page.click("nav >> text=发起流程")
    page.wait_for_selector("text=业主咨询")
    shot(page, "18-start-list")
    page.locator("tr", has_text="业主咨询").locator("a:has-text('发起')").click()
    page.wait_for_selector("text=此流程发起时不需要填写内容。")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert re.search(r"已发起 ZX-\d{4}-000001。", page.inner_text(".flash.ok"))
    assert "业主咨询" in page.inner_text("h1")
    page.wait_for_selector(".djs-element.lintel-current[data-element-id=answer]", timeout=15000)
    shot(page, "19-started-request")
    context.close()
    assert errors == []
