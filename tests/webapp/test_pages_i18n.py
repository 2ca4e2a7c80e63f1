"""Every text of the pages has its English translation, and times are shown in Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from webapp.database import ROOT
from webapp.i18n import TRANSLATIONS, local_time

METHODS = [("webapp/**.py", "python"), ("webapp/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "N_": None}


def test_every_text_of_the_pages_is_translated_into_english() -> None:
    with (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="en")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, METHODS, keywords=KEYWORDS, callback=None
        )
        if isinstance(message, str)
    }
    missing = sorted(found - translated)
    assert missing == [], "run pybabel extract/update (README, Translations) and translate: " + ", ".join(
        missing
    )


def test_times_are_shown_in_shanghai() -> None:
    moment = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    assert local_time(moment) == "2026-11-21 00:30"
    assert local_time(moment - timedelta(hours=9)) == "2026-11-20 15:30"
    assert local_time(None) == "—"
