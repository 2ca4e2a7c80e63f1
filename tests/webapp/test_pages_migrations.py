"""迁移运行中的工单: the process owner previews a move (movable and blocked requests, with reasons), maps a
removed step by hand, starts the move, and follows it in the background to its result — in Chinese."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm.platform import Foundation, Platform
from engine.actors import SYSTEM
from engine.migration_runs import MigrationWorker
from lintel.clock import SHANGHAI
from tests.migration_support import COMPLAINT, deploy, with_triage_deadline, with_triage_replaced
from tests.webapp.pages_support import login, text
from tests.webapp.test_pages_chinese import ALLOWED, foreign_words

PAGE = "/processes/complaint/migrate"


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def started(session_factory: sessionmaker[Session], foundation: Foundation) -> tuple[list[int], int]:
    with session_factory() as session:
        platform = Platform(session, foundation)
        items = [{"description": f"第{n}户 外墙渗水"} for n in range(4)]
        ids = platform.runtime.start_many("complaint", COMPLAINT, items, SYSTEM)
        version = deploy(platform, with_triage_replaced()).version
        session.commit()
    return ids, version


def latin(html: str) -> list[str]:
    """Latin words a reader sees on the page (as the Chinese pages' test reads them)."""
    words, _identifiers = foreign_words(html, ALLOWED, identifiers=True)
    return words


def test_preview_map_by_hand_and_move_in_the_background(  # type: ignore[no-untyped-def]
    client, session_factory, foundation
) -> None:
    ids, version = started(session_factory, foundation)
    login(client, "admin")
    newest = text(client.get(f"/processes/complaint/{version}"))
    assert "迁移运行中的工单" in newest and f"还有 {len(ids)} 件工单在以前的版本上进行" in newest
    assert "在以前的版本上进行" not in text(client.get("/processes/complaint/1"))  # said on the newest only
    page = text(client.get(PAGE))
    assert "迁移运行中的工单" in page and "原版本" in page and "目标版本" in page

    preview = client.get(PAGE, query_string={"from": 1, "to": version, "preview": 1})
    shown = text(preview)
    assert preview.status_code == 200
    assert f"当前步骤『客服分派』在第{version}版中不存在" in shown
    assert "手工对应步骤" in shown and "分派登记" in shown
    assert "开始迁移" not in shown  # nothing can move yet
    assert latin(preview.get_data(as_text=True)) == []

    mapped = client.get(PAGE, query_string={"from": 1, "to": version, "preview": 1, "map.triage": "dispatch"})
    shown = text(mapped)
    assert "全部可以迁移" in shown and f"开始迁移（{len(ids)} 件）" in shown

    queued = client.post(PAGE, data={"from": 1, "to": version, "map.triage": "dispatch"})
    assert queued.status_code == 302
    run_page = queued.headers["Location"]
    assert "排队中" in text(client.get(run_page))
    MigrationWorker(session_factory, lambda session: Platform(session, foundation).runtime).run_once()
    finished = client.get(run_page)
    done = text(finished)
    assert "已完成" in done and "已迁移" in done
    assert 'data-count="moved">4<' in finished.get_data(as_text=True)
    assert "hx-trigger" not in client.get(run_page + "/progress").get_data(as_text=True)  # no more polling
    assert latin(finished.get_data(as_text=True)) == []
    request = text(client.get(f"/requests/{ids[0]}"))
    assert f"流程由第1版迁移至第{version}版" in request and "客服分派 → 分派登记" in request


def test_bad_choices_are_said_plainly(client, session_factory, foundation) -> None:  # type: ignore[no-untyped-def]
    _, version = started(session_factory, foundation)
    login(client, "admin")
    same = client.get(PAGE, query_string={"from": 1, "to": 1, "preview": 1})
    assert same.status_code == 422 and "请选择与原版本不同的目标版本" in text(same)
    unknown = client.get(PAGE, query_string={"from": 1, "to": version, "preview": 1, "map.triage": "nowhere"})
    assert unknown.status_code == 422 and "手工对应的步骤不在所选版本中" in text(unknown)
    assert client.get("/processes/nope/migrate").status_code == 404
    assert client.post(PAGE, data={}).status_code == 302
    login(client, "crc")
    assert client.get(PAGE).status_code == 403


def test_a_process_with_one_version_says_there_is_nowhere_to_move(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "此流程只有一个版本，没有可迁往的版本" in text(page)
    assert 'id="preview"' not in page.get_data(as_text=True)


def test_the_preview_says_what_the_move_does_to_each_deadline(  # type: ignore[no-untyped-def]
    client, session_factory, foundation
) -> None:
    with session_factory() as session:
        platform = Platform(session, foundation)
        [instance_id] = platform.runtime.start_many(
            "complaint", COMPLAINT, [{"description": "电梯异响"}], SYSTEM
        )
        version = deploy(platform, with_triage_deadline("calendar_hours(36)")).version
        session.commit()
    login(client, "admin")
    preview = client.get(PAGE, query_string={"from": 1, "to": version, "preview": 1})
    # Triage began now: its 24 hours become 36, from then.
    began = foundation.clock.now().astimezone(SHANGHAI)
    before, after = (f"{began + timedelta(hours=h):%Y-%m-%d %H:%M}" for h in (24, 36))
    assert f"「客服分派」期限：{before} → {after}" in text(preview)
    assert latin(preview.get_data(as_text=True)) == []
