"""The README is the front door: every setting must be documented there."""

from __future__ import annotations

from pathlib import Path

from webapp.settings import SETTINGS

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in README]
    assert missing == []


def test_readme_gives_the_two_commands() -> None:
    assert "make run" in README and "make test" in README
