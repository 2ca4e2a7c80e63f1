"""The notices' words on the pages (message ids are the Chinese words)."""

from __future__ import annotations

from webapp.i18n import N_

KIND = {"progress": N_("楼盘进度通报"), "design_change": N_("规划设计变更通报")}
STATUS = {
    "progress": N_("待工程部填报进度"),
    "drafting": N_("起草中"),
    "approving": N_("待审批"),
    "sending": N_("发送中"),
    "sent": N_("已发送"),
    "cancelled": N_("已取消"),
}
