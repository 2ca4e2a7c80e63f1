"""An owner's chase on the portal reaches the handler who holds the request, in their bell and inbox."""

from __future__ import annotations

import pytest

from tests.crm.messaging_support import bell, queued
from tests.webapp.pages_support import OWNER_PHONE, TRIAGE, actor, complete, open_task, register


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_a_chase_on_the_portal_tells_the_handler_once(client, platform) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)
    platform.tasks.claim(open_task(platform, complaint.instance_id).id, actor(platform, "eng"))
    platform.session.commit()
    client.post("/portal", data={"number": complaint.number, "phone": OWNER_PHONE})
    assert client.post(f"/portal/{complaint.number}/chase").status_code == 302
    client.post(f"/portal/{complaint.number}/chase")  # refused: once a day
    platform.session.expire_all()
    (email,) = queued(platform.session, "request.chased")
    assert (email.recipient, email.address) == ("user:eng", "eng@example.com")
    assert complaint.number in email.subject
    assert [m.recipient for m in bell(platform.session, "request.chased")] == ["user:eng"]
