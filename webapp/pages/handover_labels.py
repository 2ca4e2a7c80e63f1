"""How the pages name what crm.handover keeps as codes: defect states, severities, sources, inspections."""

from __future__ import annotations

from webapp.i18n import N_

DEFECT_STATUS = {
    "assigning": N_("待分派"),
    "rectifying": N_("整改中"),
    "verifying": N_("待复验"),
    "confirming": N_("待业主确认"),
    "closed": N_("已销号"),
    "cancelled": N_("已撤销"),
}
SEVERITY = {"minor": N_("一般"), "normal": N_("较重"), "serious": N_("严重")}
SOURCE = {
    "self_check": N_("内部自查"),
    "open_day": N_("业主开放日"),
    "handover": N_("交付验房"),
    "other": N_("其他"),
}
SESSION_KIND = {"self_check": N_("内部自查"), "open_day": N_("业主开放日"), "handover": N_("集中交付")}
HANDOVER_STATUS = {
    "waiting": N_("待预约"),
    "booked": N_("已预约"),
    "handed_over": N_("已交付"),
    "cancelled": N_("已取消"),
}
METER = {"water": N_("水表"), "electricity": N_("电表"), "gas": N_("燃气表")}
