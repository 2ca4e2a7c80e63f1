"""A notice's page from drafting to delivery: the centre edits the title, text and SMS and sees exactly what
an owner receives on each channel and how many owners it reaches, and submits it; a manager approves it or
sends it back with a comment; then its delivery is followed (refreshed while it is being sent) and the
failed messages are sent again. Its routes join the `bulletins` blueprint."""

from __future__ import annotations

import re
from typing import Any

from flask import redirect, render_template, request, url_for

from crm.bulletins.delivery import delivery, failures, resend_failed
from crm.bulletins.drafting import SMS_MAX
from crm.bulletins.drafts import TITLE_MAX, preview, reach_of, save_draft
from crm.bulletins.models import Bulletin
from crm.messaging.masking import shown_address
from crm.policy import Permission
from engine.errors import Conflict, InvalidData
from engine.models import HumanTask
from webapp import db_session, platform
from webapp.access import allow
from webapp.i18n import N_, _, translate
from webapp.pages.bulletins import bp, page
from webapp.pages.common import actor, commit, ok, problem
from webapp.pages.outbox import channel_name

DRAFT_FIELDS = ("title", "body", "sms_text")
# The services' words about a draft, as the page shows them beside the field.
_FIELD_TEXT = {
    "required": N_("必填"),
    "the notice needs a title": N_("请填写通报标题"),
    "the notice needs its text": N_("请填写通报正文"),
    "the notice needs its SMS text": N_("请填写短信内容"),
    "must be text": N_("请填写文字"),
}
_AT_MOST = re.compile(r"^(?:the SMS text )?must be at most (\d+) characters$")


def _field_errors(fields: dict[str, str]) -> dict[str, str]:
    shown = {}
    for name, message in fields.items():
        if message in _FIELD_TEXT:
            shown[name] = _(_FIELD_TEXT[message])
        elif (longest := _AT_MOST.match(message)) is not None:
            shown[name] = _("最多 %(count)s 个字", count=longest[1])
        else:
            shown[name] = translate(message)
    return shown


def _step(bulletin: Bulletin, element: str) -> HumanTask | None:
    step = platform().bulletins.open_step(bulletin)
    return step if step is not None and step.element_id == element else None


def sending_context(
    bulletin: Bulletin, errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> dict[str, Any]:
    """What `_draft.html` and `_delivery.html` show."""
    p = platform()
    session = p.session
    before_sending = bulletin.status in ("drafting", "approving")
    found: dict[str, Any] = {
        "draft_errors": errors or {},
        "draft_values": values or {name: getattr(bulletin, name) for name in DRAFT_FIELDS},
        "sms_max": SMS_MAX,
        "title_max": TITLE_MAX,
        "channel_name": channel_name,
        "shown_address": shown_address,
    }
    if before_sending:
        found["preview"] = preview(session, p.foundation.messaging, bulletin)
        found["reach"] = reach_of(session, bulletin)
    if bulletin.status in ("sending", "sent"):
        found["delivery"] = delivery(session, bulletin)
        found["failures"] = failures(session, bulletin)
    return found


@bp.post("/<int:bulletin_id>/draft")
@allow(Permission.DRAFT_BULLETINS)
def draft(bulletin_id: int) -> Any:
    """保存草稿, or 提交审批: the draft saved, then its step completed with the note for the approver."""
    p = platform()
    bulletin = p.bulletins.get(bulletin_id)
    values = {name: request.form.get(name, "") for name in DRAFT_FIELDS}
    submitting = request.form.get("action") == "submit"
    if bulletin.status != "drafting":
        problem(_("此通报已不在起草阶段，不能再修改。"))
        return redirect(url_for("bulletins.show", bulletin_id=bulletin_id))
    try:
        save_draft(p.session, p.clock, bulletin, values)
        if submitting:
            step = _step(bulletin, "draft")
            if step is None:
                raise Conflict("the notice has no draft step open")
            note = request.form.get("draft_note", "").strip()
            p.tasks.complete(step.id, {"draft_note": note}, actor())
    except InvalidData as invalid:
        db_session().rollback()
        if not invalid.fields:
            problem(translate(str(invalid)))
        return page(p.bulletins.get(bulletin_id), 422, _field_errors(invalid.fields), values)
    except Conflict as conflict:
        db_session().rollback()
        problem(_refusal(conflict))
        return redirect(url_for("bulletins.show", bulletin_id=bulletin_id))
    commit()
    ok(_("已提交审批。") if submitting else _("草稿已保存。"))
    return redirect(url_for("bulletins.show", bulletin_id=bulletin_id) + ("" if submitting else "#draft"))


def _refusal(conflict: Conflict) -> str:
    message = str(conflict)
    if message.startswith("task ") and " is claimed by " in message:
        holder = message.rsplit(" ", 1)[-1]
        name = platform().staff.display_names([holder]).get(holder, holder)
        return _("此步骤已由 %(name)s 认领。", name=name)
    if message == "the notice has no draft step open":
        return _("此通报当前没有待办的起草步骤。")
    if message == "the notice has no approval step open":
        return _("此通报当前不在审批中。")
    return translate(message)


@bp.post("/<int:bulletin_id>/approval")
@allow(Permission.APPROVE_BULLETINS)
def approval(bulletin_id: int) -> Any:
    """批准发送 / 退回修改 (a send-back needs its comment)."""
    p = platform()
    bulletin = p.bulletins.get(bulletin_id)
    decision = request.form.get("decision", "")
    comment = request.form.get("approve_comment", "").strip()
    errors = {}
    if decision not in ("approve", "return"):
        errors["decision"] = _("请选择批准发送或退回修改")
    elif decision == "return" and not comment:
        errors["approve_comment"] = _("退回修改须写明意见")
    elif len(comment) > 2000:
        errors["approve_comment"] = _("最多 %(count)s 个字", count=2000)
    if errors:
        return page(bulletin, 422, {**errors, "_approval": "1"}, None, approve_comment=comment)
    try:
        step = _step(bulletin, "approve")
        if step is None:
            raise Conflict("the notice has no approval step open")
        p.tasks.complete(step.id, {"decision": decision, "approve_comment": comment}, actor())
    except InvalidData as invalid:
        db_session().rollback()
        shown = _field_errors(invalid.fields)
        if not shown:
            problem(translate(str(invalid)))
        again = p.bulletins.get(bulletin_id)
        return page(again, 422, {**shown, "_approval": "1"}, None, approve_comment=comment)
    except Conflict as conflict:
        db_session().rollback()
        problem(_refusal(conflict))
        return redirect(url_for("bulletins.show", bulletin_id=bulletin_id))
    commit()
    ok(_("已批准，通报正在发送。") if decision == "approve" else _("已退回起草人修改。"))
    return redirect(url_for("bulletins.show", bulletin_id=bulletin_id))


@bp.get("/<int:bulletin_id>/delivery")
@allow(Permission.VIEW_BULLETINS)
def delivery_panel(bulletin_id: int) -> Any:
    """The delivery panel alone: what the page's panel refreshes itself with while the notice is sent."""
    bulletin = platform().bulletins.get(bulletin_id)
    return render_template("bulletins/_delivery.html", b=bulletin, **sending_context(bulletin))


@bp.post("/<int:bulletin_id>/resend")
@allow(Permission.DRAFT_BULLETINS)
def resend(bulletin_id: int) -> Any:
    """重新发送失败消息: the notice's dead letters go out again."""
    p = platform()
    bulletin = p.bulletins.get(bulletin_id)
    count = resend_failed(p.session, p.clock, bulletin)
    commit()
    if count:
        ok(_("%(count)d 条失败消息将重新发送。", count=count))
    else:
        problem(_("此通报没有发送失败的消息。"))
    return redirect(url_for("bulletins.show", bulletin_id=bulletin_id) + "#delivery")
