"""Questionnaires: a new version from the editor's questions (the campaign keeps its version), problems named
per question in Chinese, a new questionnaire, stopping one; the pages and the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm.platform import Platform
from crm.visits.models import Questionnaire
from crm.visits.questionnaires import Question, Questionnaires, as_form, questions_of
from engine.errors import InvalidData
from tests.visits.online_support import campaign, questionnaire
from tests.webapp.pages_support import login, text


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def service(platform: Platform) -> Questionnaires:
    return Questionnaires(platform.session, platform.clock)


def test_a_new_version_keeps_the_names_and_values_and_the_campaign_keeps_its_version(
    platform: Platform,
) -> None:
    first = questionnaire(platform, "satisfaction")
    used = campaign(platform, key="satisfaction")
    questions = questions_of(first.definition)
    assert [q.type for q in questions] == ["rating", "choice", "nps", "text"]
    edited = [
        Question("rating", "新增：物业服务", True),
        *questions[:2],
        Question("choice", "您是否愿意参加业主活动", False, ("愿意", "不愿意")),
        *questions[2:],
    ]
    second = service(platform).save_version("satisfaction", "满意度专题回访问卷（2027）", edited, "crc_sup")

    assert (second.key, second.version, second.created_by) == ("satisfaction", 2, "crc_sup")
    form = as_form(second)
    assert [f.name for f in form.fields] == ["q1", "q_overall", "overall", "q2", "nps", "comment"]
    overall = form.field("overall")
    assert [c.value for c in overall.choices] == ["satisfied", "neutral", "dissatisfied"]
    assert overall.label_en == "Overall"  # an unchanged wording keeps its English
    assert [c.label for c in form.field("q2").choices] == ["愿意", "不愿意"]
    assert form.field("nps").min == 0 and form.field("nps").max == 10
    platform.session.refresh(used)
    assert used.questionnaire_id == first.id and first.version == 1


def test_every_problem_is_named_at_once(platform: Platform) -> None:
    bad = [
        Question("rating", "", True),
        Question("choice", "只有一个选项", False, ("好",)),
        Question("nps", "推荐一", False),
        Question("nps", "推荐二", False),
        Question("slider", "滑块", False),
    ]
    with pytest.raises(InvalidData) as refused:
        service(platform).save_version("satisfaction", " ", bad, "crc")
    assert refused.value.fields == {
        "title": "required",
        "questions.1.label": "required",
        "questions.2.options": "a choice question needs two or more options",
        "questions.4.type": "only one 0–10 recommendation question",
        "questions.5.type": "unknown question type",
    }
    with pytest.raises(InvalidData) as empty:
        service(platform).save_version(None, "空问卷", [], "crc")
    assert empty.value.fields == {"questions": "add at least one question"}
    versions = platform.session.scalars(
        select(Questionnaire).where(Questionnaire.key == "satisfaction")
    ).all()
    assert len(versions) == 1


def test_a_new_questionnaire_and_stopping_it(platform: Platform) -> None:
    made = service(platform).save_version(
        None, "园区活动回访", [Question("rating", "活动组织", True), Question("text", "建议", False)], "crc"
    )
    assert made.key.startswith("custom_") and made.version == 1 and made.active
    service(platform).set_active(made.key, False)
    assert made not in service(platform).latest(active_only=True)


def test_the_editor_moves_adds_and_saves_with_errors_in_chinese(client, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    first = questionnaire(platform, "satisfaction")
    login(client, "crc_sup")
    page = client.get(f"/questionnaires/{first.id}/edit")
    assert page.status_code == 200 and "保存后为第 2 版" in text(page)
    form = {
        "title": "满意度专题回访问卷",
        "count": "2",
        "q-0-type": "rating",
        "q-0-label": "总体满意度",
        "q-0-required": "1",
        "q-0-name": "q_overall",
        "q-1-type": "choice",
        "q-1-label": "是否推荐",
        "q-1-options": "会",
    }
    moved = client.post(f"/questionnaires/{first.id}/edit", data={**form, "action": "down:0"})
    html = moved.get_data(as_text=True)
    assert moved.status_code == 200 and html.index("是否推荐") < html.index("总体满意度")
    refused = client.post(f"/questionnaires/{first.id}/edit", data={**form, "action": "save"})
    assert refused.status_code == 422 and "单选题至少需要两个选项" in text(refused)
    saved = client.post(
        f"/questionnaires/{first.id}/edit", data={**form, "q-1-options": "会\n不会", "action": "save"}
    )
    assert saved.status_code == 302
    shown = text(client.get(saved.headers["Location"]))
    assert "第 2 版" in shown and "是否推荐" in shown and "会 / 不会" in shown
    listing = text(client.get("/questionnaires"))
    assert "满意度专题回访问卷" in listing and "共 2 版" in listing


def test_the_api_lists_and_writes_a_version(client, auth, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    listed = client.get("/api/v1/questionnaires", headers=auth("crc"))
    assert listed.status_code == 200
    keys = {q["key"]: q for q in listed.get_json()["questionnaires"]}
    assert set(keys) >= {"post_signing", "post_handover", "four_year", "satisfaction"}
    assert keys["satisfaction"]["questions"][2] == {
        "type": "nps",
        "label": "您向亲友推荐我们的可能性有多大？（0–10 分）",
        "required": False,
        "options": [],
        "name": "nps",
    }
    body = {
        "key": "satisfaction",
        "title": "满意度专题回访问卷",
        "questions": [{"type": "rating", "label": "总体", "required": True, "name": "q_overall"}],
    }
    made = client.post("/api/v1/questionnaires", json=body, headers=auth("crc"))
    assert made.status_code == 201 and made.get_json()["version"] == 2
    assert len(made.get_json()["versions"]) == 2
    bad = client.post(
        "/api/v1/questionnaires",
        json={**body, "questions": [{"type": "choice", "label": "单选", "options": ["一"]}]},
        headers=auth("crc"),
    )
    assert bad.status_code == 422
    assert bad.get_json()["fields"] == {"questions.1.options": "a choice question needs two or more options"}
    unknown = client.post("/api/v1/questionnaires", json={**body, "key": "nope"}, headers=auth("crc"))
    assert unknown.status_code == 404
    wrong_type = client.post(
        "/api/v1/questionnaires",
        json={**body, "questions": [{"type": "slider", "label": "x"}]},
        headers=auth("crc"),
    )
    assert wrong_type.status_code == 422 and "questions" in wrong_type.get_json()["fields"]
    assert client.get("/api/v1/questionnaires", headers=auth("eng")).status_code == 403
