"""Any deployed process is a request: started through the API, the command line or its start page, it has a
number with its diagram's prefix, a title from its diagram's expression, and shows in the index, inbox,
search, request page and the portal like a complaint does."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from crm.estate.models import Owner
from crm.models import RequestIndex
from crm.platform import Foundation, Platform
from engine.models import ProcessInstance
from forms import FormRegistry
from lintel.clock import FixedClock
from tests.conftest import DATA
from tests.webapp.pages_support import actor, login, open_task, text
from tests.webapp.test_pages_chinese import ALLOWED, crawl

REPAIR_BPMN = DATA / "repair_request.bpmn"
REPAIR_FORMS = DATA / "repair_forms"
START = "/api/v1/process-definitions/repair_request/instances"


def repair_forms() -> FormRegistry:
    bundled = FormRegistry.bundled()
    extra = FormRegistry.from_directory(REPAIR_FORMS)
    return FormRegistry({**{k: bundled.get(k) for k in bundled}, **{k: extra.get(k) for k in extra}})


@pytest.fixture
def foundation(clock: FixedClock) -> Foundation:
    return Foundation(clock=clock, forms=repair_forms())


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own tests
    return app


@pytest.fixture
def repair(platform: Platform) -> str:
    platform.definitions.deploy(REPAIR_BPMN.read_bytes(), "repair_request.bpmn", actor="setup")
    platform.session.commit()
    return "repair_request"


def start(client: Any, auth: Any, data: dict[str, Any], username: str = "crc") -> Any:
    return client.post(START, json={"data": data}, headers=auth(username))


def test_a_process_started_through_the_api_is_a_numbered_titled_request(  # type: ignore[no-untyped-def]
    client, auth, platform, repair
) -> None:
    response = start(client, auth, {"summary": "3栋电梯按钮失灵", "location": "3栋大堂"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["number"] == "WX-2026-000001" and body["id"] == body["instance_id"]

    row = platform.session.get(RequestIndex, body["id"])
    assert (row.number, row.title, row.kind) == ("WX-2026-000001", "维修：3栋电梯按钮失灵", "repair_request")
    assert platform.session.get(ProcessInstance, body["id"]).business_key == "WX-2026-000001"

    second = start(client, auth, {"summary": "车库灯不亮"}).get_json()
    assert second["number"] == "WX-2026-000002"

    detail = client.get(f"/api/v1/requests/{body['id']}", headers=auth("crc")).get_json()
    assert detail["number"] == "WX-2026-000001" and detail["title"] == "维修：3栋电梯按钮失灵"
    assert detail["process_key"] == "repair_request" and detail["status"] == "running"
    assert [t["name"] for t in detail["current_tasks"]] == ["现场查看"]
    assert detail["current_tasks"][0]["department"] == "engineering"
    assert detail["data"]["summary"] == "3栋电梯按钮失灵" and detail["data"]["location"] == "3栋大堂"
    assert [e["kind"] for e in detail["timeline"]][:2] == ["instance.started", "task.created"]


def test_a_request_walks_to_completed_and_says_so(client, auth, platform, repair) -> None:  # type: ignore[no-untyped-def]
    created = start(client, auth, {"summary": "单元门禁损坏"}).get_json()
    inspect = open_task(platform, created["id"])
    platform.tasks.complete(inspect.id, {"finding": "读卡器进水"}, actor(platform, "eng"))
    platform.session.commit()
    confirm = open_task(platform, created["id"])
    answer = {"summary": "单元门禁损坏", "finding": "读卡器进水", "confirmed": "yes"}
    platform.tasks.complete(confirm.id, answer, actor(platform, "crc"))
    platform.session.commit()
    detail = client.get(f"/api/v1/requests/{created['id']}", headers=auth("crc")).get_json()
    assert detail["status"] == "completed" and detail["current_tasks"] == []
    assert detail["data"]["finding"] == "读卡器进水"
    assert platform.session.get(RequestIndex, created["id"]).status == "closed"


def test_who_may_start_it_and_what_it_refuses(client, auth, repair) -> None:  # type: ignore[no-untyped-def]
    refused = start(client, auth, {"summary": "x"}, username="design")  # 设计部 is not in startableBy
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    assert start(client, auth, {"summary": "x"}, username="eng").status_code == 201  # engineering may

    missing = client.post(
        "/api/v1/process-definitions/no_such/instances", json={"data": {}}, headers=auth("crc")
    )
    assert missing.status_code == 404 and set(missing.get_json()) == {"error", "message", "fields"}

    invalid = start(client, auth, {"location": "1栋", "colour": "红"})
    assert invalid.status_code == 422
    fields = invalid.get_json()["fields"]
    assert set(fields) == {"summary", "colour"}

    not_object = client.post(START, json={"data": ["summary"]}, headers=auth("crc"))
    assert not_object.status_code == 422 and "data" in not_object.get_json()["fields"]

    malformed = client.post(START, data='{"data": {', content_type="application/json", headers=auth("crc"))
    assert malformed.status_code == 400 and malformed.get_json()["error"]


def test_a_request_one_may_not_see_is_404_like_a_missing_one(client, auth, repair) -> None:  # type: ignore[no-untyped-def]
    created = start(client, auth, {"summary": "外墙渗水"}).get_json()
    hidden = client.get(f"/api/v1/requests/{created['id']}", headers=auth("design"))
    missing = client.get("/api/v1/requests/999999", headers=auth("design"))
    assert hidden.status_code == missing.status_code == 404
    assert client.get(f"/api/v1/requests/{created['id']}", headers=auth("eng")).status_code == 200


def test_a_complaint_keeps_its_numbers_and_may_be_started_generically(client, auth, platform) -> None:  # type: ignore[no-untyped-def]
    registered = client.post(
        "/api/v1/complaints",
        json={"channel": "hotline", "description": "门锁损坏", "owner_phone": "13800000001"},
        headers=auth("crc"),
    ).get_json()
    assert registered["number"] == "TS-2026-000001"
    owner = platform.session.scalars(select(Owner).where(Owner.phone == "13800000002")).one()
    data = {"channel": "hotline", "description": "楼道灯坏了", "owner_id": owner.id}
    generic = client.post(
        "/api/v1/process-definitions/complaint/instances", json={"data": data}, headers=auth("crc")
    )
    assert generic.status_code == 201, generic.get_json()
    row = platform.session.get(RequestIndex, generic.get_json()["id"])
    assert (row.number, row.title, row.owner_name) == ("TS-2026-000002", "楼道灯坏了", owner.name)
    assert row.record_id is not None  # registered as the registration page does
    detail = client.get(f"/api/v1/requests/{row.instance_id}", headers=auth("crc")).get_json()
    assert detail["status"] == "running" and [t["name"] for t in detail["current_tasks"]] == ["客服分派"]
    unknown = client.post(
        "/api/v1/process-definitions/complaint/instances",
        json={"data": {**data, "colour": "红"}},
        headers=auth("crc"),
    )
    assert unknown.status_code == 422 and set(unknown.get_json()["fields"]) == {"colour"}
    refused = client.post(
        "/api/v1/process-definitions/complaint/instances", json={"data": data}, headers=auth("eng")
    )
    assert refused.status_code == 403


# -- the pages ------------------------------------------------------------------------------------------


def test_the_start_page_lists_what_ones_department_may_start_and_starts_it(client, platform, repair) -> None:  # type: ignore[no-untyped-def]
    login(client, "eng")
    listing = client.get("/start")
    assert listing.status_code == 200
    assert "公共区域维修" in text(listing) and "投诉处理" not in text(
        listing
    )  # the complaint is the centre's

    page = client.get("/start/repair_request")
    assert page.status_code == 200 and "报修事项" in text(page) and "业主编号" in text(page)

    refused = client.post("/start/repair_request", data={"location": "2栋"})
    assert refused.status_code == 422 and "2栋" in refused.get_data(as_text=True)

    started = client.post("/start/repair_request", data={"summary": "消防通道灯不亮", "location": "2栋"})
    assert started.status_code == 302
    row = platform.session.scalars(select(RequestIndex).where(RequestIndex.kind == "repair_request")).one()
    assert started.headers["Location"] == f"/requests/{row.instance_id}"
    shown = text(client.get(started.headers["Location"]))
    assert "WX-2026-000001" in shown and "公共区域维修" in shown and "维修：消防通道灯不亮" in shown
    assert "报修事项" in shown and "2栋" in shown and "现场查看" in shown
    assert "repair_request" not in shown


def test_a_department_not_named_may_not_open_the_start_page(client, repair) -> None:  # type: ignore[no-untyped-def]
    login(client, "design")
    assert "公共区域维修" not in text(client.get("/start"))
    assert client.get("/start/repair_request").status_code == 403
    assert client.post("/start/repair_request", data={"summary": "x"}).status_code == 403
    assert client.get("/start/no_such").status_code == 404


def test_the_complaint_is_started_on_its_registration_page(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "crc")
    listing = client.get("/start").get_data(as_text=True)
    assert 'href="/complaints/new"' in listing


def test_a_started_request_is_in_the_inbox_search_and_lookup(client, auth, platform, repair) -> None:  # type: ignore[no-untyped-def]
    created = start(client, auth, {"summary": "地下车库积水"}).get_json()
    login(client, "eng")
    inbox = text(client.get("/inbox"))
    assert "WX-2026-000001" in inbox and "维修：地下车库积水" in inbox and "现场查看" in inbox
    assert "WX-2026-000001" in text(client.get("/inbox?q=WX-2026-000001"))
    login(client, "crc")
    found = text(client.get("/lookup?q=WX-2026-000001"))
    assert "维修：地下车库积水" in found and "公共区域维修" in found
    assert client.get("/r/WX-2026-000001").headers["Location"] == f"/requests/{created['id']}"


def test_the_task_page_shows_the_steps_documentation_safely(client, auth, platform, repair) -> None:  # type: ignore[no-untyped-def]
    created = start(client, auth, {"summary": "外墙脱落"}).get_json()
    task = open_task(platform, created["id"])
    login(client, "eng")
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "<h2>查看要点</h2>" in html and "<strong>现场照片</strong>" in html
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_who_cannot_fill_the_form_in_sees_what_the_workflow_holds_for_it(
    client, auth, platform, repair
) -> None:  # type: ignore[no-untyped-def]
    created = start(client, auth, {"summary": "门厅吊顶开裂"}).get_json()
    inspect = open_task(platform, created["id"])
    platform.tasks.complete(inspect.id, {"finding": "需更换石膏板"}, actor(platform, "eng"))
    platform.session.commit()
    confirm = open_task(platform, created["id"])
    login(client, "group_crc")  # sees every department's work, is not of the centre
    shown = text(client.get(f"/tasks/{confirm.id}"))
    assert "已有资料" in shown and "门厅吊顶开裂" in shown and "需更换石膏板" in shown
    login(client, "crc")
    page = client.get(f"/tasks/{confirm.id}").get_data(as_text=True)
    assert "已有资料" not in page and 'value="门厅吊顶开裂"' in page  # the form itself holds them


def test_the_portal_follows_an_owner_linked_request(client, auth, platform, repair) -> None:  # type: ignore[no-untyped-def]
    owner = platform.session.scalars(select(Owner).where(Owner.phone == "13800000003")).one()
    created = start(client, auth, {"summary": "入户门变形", "owner_id": owner.id}).get_json()
    row = platform.session.get(RequestIndex, created["id"])
    assert (row.owner_name, row.unit_label) == (owner.name, owner.units[0].label)
    looked_up = client.post("/portal", data={"number": created["number"], "phone": "13800000003"})
    assert looked_up.status_code == 302
    shown = text(client.get(looked_up.headers["Location"]))
    assert created["number"] in shown and "维修：入户门变形" in shown and "已受理您的诉求" in shown


def test_a_request_of_another_process_reads_in_chinese_everywhere(client, auth, platform, repair) -> None:  # type: ignore[no-untyped-def]
    owner = platform.session.scalars(select(Owner).where(Owner.phone == "13800000001")).one()
    created = start(client, auth, {"summary": "电梯异响", "location": "1栋", "owner_id": owner.id}).get_json()
    inspect = open_task(platform, created["id"])
    platform.tasks.complete(inspect.id, {"finding": "钢丝绳需润滑"}, actor(platform, "eng"))
    platform.session.commit()
    # The diagram's documentation of 现场查看 shows a script tag as text, on purpose.
    allowed = ALLOWED | {"script", "alert", "x"}
    for username in ("crc", "eng"):
        login(client, username)
        found = crawl(client, ["/start", f"/requests/{created['id']}", "/inbox", "/lookup"], allowed)
        assert found == {}, f"English or raw codes on the pages of {username}: {found}"


def test_the_print_view_of_a_request_without_an_owner_leaves_the_owner_out(client, auth, repair) -> None:  # type: ignore[no-untyped-def]
    created = start(client, auth, {"summary": "屋面防水层老化", "location": "5栋"}).get_json()
    login(client, "crc")
    shown = text(client.get(f"/requests/{created['id']}/print"))
    assert "WX-2026-000001" in shown and "公共区域维修" in shown and "报修事项 屋面防水层老化" in shown
    assert "业主" not in shown and "房号" not in shown


def test_a_field_an_api_completion_leaves_out_keeps_what_the_workflow_holds(  # type: ignore[no-untyped-def]
    client, auth, platform, repair
) -> None:
    created = start(client, auth, {"summary": "3栋电梯按钮失灵", "location": "3栋大堂"}).get_json()
    inspect = open_task(platform, created["id"])
    platform.tasks.complete(inspect.id, {"finding": "读卡器进水"}, actor(platform, "eng"))
    platform.session.commit()
    confirm = open_task(platform, created["id"])

    # The confirmation form shows summary and finding again; the client sends only what it answers.
    done = client.post(
        f"/api/v1/tasks/{confirm.id}/complete", json={"data": {"confirmed": "yes"}}, headers=auth("crc")
    )

    assert done.status_code == 200, done.get_json()
    data = client.get(f"/api/v1/requests/{created['id']}", headers=auth("crc")).get_json()["data"]
    assert (data["summary"], data["finding"], data["confirmed"]) == ("3栋电梯按钮失灵", "读卡器进水", "yes")


def test_start_data_naming_an_owner_not_on_file_is_refused(client, auth, platform, repair) -> None:  # type: ignore[no-untyped-def]
    refused = start(client, auth, {"summary": "车库积水", "owner_id": 999999})
    assert refused.status_code == 422
    assert set(refused.get_json()["fields"]) == {"owner_id"}
    assert (
        platform.session.scalars(select(RequestIndex).where(RequestIndex.title.contains("车库积水"))).all()
        == []
    )

    owner = platform.session.scalars(select(Owner).limit(1)).one()
    started = start(client, auth, {"summary": "车库积水", "owner_id": owner.id})
    assert started.status_code == 201
    assert platform.session.get(RequestIndex, started.get_json()["id"]).owner_id == owner.id


def test_a_start_whose_workflow_fails_at_once_says_so_in_its_answer(client, auth, platform) -> None:  # type: ignore[no-untyped-def]
    from tests.engine.test_incidents import SQUARE

    platform.definitions.deploy(SQUARE, "square.bpmn", actor="setup")
    platform.session.commit()
    start_square = "/api/v1/process-definitions/square/instances"

    failed = client.post(start_square, json={"data": {"a": "x"}}, headers=auth("admin"))
    ran = client.post(start_square, json={"data": {"a": 3}}, headers=auth("admin"))

    assert failed.status_code == ran.status_code == 201
    assert failed.get_json()["status"] == "error" and "str" in failed.get_json()["error"]
    assert (ran.get_json()["status"], ran.get_json()["error"]) == ("completed", None)
