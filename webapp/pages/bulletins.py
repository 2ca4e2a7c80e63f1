"""通报 (/bulletins): the notices to buyers — each month's construction-progress notice per project under
construction and the design-change notices — and a notice's page, where engineering reports the progress,
the centre drafts and previews, a manager approves or sends it back, and its delivery is followed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request

from crm.bulletins.drafting import progress_rows
from crm.bulletins.models import KINDS, STATUSES, Bulletin
from crm.estate.models import Project
from crm.policy import Permission, Target
from webapp import platform
from webapp.access import allow, policy
from webapp.pages.bulletin_labels import KIND, STATUS

bp = Blueprint("bulletins", __name__, url_prefix="/bulletins")


def _labels() -> dict[str, Any]:
    return {"kind_label": KIND, "status_label": STATUS}


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name, "")
    return value if value in allowed else None


@bp.get("")
@allow(Permission.VIEW_BULLETINS)
def index() -> Any:
    p = platform()
    project_id = request.args.get("project_id", type=int)
    kind = _choice("kind", KINDS)
    status = _choice("status", STATUSES)
    rows = p.bulletins.page(kind=kind, project_id=project_id, status=status)
    projects = p.session.query(Project.id, Project.name).order_by(Project.name).all()
    return render_template(
        "bulletins/index.html",
        rows=rows,
        projects=projects,
        f={"kind": kind, "project_id": project_id, "status": status},
        kinds=KINDS,
        statuses=STATUSES,
        steps=p.bulletins.open_steps(rows),
        **_labels(),
    )


@bp.get("/<int:bulletin_id>")
@allow(Permission.VIEW_BULLETINS)
def show(bulletin_id: int) -> Any:
    return page(platform().bulletins.get(bulletin_id))


def page(
    bulletin: Bulletin,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    **extra: Any,
) -> Any:
    """The notice's page; with the errors and values of a form sent back to be corrected."""
    p = platform()
    step = p.bulletins.open_step(bulletin)
    user = g.get("user")
    # The 办理 button only for those who may work the step (its department's members).
    works_step = (
        step is not None and policy().decide(user, Permission.WORK_TASK, Target.task(), step.id).allowed
    )
    return render_template(
        "bulletins/bulletin.html",
        b=bulletin,
        step=step,
        works_step=works_step,
        progress=progress_rows(p.session, bulletin),
        names=p.staff.display_names(
            n for n in (bulletin.created_by, bulletin.returned_by, bulletin.approved_by) if n
        ),
        **sending_context(bulletin, errors, values),
        **extra,
        **_labels(),
    ), status


# The drafting, approval and delivery routes (and what the page shows of them) join this blueprint.
from webapp.pages import bulletin_design_changes  # noqa: E402,F401  (its routes are this blueprint's)
from webapp.pages.bulletin_sending import sending_context  # noqa: E402
