"""The return visits' words on the pages (message ids are the Chinese words)."""

from __future__ import annotations

from webapp.i18n import N_

OUTCOME = {
    "answered": N_("已接通并完成问卷"),
    "no_answer": N_("无人接听"),
    "busy": N_("占线/不便"),
    "refused": N_("拒绝回访"),
    "wrong_number": N_("号码错误"),
}
STATUS = {
    "queued": N_("待发起"),
    "open": N_("进行中"),
    "answered": N_("已完成"),
    "given_up": N_("未能联系"),
    "refused": N_("业主拒访"),
    "cancelled": N_("已取消"),
}
METHOD = {
    "phone": N_("电话回访"),
    "home": N_("上门回访"),
    "event": N_("活动回访"),
    "online": N_("在线问卷"),
}
