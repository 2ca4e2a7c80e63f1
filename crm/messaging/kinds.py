"""The message kinds: who they are for, how they go out unless the recipient chose otherwise."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    code: str
    label: str  # Chinese, as the preference and preview pages show it
    audience: str  # staff | owner
    # Owners: the channels used until the owner chooses; staff: in-app always, these besides when known.
    channels: tuple[str, ...]
    # The owner may turn it off entirely (marketing-like notices); service notices keep one channel.
    optional: bool = False


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("task.new", "部门待办新任务", "staff", ("inapp", "email", "robot")),
        Kind("task.assigned", "任务指派给我", "staff", ("inapp", "email")),
        Kind("task.batch", "批量新任务", "staff", ("inapp", "email")),
        Kind("task.reminder", "任务临近期限", "staff", ("inapp", "email")),
        Kind("task.escalated", "任务逾期升级", "staff", ("inapp", "email", "sms")),
        Kind("request.chased", "业主催办", "staff", ("inapp", "email")),
        Kind("defect.returned", "整改复验未通过退回", "staff", ("inapp", "email")),
        Kind("kpi.monthly", "月度指标报表", "staff", ("inapp", "email")),
        Kind("complaint.registered", "投诉已受理", "owner", ("sms", "inapp")),
        Kind("complaint.replied", "投诉处理答复", "owner", ("sms", "inapp")),
        Kind("complaint.closed", "投诉已办结（邀请评价）", "owner", ("sms", "inapp")),
        Kind("bulletin.progress", "楼盘进度通报", "owner", ("sms", "inapp"), optional=True),
        Kind("bulletin.design_change", "规划设计变更通报", "owner", ("sms", "inapp")),
        Kind("visit.questionnaire", "回访问卷", "owner", ("sms", "inapp"), optional=True),
    )
}
OWNER_CHANNELS = ("sms", "email", "inapp")
