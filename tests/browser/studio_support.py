"""What the studio's browser tests share (the bundles they need: `studio_assets` in conftest): the
properties panel's id prefix, selecting an element on the canvas and screenshots named by test module."""

from __future__ import annotations

from tests.browser.conftest import SCREENSHOTS

PANEL = "#bio-properties-panel-"


def select(page, element_id: str) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("(id) => bpmnjs.get('selection').select(bpmnjs.get('elementRegistry').get(id))", element_id)


def shot_as(prefix: str, *, full_page: bool = True):  # type: ignore[no-untyped-def]
    """A screenshot function whose files are named `<prefix>-<name>.png` (the whole page unless told)."""

    def shot(page, name: str, full_page: bool = full_page) -> None:  # type: ignore[no-untyped-def]
        page.screenshot(path=str(SCREENSHOTS / f"{prefix}-{name}.png"), full_page=full_page)

    return shot
