"""A sample context for every message kind, as its subscriber builds it: the administrator's preview page
renders each kind on each of its channels with it, and a test renders them all (a template that names a
value its subscriber does not give fails there, not in production)."""

from __future__ import annotations

from typing import Any

from crm.messaging.kinds import KINDS, OWNER_CHANNELS

PUBLIC_URL = "https://crm.example.com"
_TASK = {
    "number": "TS-2026-000123",
    "title": "卫生间天花板渗水",
    "task": "责任部门处理",
    "department": "工程部",
    "due": "11月24日 18:00",
    "link": f"{PUBLIC_URL}/r/TS-2026-000123",
}
_SECOND = {
    **_TASK,
    "number": "TS-2026-000124",
    "title": "入户门变形关不严",
    "due": "11月25日 18:00",
    "link": f"{PUBLIC_URL}/r/TS-2026-000124",
}
_OWNER = {"number": "TS-2026-000123", "name": "张伟", "link": f"{PUBLIC_URL}/portal/TS-2026-000123"}

SAMPLES: dict[str, dict[str, Any]] = {
    # A batch of two: what the department's email and robot show once the batching window closes.
    "task.new": {"department": "工程部", "item": _TASK, "items": [_TASK, _SECOND]},
    "task.assigned": {**_TASK, "by": "孙经理（工程部经理）"},
    # Many tasks opened at once (a campaign's visits): one notice per person, with the count.
    "task.batch": {
        "count": 1200,
        "process": "客户回访",
        "task": "回访",
        "department": "客户关系中心",
        "link": f"{PUBLIC_URL}/inbox",
    },
    "task.reminder": dict(_TASK),
    "task.escalated": {
        **_TASK,
        "escalation": "处理超时：部门经理督办",
        "level": 1,
        "answer_by": "11月25日 18:00",
    },
    "request.chased": {**_TASK, "chased_at": "11月22日 09:30"},
    "kpi.monthly": {
        "name": "孙经理（工程部经理）",
        "month": "2026年11月",
        "figures": [("封闭率", "71.4%"), ("工单及时率", "50.0%")],
        "link": f"{PUBLIC_URL}/kpis/reports",
        "path": "/kpis/reports",
    },
    "defect.returned": {
        **_TASK,
        "number": "ZG-2026-000045",
        "title": "江南府 1栋 1201 墙面/空鼓",
        "task": "整改",
        "department": "江南建工集团有限公司",
        "link": f"{PUBLIC_URL}/contractor/defects/45",
        "by": "复验",
        "note": "客厅东墙仍有两处空鼓",
        "rounds": 1,
    },
    "complaint.registered": dict(_OWNER),
    "complaint.replied": {**_OWNER, "reply": "已安排师傅于11月23日上午上门更换防水层，请您届时在家。"},
    "complaint.closed": {**_OWNER, "rated": False},
    "bulletin.progress": {
        "name": "张伟",
        "project": "江南府",
        "title": "江南府2026年12月楼盘进度通报",
        "body": "1栋：主体封顶，整体完成65%。本月完成屋面防水，外立面石材开始安装。\n"
        "2栋：外立面施工，整体完成58%。",
        "sms_text": "【江南府】12月工程进度：1栋主体封顶（65%），2栋外立面施工（58%）。",
        "link": f"{PUBLIC_URL}/portal/bulletins/12",
    },
    "bulletin.design_change": {
        "name": "张伟",
        "project": "江南府",
        "title": "江南府3栋规划设计变更通报",
        "body": "经规划部门批准，3栋北侧景观水系调整为下沉式花园，楼栋位置、户型和面积不变。",
        "sms_text": "【江南府】3栋北侧景观设计变更，请查看并确认。",
        "link": f"{PUBLIC_URL}/portal/bulletins/13",
    },
    "visit.questionnaire": {
        "name": "张伟",
        "campaign": "江南府2026年交付回访",
        "questionnaire": "交付回访问卷",
        "days": 5,
        "link": f"{PUBLIC_URL}/portal/visits/88",
        "path": "/portal/visits/88",
    },
}

# The channels a staff kind's "robot" stands for: each department's group robot is one of them.
ROBOTS = ("wecom", "dingtalk")


def channels_of(kind: str) -> tuple[str, ...]:
    """Every channel a kind can go out on: for owners any they may choose, for staff the bell and the
    kind's own (a group robot by either kind of robot)."""
    found = KINDS[kind]
    if found.audience == "owner":
        return OWNER_CHANNELS
    channels: list[str] = []
    for channel in found.channels:
        channels.extend(ROBOTS if channel == "robot" else (channel,))
    return tuple(channels)
