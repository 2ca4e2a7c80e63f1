"""The few npm files the pages load (bpmn-js, htmx, ECharts), served from node_modules as installed by
npm — never copied into the repository, never anything else from that folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, send_from_directory

from webapp.access import public
from webapp.database import ROOT

bp = Blueprint("assets", __name__)

VENDOR_FILES = frozenset(
    {
        "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
        "bpmn-js/dist/assets/diagram-js.css",
        "bpmn-js/dist/assets/bpmn-js.css",
        "htmx.org/dist/htmx.min.js",
        "echarts/dist/echarts.min.js",
    }
)


def node_modules() -> Path:
    configured = current_app.config.get("LINTEL_NODE_MODULES") or ""
    return Path(configured) if configured else ROOT / "node_modules"


@bp.get("/vendor/<path:name>")
@public
def vendor(name: str) -> Any:
    if name not in VENDOR_FILES:
        abort(404)
    folder = node_modules()
    if not (folder / name).is_file():
        abort(
            404,
            description=f"{name} is missing: run `npm install` (or `make run`) to install the page assets",
        )
    return send_from_directory(folder, name, max_age=86400)
