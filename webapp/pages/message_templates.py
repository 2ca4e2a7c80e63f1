"""The message templates' preview (消息模板预览): every kind of message, who it is for, how it goes out,
and each channel's rendering with a sample — for a process owner to check the wording."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _

from crm.messaging.preview import previews
from crm.policy import Permission
from webapp import platform
from webapp.access import allow
from webapp.i18n import N_

bp = Blueprint("message_templates", __name__, url_prefix="/admin/message-templates")

# The kinds' names (crm.messaging.kinds) for the catalogue; the page translates the kind's own label.
KIND_LABELS = {
    "task.new": N_("部门待办新任务"),
    "task.assigned": N_("任务指派给我"),
    "task.batch": N_("批量新任务"),
    "task.reminder": N_("任务临近期限"),
    "task.escalated": N_("任务逾期升级"),
    "request.chased": N_("业主催办"),
    "defect.returned": N_("整改复验未通过退回"),
    "kpi.monthly": N_("月度指标报表"),
    "complaint.registered": N_("投诉已受理"),
    "complaint.replied": N_("投诉处理答复"),
    "complaint.closed": N_("投诉已办结（邀请评价）"),
    "bulletin.progress": N_("楼盘进度通报"),
    "bulletin.design_change": N_("规划设计变更通报"),
    "visit.questionnaire": N_("回访问卷"),
}
# Who hears it and when (the README's "who hears what" says the same).
WHO_WHEN = {
    "task.new": (
        N_("部门全体在岗成员；部门群机器人"),
        N_("任务进入部门待办队列、尚无人认领时；短时间内的多条合并为一封邮件、一条群消息"),
    ),
    "task.assigned": (
        N_("被指派的人"),
        N_("任务创建时已指定处理人，或由他人指派、改派给此人时（自己认领不通知）"),
    ),
    "task.batch": (
        N_("被指派的人；未指派的为部门全体在岗成员"),
        N_("一次批量发起大量任务时（如回访活动启动），每人只收到一条，告知新任务条数"),
    ),
    "task.reminder": (N_("任务处理人；无人认领时为部门全体成员"), N_("任务临近处理期限时")),
    "task.escalated": (
        N_("升级到的部门负责人；未设负责人时为该部门全体成员"),
        N_("任务逾期、逐级升级督办时"),
    ),
    "request.chased": (N_("诉求当前步骤的处理人；无人认领时为部门全体成员"), N_("业主在业主服务页催办时")),
    "defect.returned": (
        N_("整改工程师；交给承建商时为该单位全体人员"),
        N_("复验不通过或业主不认可、退回重新整改时，附意见和新的整改期限"),
    ),
    "kpi.monthly": (
        N_("部门经理、客服中心主管和集团客户关系中心"),
        N_("每月第一个工作日 8:30，附上月指标报表（Excel 工作簿）"),
    ),
    "complaint.registered": (N_("业主；非业主来电人（仅短信）"), N_("投诉登记后，附编号和查询链接")),
    "complaint.replied": (N_("业主"), N_("客服记录给业主的答复后")),
    "complaint.closed": (N_("业主；非业主来电人（仅短信）"), N_("投诉办结后，附评价链接")),
    "bulletin.progress": (
        N_("项目已签约未收房的业主（可选择不接收）"),
        N_("每月楼盘进度通报经主管批准后"),
    ),
    "bulletin.design_change": (
        N_("所选楼栋或房屋的业主"),
        N_("规划设计变更通报经主管批准后，附确认链接"),
    ),
    "visit.questionnaire": (
        N_("在线问卷回访的业主（可选择不接收）"),
        N_("回访活动发起在线问卷回访时，附作答链接"),
    ),
}
AUDIENCES = {"staff": N_("员工"), "owner": N_("业主")}
CHANNELS = {
    "inapp": N_("站内消息"),
    "email": N_("邮件"),
    "sms": N_("短信"),
    "robot": N_("部门群机器人"),
    "wecom": N_("企业微信群机器人"),
    "dingtalk": N_("钉钉群机器人"),
}


def channel_name(channel: str) -> str:
    return _(CHANNELS.get(channel, channel))


@bp.get("")
@allow(Permission.PREVIEW_MESSAGES)
def index() -> Any:
    return render_template(
        "admin/message_templates.html",
        kinds=previews(platform().foundation.messaging.templates),
        labels=KIND_LABELS,
        who_when=WHO_WHEN,
        audiences=AUDIENCES,
        channel_name=channel_name,
    )
