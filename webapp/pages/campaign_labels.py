"""The campaigns' words on the pages (message ids are the Chinese words)."""

from __future__ import annotations

from webapp.i18n import N_

KIND = {
    "post_signing": N_("签约回访"),
    "post_handover": N_("交付回访"),
    "thematic": N_("专题回访"),
    "four_year": N_("四年之约"),
}
METHOD = {"phone": N_("电话回访"), "home": N_("上门回访"), "event": N_("活动回访"), "online": N_("在线问卷")}
STATUS = {
    "draft": N_("草稿"),
    "launching": N_("正在发起"),
    "paused": N_("已暂停"),
    "running": N_("进行中"),
    "finished": N_("已结束"),
}
VISIT_STATUS = {
    "queued": N_("待发起"),
    "open": N_("待回访"),
    "answered": N_("已完成"),
    "given_up": N_("未能联系"),
    "refused": N_("拒绝回访"),
    "cancelled": N_("已取消"),
}
OUTCOME = {
    "answered": N_("已接通并完成问卷"),
    "no_answer": N_("无人接听"),
    "busy": N_("占线"),
    "refused": N_("拒绝回访"),
    "wrong_number": N_("号码错误"),
}
# What the services say about a field, as the form shows it beside the field.
FIELD = {
    "name": N_("请填写活动名称（最多200字）"),
    "kind": N_("请选择回访类型"),
    "method": N_("请选择回访方式"),
    "questionnaire_id": N_("请选择问卷"),
    "visit_days": N_("请填写 1–60 个工作日"),
    "days_after": N_("请填写签约或交付后的天数（0–3650）"),
    "script": N_("话术最多 20000 字"),
    "audience.project_ids": N_("所选项目不存在"),
    "audience.building_ids": N_("所选楼栋不存在，或不属于所选项目"),
    "audience.signed_from": N_("日期格式不正确"),
    "audience.signed_to": N_("日期不正确，或早于开始日期"),
    "audience.handed_over_from": N_("日期格式不正确"),
    "audience.handed_over_to": N_("日期不正确，或早于开始日期"),
    "audience.not_visited_months": N_("请填写 1–120 个月"),
    "audience.with_complaints": N_("请勾选或不勾选"),
}
NO_VISITOR = N_("电话、上门和活动回访请至少选择一名回访人")
NOT_OF_CENTRE = N_("回访人须是客户关系中心的在职员工")
