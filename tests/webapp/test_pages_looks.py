"""What the pages look like where a reader was misled: a reworked step drawn as current, a hand-over picker
that starts with nothing chosen, one place to upload while handling, a favicon."""

from __future__ import annotations

import json
import re

import pytest

from tests.webapp.pages_support import TRIAGE, complete, login, open_task, register


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def diagram_marks(html: str) -> tuple[list[str], list[str]]:
    current = re.search(r"data-current='([^']*)'", html)
    done = re.search(r"data-done='([^']*)'", html)
    assert current and done
    return json.loads(current.group(1)), json.loads(done.group(1))


def test_a_step_sent_back_for_rework_is_drawn_as_current_not_done(client, platform) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    complete(platform, complaint.instance_id, "eng", {"resolution": "已修补"})
    answer = {"reached": "yes", "reply": "已修补完毕", "satisfied": "no", "comment": "颜色不一致"}
    complete(platform, complaint.instance_id, "crc", answer)
    login(client, "crc")
    current, done = diagram_marks(client.get(f"/requests/{complaint.instance_id}").get_data(as_text=True))
    assert current == ["handle"] and "handle" not in done and {"triage", "reply"} <= set(done)


def test_the_hand_over_picker_starts_with_nothing_chosen(client, platform) -> None:
    complaint = register(platform)
    task = open_task(platform, complaint.instance_id)
    login(client, "crc")
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    picker = re.search(r'<select id="assign-to"[^>]*>\s*<option([^>]*)>([^<]*)</option>', html)
    assert picker is not None
    assert 'value=""' in picker.group(1) and "selected" in picker.group(1) and "请选择" in picker.group(2)


def test_the_handling_form_is_the_one_place_to_upload_photos(client, platform) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    task = open_task(platform, complaint.instance_id)
    login(client, "eng")
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert html.count('type="file"') == 1 and 'name="attachments"' in html
    # A step without a file field keeps the request's own upload.
    login(client, "crc")
    triage = register(platform, description="另一件事")
    html = client.get(f"/tasks/{open_task(platform, triage.instance_id).id}").get_data(as_text=True)
    assert html.count('type="file"') == 1 and 'id="upload-files"' in html


def test_every_page_has_a_favicon(client, platform) -> None:
    for page in (client.get("/login"), client.get("/portal")):
        icon = re.search(r'<link rel="icon" href="([^"]+)"', page.get_data(as_text=True))
        assert icon is not None
        served = client.get(icon.group(1))
        assert served.status_code == 200 and served.mimetype == "image/svg+xml"
        served.close()
