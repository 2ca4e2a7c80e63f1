"""A real Lintel served on 127.0.0.1 from a fresh SQLite file, and headless Chromium to drive it."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from crm.platform import Foundation
from lintel.clock import SHANGHAI, FixedClock
from tests.conftest import fresh_database_url, prepare
from webapp import create_app
from webapp.database import ROOT, make_engine

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
BUNDLES = ("studio.js", "editors.js", "compare.js")  # make assets: the studio's and compare page's


@pytest.fixture(scope="module")
def studio_assets() -> None:
    """The studio's bundles (not committed): `make test` builds them; built here too when one is missing."""
    build = ROOT / "webapp" / "static" / "build"
    if not all((build / name).is_file() for name in BUNDLES):
        subprocess.run(["make", "-s", "assets"], cwd=ROOT, check=True)


class Served:
    def __init__(self, url: str, engine, foundation: Foundation) -> None:  # type: ignore[no-untyped-def]
        self.url = url
        self.engine = engine
        self.foundation = foundation

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture(scope="module")
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app for one test module; a module may set SERVED_SETTINGS (e.g. a faster bell poll)."""
    if not (ROOT / "node_modules" / "bpmn-js" / "dist").is_dir():
        pytest.fail("node_modules is missing: run `npm install` (make test does) before the browser tests")
    folder = tmp_path_factory.mktemp("browser")
    url = fresh_database_url("sqlite", folder)
    engine = make_engine(url)
    clock = FixedClock(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    prepare(engine, clock)
    foundation = Foundation(clock=clock)
    app = create_app(
        {
            "LINTEL_DATABASE_URL": url,
            "LINTEL_INSTANCE_PATH": str(folder),
            "LINTEL_SECRET_KEY": "browser-tests",
            **getattr(request.module, "SERVED_SETTINGS", {}),
        },
        foundation=foundation,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", engine, foundation)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        engine.dispose()


@pytest.fixture(scope="session")  # once per run: the screenshots of every module are kept
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # side by side, a worker keeps the other's shots
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# A page that goes offline (the tablet test) or navigates away while an image is still being sent makes the
# test server drop that response: werkzeug then leaves the file it was streaming to the garbage collector.
# That is the development server's behaviour, not a leak of ours, so these two warnings are not failures here.
_DROPPED_DOWNLOAD = (
    "ignore:unclosed file <_io.BufferedReader:ResourceWarning",
    "ignore:Exception ignored in. <_io.FileIO:pytest.PytestUnraisableExceptionWarning",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    browser = Path(__file__).parent
    for item in items:
        if browser in Path(item.fspath).parents:
            for rule in _DROPPED_DOWNLOAD:
                item.add_marker(pytest.mark.filterwarnings(rule))
