"""No English and no raw codes on the Chinese pages: every page each demo role reaches from the home page,
and the owner's portal pages, with the demo complaints in every state, read in Chinese — process names,
departments and people by their names, every error translated."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest

from crm.demo import USERS
from tests.webapp.pages_support import TRIAGE, complete, login, open_task, register, text
from webapp.demo import load_demo_cases

# Latin words a Chinese page may show: the product's name, the language menu's own name for English,
# BPMN (the diagram format process owners upload), the file types an upload accepts (and the encodings of
# a CSV file), and the keys on the
# keyboard that the inbox answers to.
ALLOWED = {
    "Lintel",
    "English",
    "BPMN",
    "DMN",
    "jpg",
    "jpeg",
    "png",
    "gif",
    "webp",
    "pdf",
    "docx",
    "xlsx",
    "xls",
    "csv",
    "CSV",
    "Excel",
    "UTF-8",
    "UTF",
    "GBK",
    "MB",
    "KB",
    "J",
    "K",
    "C",
    "X",
    "Enter",
    "zw",  # pinyin initials (张伟), as the people search boxes give an example of what to type
}
# Request numbers, phone numbers, the addresses of pages and codes with digits in them (a layout A1, a
# contract HT-2024-001) are data, not words.
DATA = re.compile(
    r"\b[A-Z]+\d[\w-]*\b|"
    r"\b[A-Z]{2}-\d{4}-\d{6}\b|\b[A-Z]{2}-\d{4}-\d*\b|\b\d+[\d\-.:/ ]*\b|(?<![\w/])/[\w/.-]+"
)
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*")
# Process owners and administrators manage identifiers (process keys, step ids, form keys, file names,
# department codes, login names), as everyone does their own API tokens, and the centre the codes of its
# records (project codes, contract numbers, layout names such as A1): those pages show them, marked as
# such (<code>, class "mono"), and say "API".
IDENTIFIER_PAGES = ("/processes", "/admin/", "/account", "/records", "/owners/")
ADMIN_WORDS = {"API"}
SKIP = ("/static/", "/vendor/", "/api/", "/logout", "/attachments/", "/lang", "/favicon")
PER_ROUTE = 3  # pages of one route (digits and queries aside) worth reading per role…
EVERY = ("/requests/N", "/tasks/N")  # …except a request's and a task's page, read in every state
VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Page(HTMLParser):
    """What a reader sees of a page, and where its links lead."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.identifiers: list[str] = []
        self.links: list[str] = []
        self._hidden = 0
        self._marked: list[bool] = []  # per open element: is it an identifier

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if tag not in VOID:
            marked = tag == "code" or "mono" in (values.get("class") or "").split()
            self._marked.append(marked or bool(self._marked and self._marked[-1]))
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        for name in VISIBLE_ATTRIBUTES:
            if values.get(name):
                self.texts.append(values[name] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"] or "")
        if tag == "option" and values.get("value") == "en":
            self.texts.append("English")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._hidden -= 1
        if tag not in VOID and self._marked:
            self._marked.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            (self.identifiers if self._marked and self._marked[-1] else self.texts).append(data)


def foreign_words(html: str, allowed: set[str], identifiers: bool = False) -> tuple[list[str], list[str]]:
    """The Latin words a reader sees (identifiers marked as such count only when `identifiers` is false)."""
    page = _Page()
    page.feed(html)
    words = []
    for shown in page.texts + ([] if identifiers else page.identifiers):
        for word in LATIN.findall(DATA.sub(" ", shown)):
            word = word.strip(".-_")
            if word and word not in allowed:
                words.append(word)
    return words, page.links


def _route(path: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(path).path)


def crawl(client: Any, start: list[str], allowed: set[str]) -> dict[str, list[str]]:
    """Every page reachable by links from `start`, each route read at most PER_ROUTE times: the foreign
    words found on each."""
    seen: set[str] = set()
    per_route: Counter[str] = Counter()
    queue = list(start)
    found: dict[str, list[str]] = {}
    while queue:
        url = urldefrag(queue.pop(0))[0]
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or url in seen or url.startswith(SKIP):
            continue
        seen.add(url)
        route = _route(url)
        if per_route[route] >= PER_ROUTE and route not in EVERY:
            continue
        per_route[route] += 1
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            queue.append(response.headers["Location"])
            continue
        if not response.mimetype == "text/html":
            continue
        managed = url.startswith(IDENTIFIER_PAGES)
        words, links = foreign_words(
            response.get_data(as_text=True), allowed | (ADMIN_WORDS if managed else set()), managed
        )
        if words:
            found[url] = sorted(set(words))
        queue.extend(links)
    return found


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def demo(session_factory, foundation) -> None:  # type: ignore[no-untyped-def]
    load_demo_cases(session_factory, foundation)


@pytest.mark.parametrize("username", [u for u, *_ in USERS])
def test_every_page_a_demo_role_reaches_is_in_chinese(app, client, demo, username: str) -> None:
    login(client, username)
    # Pages nobody links to but everyone meets: one that does not exist, one that is not theirs to see.
    start = ["/", "/inbox", "/no-such-page", "/requests/999999", "/admin/users", "/admin/personal-data"]
    # The people pages with something found and nothing found, and a caller not on file being registered.
    start += ["/owners?q=0001", "/owners?q=zw", "/owners?q=没有这个人", "/complaints/new?q=没有这个人"]
    start += ["/complaints/new?q=x&owner=new_owner&person_unit=1-1201", "/complaints/units?person_unit=9-9"]
    found = crawl(client, start, ALLOWED)
    assert found == {}, f"English or raw codes on the pages of {username}: {found}"


def test_the_owner_portal_is_in_chinese(app, client, demo) -> None:
    client.post("/portal", data={"number": "TS-2026-000001", "phone": "13800000003"})
    found = crawl(client, ["/portal", "/portal/mine", "/portal/TS-2026-000001"], ALLOWED)
    assert found == {}


def test_the_pages_say_it_as_a_cr_centre_does(app, client, platform, clock) -> None:
    complaint = register(platform)
    complete(platform, complaint.instance_id, "crc", TRIAGE)  # high: 3 working days
    login(client, "eng")
    assert "剩余3个工作日" in text(client.get("/inbox"))
    complete(platform, complaint.instance_id, "eng", {"resolution": "已修复"})
    complete(platform, complaint.instance_id, "crc", {"reached": "no", "reply": "已修复，请查看"})
    login(client, "crc")
    confirm = open_task(platform, complaint.instance_id)
    assert "业主满意时必填" in text(client.get(f"/tasks/{confirm.id}"))
