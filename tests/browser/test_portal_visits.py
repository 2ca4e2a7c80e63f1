"""An owner answers their return-visit questionnaire on a phone (390×844) in headless Chromium: the link of
their invitation asks for their phone, the stars, the 0–10 row and the choice buttons take a thumb, the answer
closes the visit; then a coordinator reads the campaign's results and the satisfaction figures on a desktop.
Screenshots under test-output/screenshots/."""

from __future__ import annotations

from sqlalchemy import select

from crm.platform import Platform
from crm.visits.models import Visit
from engine.models import ProcessInstance
from tests.browser.test_walkthrough import DESKTOP, PHONE, shot, sign_in
from tests.bulletins.support import estate
from tests.visits.online_support import add_visits, campaign


def online_visit(served) -> tuple[int, int, str]:  # type: ignore[no-untyped-def]
    """An online campaign of 临溪府 with one visit started: the campaign's id, the visit's, the phone."""
    with served.session() as session:
        platform = Platform(session, served.foundation)
        site = estate(platform, "LXF", "临溪府", waiting=0, handed_over=1, phone_base=700)
        made = campaign(platform)
        [visit] = add_visits(platform, made, [(site.handed_over["0101"], site.units["0101"])])
        session.commit()
        return made.id, visit.id, site.handed_over["0101"].phone or ""


def test_an_owner_answers_on_a_phone_and_the_centre_reads_the_results(served, browser) -> None:  # type: ignore[no-untyped-def]
    campaign_id, visit_id, phone = online_visit(served)
    base = served.url
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{base}/portal/visits/{visit_id}")
    assert "请输入购房时登记的业主手机号" in page.inner_text("main")
    page.fill("#phone", phone)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/portal/visits/{visit_id}")
    assert "交付回访问卷" in page.inner_text("main")
    # Every star, the 0–10 row and the choices fit the phone's width: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "portal-visit-questionnaire")

    # Sending with a question left out names it.
    page.click("#field-q_handover .stars-input label:nth-child(5)")
    page.click("button.wide-button")
    assert "还有题目没有答好" in page.inner_text("main")
    assert page.locator(".question.invalid").count() >= 4
    shot(page, "portal-visit-missing")

    for name, stars in (("q_handover", 5), ("q_quality", 4), ("q_rectification", 4), ("q_property", 2)):
        page.click(f"#field-{name} .stars-input label:nth-child({stars})")
    page.click("#field-overall .choice-buttons label:nth-child(2)")  # 一般
    page.click("#field-nps .nps-row label:nth-child(9)")  # 8
    page.fill("#f-comment", "物业保安经常不在岗")
    # The chosen star and those before it light up; the later ones do not.
    lit = page.locator("#field-q_quality .stars-input label").evaluate_all(
        "labels => labels.map(l => getComputedStyle(l).color)"
    )
    assert lit[0] == lit[3] != lit[4]
    shot(page, "portal-visit-answered-form")
    page.click("button.wide-button")
    page.wait_for_url(f"{base}/portal/visits/{visit_id}")
    main = page.inner_text("main")
    assert "问卷已提交，感谢您的评价" in main and "您提到的问题已转给客服中心跟进" in main
    shot(page, "portal-visit-thanks")
    assert errors == []
    context.close()

    with served.session() as session:
        visit = session.scalars(select(Visit).where(Visit.id == visit_id)).one()
        assert visit.status == "answered" and visit.lowest_score == 2 and visit.complaint_id is not None
        instance = session.get(ProcessInstance, visit.instance_id)
        assert instance is not None and instance.status == "completed"

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = desk.new_page()
    sign_in(page, base, "crc_sup")
    page.goto(f"{base}/campaigns/{campaign_id}/results")
    main = page.inner_text("main")
    assert "回访成功率" in main and "100.0%" in main and "物业保安经常不在岗" in main
    assert page.locator("#dissatisfied tbody tr").count() == 1
    shot(page, "campaign-results")
    page.goto(f"{base}/satisfaction")
    assert "临溪府" in page.inner_text("#by-project")
    shot(page, "satisfaction")
    page.goto(f"{base}/questionnaires")
    page.click("text=交付回访问卷")
    page.click("text=新版本")
    page.click("button[value='add']")
    page.fill("#q-7-label", "园林绿化")
    page.click(".form-actions button[value='save']")
    assert "第 2 版" in page.inner_text("main") and "园林绿化" in page.inner_text("main")
    shot(page, "questionnaire-version-2")
    page.click("text=新版本")
    page.wait_for_selector("#q-7-label")
    shot(page, "questionnaire-editor")
    desk.close()
