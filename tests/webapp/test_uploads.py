"""Attachments as a user meets them: zip bombs and the request's total refused with a clear message and
nothing kept, files that belong to their request only, notes that belong to their request's steps, and
downloads that no shared cache keeps."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.models import Attachment, Comment
from tests.webapp.pages_support import TRIAGE, complete, login, open_task, register, text

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["LINTEL_UPLOAD_MAX_BYTES"] = str(64 * 1024)
    app.config["LINTEL_UPLOAD_REQUEST_MAX_BYTES"] = str(100 * 1024)
    app.config["LINTEL_UPLOAD_UNPACKED_MAX_BYTES"] = str(1024 * 1024)
    return app


def office_file(part: str, content: bytes) -> bytes:
    """A minimal Office Open XML package: the content types and one part, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(part, content)
    return buffer.getvalue()


def lying_about_its_size(package: bytes, part: str) -> bytes:
    """The same package with the part's uncompressed size given as 100 bytes in both of its headers."""
    data = bytearray(package)
    name = part.encode()
    local = data.find(b"PK\x03\x04")
    while local != -1:
        if data[local + 30 : local + 30 + len(name)] == name:
            struct.pack_into("<I", data, local + 22, 100)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        if data[central + 46 : central + 46 + len(name)] == name:
            struct.pack_into("<I", data, central + 24, 100)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def upload(client, instance_id: int, *files: tuple[bytes, str]):  # type: ignore[no-untyped-def]
    return client.post(
        f"/requests/{instance_id}/attachments",
        data={"files": [(io.BytesIO(content), name) for content, name in files]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def stored(app, platform, instance_id: int) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """The request's attachments as the database and the disk know them."""
    platform.session.expire_all()
    rows = platform.session.scalars(select(Attachment.filename).where(Attachment.instance_id == instance_id))
    folder = Path(app.config["LINTEL_INSTANCE_PATH"]) / "uploads" / str(instance_id)
    on_disk = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    return sorted(rows), on_disk


@pytest.mark.parametrize(
    ("filename", "part"), [("整改报告.docx", "word/document.xml"), ("台账.xlsx", "xl/sheet1.xml")]
)
def test_a_zip_bomb_office_file_is_refused_and_nothing_is_kept(app, client, platform, filename, part) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    login(client, "crc")
    bomb = office_file(part, b"\x00" * (5 * 1024 * 1024))
    assert len(bomb) < 64 * 1024  # small on the wire, 5 MB unpacked

    page = upload(client, complaint.instance_id, (bomb, filename))

    assert f"{filename}：解压后超过 1 MB" in text(page)
    assert stored(app, platform, complaint.instance_id) == ([], [])


def test_an_office_file_that_lies_about_its_size_is_refused_too(app, client, platform) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    login(client, "crc")
    liar = lying_about_its_size(
        office_file("word/document.xml", b"\x00" * (5 * 1024 * 1024)), "word/document.xml"
    )
    page = upload(client, complaint.instance_id, (liar, "报告.docx"))
    assert "报告.docx：文件内容不是 .docx 格式" in text(page)
    assert stored(app, platform, complaint.instance_id) == ([], [])


def test_a_sound_office_file_is_kept(app, client, platform) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    login(client, "crc")
    page = upload(
        client, complaint.instance_id, (office_file("word/document.xml", b"<w:document/>"), "报告.docx")
    )
    assert "已上传 1 个文件" in text(page)
    names, on_disk = stored(app, platform, complaint.instance_id)
    assert names == ["报告.docx"] and len(on_disk) == 1


def test_the_file_that_would_cross_the_requests_total_is_refused(app, client, platform) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    login(client, "crc")
    photo = JPEG + b"\x00" * (45 * 1024)
    first = upload(client, complaint.instance_id, (photo, "一.jpg"), (photo, "二.jpg"))
    assert "已上传 2 个文件" in text(first)

    crossing = upload(client, complaint.instance_id, (photo, "三.jpg"))

    assert "三.jpg：此请求的附件总大小将超过 100 KB" in text(crossing)
    names, on_disk = stored(app, platform, complaint.instance_id)
    assert names == ["一.jpg", "二.jpg"] and len(on_disk) == 2
    small = upload(client, complaint.instance_id, (JPEG + b"\x00" * 1024, "小.jpg"))
    assert "已上传 1 个文件" in text(small)


def test_attachments_are_served_for_private_caches_only(app, client, platform) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    login(client, "crc")
    upload(client, complaint.instance_id, (JPEG + b"\x00" * 100, "现场.jpg"))
    token = platform.session.scalar(
        select(Attachment.token).where(Attachment.instance_id == complaint.instance_id)
    )
    with client.get(f"/attachments/{token}") as download:
        assert download.status_code == 200
        assert download.cache_control.private and not download.cache_control.public


def test_the_api_refuses_a_file_of_another_request_in_form_data(app, client, platform, auth) -> None:  # type: ignore[no-untyped-def]
    other = register(platform)
    mine = register(platform, phone="13800000002")
    complete(platform, mine.instance_id, "crc", TRIAGE)
    task = open_task(platform, mine.instance_id)
    login(client, "crc")
    upload(client, other.instance_id, (JPEG + b"\x00" * 100, "别人的.jpg"))
    login(client, "eng")
    upload(client, mine.instance_id, (JPEG + b"\x00" * 100, "现场.jpg"))
    tokens = {
        name: token for name, token in platform.session.execute(select(Attachment.filename, Attachment.token))
    }

    for foreign in ([tokens["别人的.jpg"]], ["0" * 32], [tokens["现场.jpg"], tokens["别人的.jpg"]]):
        response = client.post(
            f"/api/v1/tasks/{task.id}/complete",
            json={"data": {"resolution": "已处理", "attachments": foreign}},
            headers=auth("eng"),
        )
        assert response.status_code == 422, response.get_json()
        assert "is not an attachment of this request" in response.get_json()["fields"]["attachments"]
        assert open_task(platform, mine.instance_id).id == task.id

    done = client.post(
        f"/api/v1/tasks/{task.id}/complete",
        json={"data": {"resolution": "已处理", "attachments": [tokens["现场.jpg"]]}},
        headers=auth("eng"),
    )
    assert done.status_code == 200 and done.get_json()["state"] == "completed"


def test_a_note_naming_a_step_of_another_request_is_refused(app, client, platform) -> None:  # type: ignore[no-untyped-def]
    complaint = register(platform)
    elsewhere = register(platform, phone="13800000002")
    own_step = open_task(platform, complaint.instance_id)
    foreign_step = open_task(platform, elsewhere.instance_id)
    login(client, "crc")

    for task_id in (foreign_step.id, 2**70):
        refused = client.post(
            f"/requests/{complaint.instance_id}/comments",
            data={"body": "业主下午在家", "task_id": str(task_id)},
            follow_redirects=True,
        )
        assert "未能添加备注：该任务不属于此请求" in text(refused)
    platform.session.expire_all()
    assert (
        platform.session.scalars(select(Comment).where(Comment.instance_id == complaint.instance_id)).all()
        == []
    )

    added = client.post(
        f"/requests/{complaint.instance_id}/comments",
        data={"body": "业主下午在家", "task_id": str(own_step.id)},
        follow_redirects=True,
    )
    assert "已添加备注" in text(added)
